# Fails unless the PTX nvcc kept for attention.cu and matmul.cu holds the tensor-core
# instructions the fast kernels are written with. Run by the post-build step of
# gatun_cuda with -DPTX_DIR=<nvcc --keep-dir>.
set(_checks
    "attention.compute_80.ptx|mma.sync.aligned.m16n8k16"
    "matmul.compute_80.ptx|mma.sync.aligned.m16n8k16"
    "matmul.compute_80.ptx|mma.sync.aligned.m16n8k8"
    "matmul.compute_90a.ptx|wgmma.mma_async.sync.aligned.m64n128k16")
foreach(_check IN LISTS _checks)
  string(REPLACE "|" ";" _parts "${_check}")
  list(GET _parts 0 _file)
  list(GET _parts 1 _needle)
  if(NOT EXISTS "${PTX_DIR}/${_file}")
    message(FATAL_ERROR "PTX check: ${PTX_DIR}/${_file} was not produced by nvcc --keep")
  endif()
  file(STRINGS "${PTX_DIR}/${_file}" _hits REGEX "${_needle}" LIMIT_COUNT 1)
  if(NOT _hits)
    message(FATAL_ERROR "PTX check: ${_file} contains no '${_needle}'; the fast kernel "
                        "is not on tensor cores")
  endif()
  message(STATUS "PTX check: ${_file} contains ${_needle}")
endforeach()
