package dev.gatun;

/** Where a tensor's memory lives. */
public enum Device {
    /** Host memory, reachable from Java and from the CPU kernels. */
    CPU,
    /** Memory of an NVIDIA GPU, reachable only from the CUDA kernels. */
    CUDA
}
