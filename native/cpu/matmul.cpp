// gatun_matmul: dst[b] = act(a[b] x w[b] + bias) + residual[b], one oneDNN matmul primitive
// with the activation and the residual add fused as post-ops (one rounding to dst's dtype).
// A plain f32 product (one batch, nothing fused, plain or transposed operands) goes to
// oneDNN's dnnl_sgemm instead (matmul_by_sgemm). Packed weights: gatun_matmul_packed below,
// few rows of them on Gatun's own kernel (few_rows.cpp).
//
// oneDNN 3.13's fast (brgemm) kernels take a and w in any strides with one inner stride 1
// and dst row-major with any row stride, but fall back to the reference kernel (about 100x
// slower) for a stride 0 anywhere, a non-dense residual, a dst with last stride != 1 or a
// residual with a strided dst; they add a batch-broadcast residual into a dst with row
// stride > N at wrong offsets; and oneDNN rejects a broadcast a with a batched dst. So,
// before oneDNN sees them:
//   1. a size-1 dimension gets a dense stride and a stride-0 batch becomes batch 1;
//   2. a residual that is not dense [B, M, N] or [1, M, N] is copied dense first;
//   3. a dst whose last stride is not 1, or that is not dense while a residual is fused, is
//      computed dense, then copied out;
//   4. a broadcast a (batch stride 0) runs one batch-1 primitive per batch.
// F16 where oneDNN has no f16 matmul (CPUs without AVX512-FP16) converts a, w, bias and the
// residual to f32, multiplies in f32 and converts the result: correct, but it costs a copy of
// every operand per call.
#include "matmul.hpp"

#include "few_rows.hpp"

#include <memory>
#include <string>

namespace gatun {

namespace {

// The arguments of one gatun_matmul call.
struct Operands {
    int64_t batch, m, n, k;
    const void *a;
    const int64_t *as;
    const void *w;
    const int64_t *ws;
    const void *bias;
    int32_t activation;
    const void *residual;
    const int64_t *rs;
    void *dst;
    const int64_t *ds;
    bool packed = false;  // w in packed_weights_md's layout, batch 1
};

bool is_runtime(const Matrix &m) { return m.rows == kRuntimeDim || m.cols == kRuntimeDim; }

bool is_runtime(const MatmulSpec &s) {
    return is_runtime(s.src) || is_runtime(s.wei) || is_runtime(s.dst);
}

// Gives every size-1 dimension a stride oneDNN's fast kernels accept (step 1 above).
Matrix canonical(Matrix m) {
    if (m.cols == 1) {
        m.col_stride = 1;
        if (m.rows == 1) {
            m.row_stride = 1;
        }
    } else if (m.rows == 1) {
        m.row_stride = m.col_stride == 1 ? m.cols : 1;
    }
    if (m.batch == 1) {
        m.batch_stride = (m.rows - 1) * m.row_stride + (m.cols - 1) * m.col_stride + 1;
    }
    return m;
}

// A runtime-sized primitive keeps the caller's strides, which every execution's concrete
// descriptors must repeat; only a batch-1 stride is set: to kRuntimeDim where the matrix
// has a runtime dimension, else to its extent (so creation and execution agree).
Matrix runtime_form(Matrix m) {
    if (m.batch == 1) {
        m.batch_stride = is_runtime(m) ? kRuntimeDim
                                       : (m.rows - 1) * m.row_stride +
                                                 (m.cols - 1) * m.col_stride + 1;
    }
    return m;
}

dnnl::memory::desc matrix_md(int32_t dtype, const Matrix &m) {
    return dnnl::memory::desc({m.batch, m.rows, m.cols}, to_dnnl(dtype),
                              {m.batch_stride, m.row_stride, m.col_stride});
}

void add_matrix(CacheKey &key, const Matrix &m) {
    key.add_all(m.batch, m.rows, m.cols, m.batch_stride, m.row_stride, m.col_stride);
}

dnnl::algorithm activation_algorithm(int32_t activation) {
    switch (activation) {
        case GATUN_ACT_GELU_ERF: return dnnl::algorithm::eltwise_gelu_erf;
        case GATUN_ACT_GELU_TANH: return dnnl::algorithm::eltwise_gelu_tanh;
        default: return dnnl::algorithm::eltwise_swish;
    }
}

int residual_arg(const MatmulSpec &spec) {
    int index = spec.activation != GATUN_ACT_NONE ? 1 : 0;
    return DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1;
}

// One of the two inner strides of a [rows, cols] matrix must be 1 (when both exceed 1).
void check_inner(const int64_t *strides, int64_t rows, int64_t cols, const char *what) {
    check(rows <= 1 || cols <= 1 || strides[1] == 1 || strides[2] == 1, "one of the two ",
          "inner strides of ", what, " must be 1, got [", strides[0], ", ", strides[1], ", ",
          strides[2], "]");
}

Matrix operand(int64_t batch, int64_t rows, int64_t cols, const int64_t *strides) {
    bool broadcast = batch == 1 || strides[0] == 0;
    return {broadcast ? 1 : batch, rows, cols, strides[0], strides[1], strides[2]};
}

// dst = act(bias) + residual: the product is empty when K = 0.
void matmul_without_product(int32_t dtype, const Operands &o) {
    with_dtype(dtype, [&](auto tag) {
        using T = decltype(tag);
        const T *bias = static_cast<const T *>(o.bias);
        const T *residual = static_cast<const T *>(o.residual);
        T *dst = static_cast<T *>(o.dst);
        for (int64_t b = 0; b < o.batch; b++) {
            for (int64_t i = 0; i < o.m; i++) {
                for (int64_t j = 0; j < o.n; j++) {
                    float x = activate(o.activation, bias ? to_float(bias[j]) : 0.f);
                    if (residual) {
                        x += to_float(residual[b * o.rs[0] + i * o.rs[1] + j * o.rs[2]]);
                    }
                    dst[b * o.ds[0] + i * o.ds[1] + j * o.ds[2]] = from_float<T>(x);
                }
            }
        }
    });
}

// The operand's transpose flag and leading dimension for dnnl_sgemm (row-major), or false
// where its strides are not a plain or transposed matrix of at least 2 x 2.
bool gemm_operand(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride,
                  char &trans, int64_t &ld) {
    if (rows < 2 || cols < 2) {
        return false;
    }
    if (col_stride == 1 && row_stride >= cols) {
        trans = 'N';
        ld = row_stride;
        return true;
    }
    if (row_stride == 1 && col_stride >= rows) {
        trans = 'T';
        ld = col_stride;
        return true;
    }
    return false;
}

// A plain f32 product (one batch, no bias, activation or residual) through dnnl_sgemm, whose
// gemm kernels ran it 5 to 15% faster than the matmul primitive's on the 2-core Xeon of
// bench/RESULTS.md (n = 512 to 2048). Returns false, computing nothing, for anything else.
bool matmul_by_sgemm(int32_t dtype, const Operands &o) {
    if (dtype != GATUN_F32 || o.packed || o.batch != 1 || o.bias || o.residual ||
        o.activation != GATUN_ACT_NONE || o.ds[2] != 1 || o.m < 2 || o.n < 2 ||
        o.ds[1] < o.n) {
        return false;
    }
    char ta, tw;
    int64_t lda, ldw;
    if (!gemm_operand(o.m, o.k, o.as[1], o.as[2], ta, lda) ||
        !gemm_operand(o.k, o.n, o.ws[1], o.ws[2], tw, ldw)) {
        return false;
    }
    dnnl_status_t status = dnnl_sgemm(ta, tw, o.m, o.n, o.k, 1.f, static_cast<const float *>(o.a),
                                      lda, static_cast<const float *>(o.w), ldw, 0.f,
                                      static_cast<float *>(o.dst), o.ds[1]);
    if (status != dnnl_success) {
        throw Failure{GATUN_ERR_ONEDNN, concat("dnnl_sgemm failed with status ", status)};
    }
    return true;
}

// Steps 1 to 4 of the file comment, for a dtype oneDNN computes in.
void matmul_native(int32_t dtype, const Operands &o) {
    if (matmul_by_sgemm(dtype, o)) {
        return;
    }
    const int64_t dims[3] = {o.batch, o.m, o.n};
    const int64_t dense[3] = {o.m * o.n, o.n, 1};
    const size_t dst_bytes = static_cast<size_t>(o.batch * o.m * o.n * dtype_size(dtype));

    // 2. residual: used in place when dense, else copied dense
    const void *residual = o.residual;
    int64_t residual_batch = o.batch;
    std::unique_ptr<Buffer> residual_copy;
    if (residual != nullptr) {
        residual_batch = o.batch == 1 || o.rs[0] == 0 ? 1 : o.batch;
        bool is_dense = (o.m == 1 || o.rs[1] == o.n) && (o.n == 1 || o.rs[2] == 1) &&
                        (residual_batch == 1 || o.rs[0] == o.m * o.n);
        if (!is_dense) {
            residual_copy = std::make_unique<Buffer>(dst_bytes);
            copy_strided(3, dims, dtype, residual, o.rs, dtype, residual_copy->as<void>(),
                         dense);
            residual = residual_copy->as<void>();
            residual_batch = o.batch;
        }
    }

    // 3. dst: written in place when row-major (dense if a residual is fused), else through
    //    a dense copy
    void *out = o.dst;
    const int64_t *out_strides = o.ds;
    std::unique_ptr<Buffer> out_copy;
    bool row_major = o.n == 1 || o.ds[2] == 1;
    bool dst_dense = row_major && (o.m == 1 || o.ds[1] == o.n) &&
                     (o.batch == 1 || o.ds[0] == o.m * o.n);
    if (!row_major || (residual != nullptr && !dst_dense)) {
        out_copy = std::make_unique<Buffer>(dst_bytes);
        out = out_copy->as<void>();
        out_strides = dense;
    }

    MatmulSpec spec{dtype,
                    dtype,
                    dtype,
                    operand(o.batch, o.m, o.k, o.as),
                    o.packed ? Matrix{1, o.k, o.n, 0, 0, 0} : operand(o.batch, o.k, o.n, o.ws),
                    {o.batch, o.m, o.n, out_strides[0], out_strides[1], out_strides[2]},
                    o.bias != nullptr,
                    o.activation,
                    residual != nullptr,
                    residual_batch,
                    o.packed};

    if (spec.src.batch == 1 && o.batch > 1) {
        // 4. oneDNN has no broadcast src with a batched dst: one batch-1 primitive per batch
        spec.src.batch = spec.wei.batch = spec.dst.batch = 1;
        spec.residual_batch = 1;
        auto p = matmul_primitive(spec);
        int64_t residual_step = residual_batch > 1 ? o.m * o.n : 0;
        for (int64_t b = 0; b < o.batch; b++) {
            const void *r = residual ? at(residual, b * residual_step, dtype) : nullptr;
            run_matmul(*p, spec, o.a, at(o.w, b * o.ws[0], dtype), o.bias, r,
                       at(out, b * out_strides[0], dtype));
        }
    } else {
        run_matmul(*matmul_primitive(spec), spec, o.a, o.w, o.bias, residual, out);
    }

    if (out_copy) {
        copy_strided(3, dims, dtype, out, dense, dtype, o.dst, o.ds);
    }
}

// F16 without oneDNN support: every operand converted to dense f32, multiplied in f32.
void matmul_via_f32(int32_t dtype, const Operands &o) {
    int64_t ba = o.batch == 1 || o.as[0] == 0 ? 1 : o.batch;
    int64_t bw = o.batch == 1 || o.ws[0] == 0 ? 1 : o.batch;
    const int64_t a_dims[3] = {ba, o.m, o.k};
    const int64_t w_dims[3] = {bw, o.k, o.n};
    const int64_t d_dims[3] = {o.batch, o.m, o.n};
    const int64_t a_dense[3] = {ba == 1 ? 0 : o.m * o.k, o.k, 1};
    const int64_t w_dense[3] = {bw == 1 ? 0 : o.k * o.n, o.n, 1};
    const int64_t d_dense[3] = {o.m * o.n, o.n, 1};
    const int64_t bias_dims[3] = {1, 1, o.n};
    const int64_t bias_strides[3] = {0, 0, 1};
    const size_t f = sizeof(float);

    Buffer a(ba * o.m * o.k * f), w(bw * o.k * o.n * f), dst(o.batch * o.m * o.n * f);
    copy_strided(3, a_dims, dtype, o.a, o.as, GATUN_F32, a.as<void>(), a_dense);
    copy_strided(3, w_dims, dtype, o.w, o.ws, GATUN_F32, w.as<void>(), w_dense);
    std::unique_ptr<Buffer> bias, residual;
    if (o.bias != nullptr) {
        bias = std::make_unique<Buffer>(o.n * f);
        copy_strided(3, bias_dims, dtype, o.bias, bias_strides, GATUN_F32, bias->as<void>(),
                     bias_strides);
    }
    if (o.residual != nullptr) {
        residual = std::make_unique<Buffer>(o.batch * o.m * o.n * f);
        copy_strided(3, d_dims, dtype, o.residual, o.rs, GATUN_F32, residual->as<void>(),
                     d_dense);
    }

    Operands f32{o.batch, o.m, o.n, o.k,
                 a.as<void>(), a_dense, w.as<void>(), w_dense,
                 bias ? bias->as<void>() : nullptr, o.activation,
                 residual ? residual->as<void>() : nullptr, d_dense,
                 dst.as<void>(), d_dense};
    matmul_native(GATUN_F32, f32);
    copy_strided(3, d_dims, GATUN_F32, dst.as<void>(), d_dense, dtype, o.dst, o.ds);
}

}  // namespace

dnnl::memory::desc packed_weights_md(int32_t dtype, int64_t k, int64_t n) {
    const int64_t m = 128;
    dnnl::memory::desc src({1, m, k}, to_dnnl(dtype), dnnl::memory::format_tag::abc);
    dnnl::memory::desc wei({1, k, n}, to_dnnl(dtype), dnnl::memory::format_tag::any);
    dnnl::memory::desc dst({1, m, n}, to_dnnl(dtype), dnnl::memory::format_tag::abc);
    return dnnl::matmul::primitive_desc(cpu_engine(), src, wei, dst).weights_desc();
}

std::shared_ptr<const CachedPrimitive> matmul_primitive(const MatmulSpec &given) {
    MatmulSpec s = given;
    const bool runtime = is_runtime(s);
    for (Matrix *m : {&s.src, &s.wei, &s.dst}) {
        *m = runtime ? runtime_form(*m) : canonical(*m);
    }

    CacheKey key(PrimitiveKind::kMatmul);
    key.add_all(s.src_dtype, s.wei_dtype, s.dst_dtype, s.bias, s.activation, s.residual,
                s.residual_batch, s.packed);
    add_matrix(key, s.src);
    add_matrix(key, s.wei);
    add_matrix(key, s.dst);

    return cached_primitive(key, [&] {
        dnnl::post_ops post_ops;
        if (s.activation != GATUN_ACT_NONE) {
            // swish with alpha 1 is x sigmoid(x), i.e. SiLU; the gelus take no parameter
            float alpha = s.activation == GATUN_ACT_SILU ? 1.f : 0.f;
            post_ops.append_eltwise(activation_algorithm(s.activation), alpha, 0.f);
        }
        if (s.residual) {
            Matrix r = dense_matrix(s.residual_batch, s.dst.rows, s.dst.cols);
            post_ops.append_binary(dnnl::algorithm::binary_add, matrix_md(s.dst_dtype, r));
        }
        dnnl::primitive_attr attr = scratchpad_attr();
        attr.set_post_ops(post_ops);
        if (runtime && (s.bias || s.residual)) {
            throw Failure{GATUN_ERR_INTERNAL, "a runtime-sized matmul takes no bias or residual"};
        }

        const dnnl::engine &engine = cpu_engine();
        auto src = matrix_md(s.src_dtype, s.src);
        auto wei = s.packed ? packed_weights_md(s.wei_dtype, s.wei.rows, s.wei.cols)
                            : matrix_md(s.wei_dtype, s.wei);
        auto dst = matrix_md(s.dst_dtype, s.dst);
        std::vector<int> args = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
        if (s.residual) {
            args.push_back(residual_arg(s));
        }
        if (!s.bias) {
            dnnl::matmul::primitive_desc pd(engine, src, wei, dst, attr);
            CachedPrimitive p = make_cached<dnnl::matmul>(pd, args);
            p.runtime_dims = runtime;
            return p;
        }
        auto bias = matrix_md(s.dst_dtype, dense_matrix(1, 1, s.dst.cols));
        dnnl::matmul::primitive_desc pd(engine, src, wei, bias, dst, attr);
        args.push_back(DNNL_ARG_BIAS);
        return make_cached<dnnl::matmul>(pd, args);
    });
}

void run_matmul(const CachedPrimitive &p, const MatmulSpec &spec, const void *src,
                const void *wei, const void *bias, const void *residual, void *dst) {
    if (p.runtime_dims) {
        auto src_md = matrix_md(spec.src_dtype, runtime_form(spec.src));
        auto wei_md = matrix_md(spec.wei_dtype, runtime_form(spec.wei));
        auto dst_md = matrix_md(spec.dst_dtype, runtime_form(spec.dst));
        execute(p, {{DNNL_ARG_SRC, src, &src_md},
                    {DNNL_ARG_WEIGHTS, wei, &wei_md},
                    {DNNL_ARG_DST, dst, &dst_md}});
        return;
    }
    execute(p, {{DNNL_ARG_SRC, src},
                {DNNL_ARG_WEIGHTS, wei},
                {DNNL_ARG_DST, dst},
                {DNNL_ARG_BIAS, spec.bias ? bias : nullptr},
                {residual_arg(spec), spec.residual ? residual : nullptr}});
}

}  // namespace gatun

extern "C" {

gatun_status gatun_matmul(int32_t dtype, int64_t batch, int64_t m, int64_t n, int64_t k,
                          const void *a, const int64_t *a_strides,
                          const void *w, const int64_t *w_strides,
                          const void *bias, int32_t activation,
                          const void *residual, const int64_t *r_strides,
                          void *dst, const int64_t *d_strides) {
    using namespace gatun;
    return guarded("gatun_matmul", [&] {
        check_float_dtype("dtype", dtype);
        check(activation >= GATUN_ACT_NONE && activation <= GATUN_ACT_SILU,
              "activation must be 0 (NONE) to 3 (SILU), got ", activation);
        check(batch >= 0 && m >= 0 && n >= 0 && k >= 0,
              "batch, m, n and k must be >= 0, got batch=", batch, " m=", m, " n=", n,
              " k=", k);
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        const int64_t d_dims[3] = {batch, m, n};
        check_not_null(dst, "dst");
        check_dst_strides(d_strides, d_dims, 3, "d_strides");
        check_inner(d_strides, m, n, "dst");
        if (residual != nullptr) {
            check_strides(r_strides, 3, "r_strides");
        }
        Operands o{batch, m, n, k, a, a_strides, w, w_strides, bias, activation,
                   residual, r_strides, dst, d_strides};
        if (k == 0) {
            matmul_without_product(dtype, o);
            return;
        }
        check_not_null(a, "a");
        check_not_null(w, "w");
        check_strides(a_strides, 3, "a_strides");
        check_strides(w_strides, 3, "w_strides");
        check_inner(a_strides, m, k, "a");
        check_inner(w_strides, k, n, "w");

        if (compute_dtype(dtype) == dtype) {
            matmul_native(dtype, o);
        } else {
            matmul_via_f32(dtype, o);
        }
    });
}

gatun_status gatun_packed_weights_size(int32_t dtype, int64_t k, int64_t n, int64_t *bytes) {
    using namespace gatun;
    return guarded("gatun_packed_weights_size", [&] {
        check_float_dtype("dtype", dtype);
        check(k >= 1 && n >= 1, "k and n must be >= 1, got k=", k, " n=", n);
        check_not_null(bytes, "bytes");
        if (compute_dtype(dtype) != dtype) {
            throw Failure{GATUN_ERR_UNSUPPORTED, "oneDNN has no matmul for this dtype on "
                                                 "this CPU, so no packed layout"};
        }
        auto md = packed_weights_md(dtype, k, n);
        // a layout only oneDNN's reference kernel reads (about 100x slower) is worse than
        // none: then there is no packed layout, and callers keep their row-major weights
        dnnl::memory::desc one_row({1, 1, k}, to_dnnl(dtype), dnnl::memory::format_tag::abc);
        dnnl::memory::desc out({1, 1, n}, to_dnnl(dtype), dnnl::memory::format_tag::abc);
        std::string impl = dnnl::matmul::primitive_desc(cpu_engine(), one_row, md, out)
                                   .impl_info_str();
        if (impl.rfind("ref", 0) == 0) {
            throw Failure{GATUN_ERR_UNSUPPORTED, "oneDNN reads packed weights of this shape "
                                                 "only with its reference kernel"};
        }
        *bytes = static_cast<int64_t>(md.get_size());
    });
}

gatun_status gatun_pack_weights(int32_t dtype, int64_t k, int64_t n, const void *w,
                                const int64_t *w_strides, void *packed) {
    using namespace gatun;
    return guarded("gatun_pack_weights", [&] {
        check_float_dtype("dtype", dtype);
        check(k >= 1 && n >= 1, "k and n must be >= 1, got k=", k, " n=", n);
        check(compute_dtype(dtype) == dtype, "oneDNN has no matmul for this dtype on this "
                                             "CPU, so no packed layout");
        check_not_null(w, "w");
        check_not_null(packed, "packed");
        check_strides(w_strides, 2, "w_strides");
        check(k == 1 || n == 1 || w_strides[0] == 1 || w_strides[1] == 1,
              "one of the two strides of w must be 1, got [", w_strides[0], ", ",
              w_strides[1], "]");
        const dnnl::engine &engine = cpu_engine();
        dnnl::memory::desc from({1, k, n}, to_dnnl(dtype),
                                {k * n, k == 1 ? n : w_strides[0], n == 1 ? 1 : w_strides[1]});
        dnnl::memory src(from, engine, const_cast<void *>(w));
        dnnl::memory dst(packed_weights_md(dtype, k, n), engine, packed);
        dnnl::reorder(src, dst).execute(thread_stream(), src, dst);
        thread_stream().wait();
    });
}

gatun_status gatun_matmul_packed(int32_t dtype, int64_t m, int64_t n, int64_t k,
                                 const void *a, const int64_t *a_strides, const void *packed,
                                 const void *bias, int32_t activation, const void *residual,
                                 const int64_t *r_strides, void *dst,
                                 const int64_t *d_strides) {
    using namespace gatun;
    return guarded("gatun_matmul_packed", [&] {
        check_float_dtype("dtype", dtype);
        check(compute_dtype(dtype) == dtype, "oneDNN has no matmul for this dtype on this "
                                             "CPU, so no packed layout");
        check(activation >= GATUN_ACT_NONE && activation <= GATUN_ACT_SILU,
              "activation must be 0 (NONE) to 3 (SILU), got ", activation);
        check(m >= 0 && n >= 1 && k >= 1, "m must be >= 0 and n, k >= 1, got m=", m, " n=",
              n, " k=", k);
        if (m == 0) {
            return;
        }
        check_not_null(a, "a");
        check_not_null(packed, "packed");
        check_not_null(dst, "dst");
        check_strides(a_strides, 2, "a_strides");
        check_strides(d_strides, 2, "d_strides");
        const int64_t as[3] = {m * k, a_strides[0], a_strides[1]};
        const int64_t ds[3] = {m * n, d_strides[0], d_strides[1]};
        const int64_t d_dims[3] = {1, m, n};
        check_dst_strides(ds, d_dims, 3, "d_strides");
        check_inner(as, m, k, "a");
        check_inner(ds, m, n, "dst");
        int64_t rs[3] = {0, 0, 0};
        if (residual != nullptr) {
            check_strides(r_strides, 2, "r_strides");
            rs[0] = m * n;
            rs[1] = r_strides[0];
            rs[2] = r_strides[1];
        }
        if (few_rows_applies(dtype, m, k, n, a_strides, d_strides,
                             residual ? r_strides : nullptr)) {
            few_rows_matmul(m, n, k, static_cast<const float *>(a), a_strides[0],
                            static_cast<const float *>(packed),
                            static_cast<const float *>(bias), activation,
                            static_cast<const float *>(residual), residual ? r_strides[0] : 0,
                            static_cast<float *>(dst), d_strides[0]);
            return;
        }
        Operands o{1, m, n, k, a, as, packed, nullptr, bias, activation,
                   residual, residual ? rs : nullptr, dst, ds, true};
        matmul_native(dtype, o);
    });
}

}
