"""CPU model of the index arithmetic in native/cuda/matmul.cu and attention.cu.

No GPU runs here: this replays, lane by lane, the shared-memory layouts, ldmatrix row
addresses, mma fragment layouts and wgmma descriptor addressing that the kernels use,
under the instruction semantics stated in the PTX ISA, and checks that the products come
out as plain matrix products. It proves the formulas agree with each other and with the
documented semantics; only a GPU run (check.py) proves the semantics themselves.

Run: python3 bench/gpu/layout_model.py   (numpy only; exits non-zero on a mismatch)
"""

import sys

import numpy as np

RNG = np.random.default_rng()


# --- instruction semantics (PTX ISA) ----------------------------------------------------

def ldmatrix_x4(smem, row_addr, trans):
    """row_addr[lane]: element offset of the 8-element row lane gives (matrix lane // 8).
    Returns r[lane][q] = (lo, hi): non-trans row lane//4, cols 2(lane%4)..+1 of matrix q;
    trans: rows 2(lane%4)..+1, col lane//4."""
    out = [[None] * 4 for _ in range(32)]
    for q in range(4):
        mat = np.array([smem[row_addr[8 * q + r]: row_addr[8 * q + r] + 8] for r in range(8)])
        if trans:
            mat = mat.T
        for lane in range(32):
            g, t = lane // 4, lane % 4
            out[lane][q] = (mat[g, 2 * t], mat[g, 2 * t + 1])
    return out


def mma_16816(c, a, b):
    """c[lane] 4 floats, a[lane] 4 pairs, b[lane] 2 pairs; fragment layouts of m16n8k16."""
    A = np.zeros((16, 16))
    B = np.zeros((16, 8))
    for lane in range(32):
        g, t = lane // 4, lane % 4
        for reg, (row, col) in enumerate([(g, 2 * t), (g + 8, 2 * t), (g, 2 * t + 8),
                                          (g + 8, 2 * t + 8)]):
            A[row, col], A[row, col + 1] = a[lane][reg]
        for reg, k in enumerate([2 * t, 2 * t + 8]):
            B[k, g], B[k + 1, g] = b[lane][reg]
    C = A @ B
    for lane in range(32):
        g, t = lane // 4, lane % 4
        c[lane] += np.array([C[g, 2 * t], C[g, 2 * t + 1], C[g + 8, 2 * t],
                             C[g + 8, 2 * t + 1]])


def mma_1688_tf32(c, a, b):
    """tf32 m16n8k8: a[lane] 4 values, b[lane] 2 values."""
    A = np.zeros((16, 8))
    B = np.zeros((8, 8))
    for lane in range(32):
        g, t = lane // 4, lane % 4
        A[g, t], A[g + 8, t], A[g, t + 4], A[g + 8, t + 4] = a[lane]
        B[t, g], B[t + 4, g] = b[lane]
    C = A @ B
    for lane in range(32):
        g, t = lane // 4, lane % 4
        c[lane] += np.array([C[g, 2 * t], C[g, 2 * t + 1], C[g + 8, 2 * t],
                             C[g + 8, 2 * t + 1]])


# --- matmul_mma_kernel (16-bit and tf32 stages) -----------------------------------------

def check_mma_gemm(elem, a_kmajor, w_kmajor):
    BK = 64 // elem
    EPC = 16 // elem
    LD_K, LD_MN = BK + EPC, 128 + 8
    ELEMS = max(128 * LD_K, BK * LD_MN)
    A = RNG.standard_normal((128, BK))  # tile [m][k]
    W = RNG.standard_normal((128, BK))  # tile [n][k]: B[k][n] = W[n][k]

    def store(tile, kmajor):
        s = np.full(ELEMS, np.nan)
        for mn in range(128):
            for k in range(BK):
                s[mn * LD_K + k if kmajor else k * LD_MN + mn] = tile[mn, k]
        return s

    sa, sb = store(A, a_kmajor), store(W, w_kmajor)
    out = np.zeros((128, 128))
    for warp in range(8):
        wm, wn = (warp >> 2) * 64, (warp & 3) * 32
        acc = [[[np.zeros(4) for _ in range(32)] for _ in range(4)] for _ in range(4)]
        if elem == 2:
            for ks in range(BK // 16):
                af = []
                for i in range(4):
                    if a_kmajor:
                        addr = [(wm + 16 * i + (l & 15)) * LD_K + ks * 16 + (l >> 4) * 8
                                for l in range(32)]
                    else:
                        addr = [(ks * 16 + (l & 7) + (l >> 4) * 8) * LD_MN + wm + 16 * i +
                                ((l >> 3) & 1) * 8 for l in range(32)]
                    af.append(ldmatrix_x4(sa, addr, trans=not a_kmajor))
                bfr = [None] * 4
                for jp in range(2):
                    if w_kmajor:
                        addr = [(wn + 16 * jp + (l & 7) + (l >> 4) * 8) * LD_K + ks * 16 +
                                ((l >> 3) & 1) * 8 for l in range(32)]
                    else:
                        addr = [(ks * 16 + (l & 7) + ((l >> 3) & 1) * 8) * LD_MN + wn +
                                16 * jp + (l >> 4) * 8 for l in range(32)]
                    r = ldmatrix_x4(sb, addr, trans=not w_kmajor)
                    bfr[2 * jp] = [(r[l][0], r[l][1]) for l in range(32)]
                    bfr[2 * jp + 1] = [(r[l][2], r[l][3]) for l in range(32)]
                for i in range(4):
                    for j in range(4):
                        mma_16816(acc[i][j], af[i], bfr[j])
        else:
            def at(m, k):
                return sa[m * LD_K + k] if a_kmajor else sa[k * LD_MN + m]

            def bt(k, n):
                return sb[n * LD_K + k] if w_kmajor else sb[k * LD_MN + n]

            for ks in range(BK // 8):
                for i in range(4):
                    for j in range(4):
                        a, b = [], []
                        for l in range(32):
                            g, t = l >> 2, l & 3
                            k0, r0, n = ks * 8 + t, wm + 16 * i + g, wn + 8 * j + g
                            a.append((at(r0, k0), at(r0 + 8, k0), at(r0, k0 + 4),
                                      at(r0 + 8, k0 + 4)))
                            b.append((bt(k0, n), bt(k0 + 4, n)))
                        mma_1688_tf32(acc[i][j], a, b)
        for i in range(4):
            for j in range(4):
                for l in range(32):
                    g, t = l >> 2, l & 3
                    for e in range(4):
                        out[wm + 16 * i + g + (e >> 1) * 8, wn + 8 * j + 2 * t + (e & 1)] = \
                            acc[i][j][l][e]
    want = A @ W.T
    return np.abs(out - want).max() < 1e-9


# --- attention_flash_kernel: S = Q K^T and O += P V for one warp ------------------------

def check_flash(D):
    LD = D + 8
    Q = RNG.standard_normal((64, D))
    K = RNG.standard_normal((64, D))
    V = RNG.standard_normal((64, D))

    def store(x):
        s = np.full(64 * LD, np.nan)
        for r in range(64):
            s[r * LD: r * LD + D] = x[r]
        return s

    sq, sk, sv = store(Q), store(K), store(V)
    ok = True
    for warp in range(4):
        qf = [ldmatrix_x4(sq, [(warp * 16 + (l & 15)) * LD + ks * 16 + (l >> 4) * 8
                               for l in range(32)], trans=False) for ks in range(D // 16)]
        s = [[np.zeros(4) for _ in range(32)] for _ in range(8)]
        for ks in range(D // 16):
            for np_ in range(4):
                addr = [(np_ * 16 + (l & 7) + ((l >> 4) << 3)) * LD + ks * 16 +
                        ((l >> 3) & 1) * 8 for l in range(32)]
                r = ldmatrix_x4(sk, addr, trans=False)
                mma_16816(s[2 * np_], qf[ks], [(r[l][0], r[l][1]) for l in range(32)])
                mma_16816(s[2 * np_ + 1], qf[ks], [(r[l][2], r[l][3]) for l in range(32)])
        S = np.zeros((16, 64))
        for j in range(8):
            for l in range(32):
                g, t = l >> 2, l & 3
                for e in range(4):
                    S[g + (e >> 1) * 8, j * 8 + 2 * t + (e & 1)] = s[j][l][e]
        ok &= np.abs(S - Q[warp * 16: warp * 16 + 16] @ K.T).max() < 1e-9

        # the score accumulators reused as A fragments of P (here P = S itself)
        o = [[np.zeros(4) for _ in range(32)] for _ in range(D // 8)]
        for kk in range(4):
            a = [((s[2 * kk][l][0], s[2 * kk][l][1]), (s[2 * kk][l][2], s[2 * kk][l][3]),
                  (s[2 * kk + 1][l][0], s[2 * kk + 1][l][1]),
                  (s[2 * kk + 1][l][2], s[2 * kk + 1][l][3])) for l in range(32)]
            for dp in range(D // 16):
                addr = [(kk * 16 + (l & 7) + ((l >> 3) & 1) * 8) * LD + dp * 16 +
                        (l >> 4) * 8 for l in range(32)]
                r = ldmatrix_x4(sv, addr, trans=True)
                mma_16816(o[2 * dp], a, [(r[l][0], r[l][1]) for l in range(32)])
                mma_16816(o[2 * dp + 1], a, [(r[l][2], r[l][3]) for l in range(32)])
        O = np.zeros((16, D))
        for j in range(D // 8):
            for l in range(32):
                g, t = l >> 2, l & 3
                for e in range(4):
                    O[g + (e >> 1) * 8, j * 8 + 2 * t + (e & 1)] = o[j][l][e]
        ok &= np.abs(O - S @ V).max() < 1e-6
    return ok


# --- matmul_wgmma_kernel: swizzled stores vs descriptor addressing ----------------------

def swizzle128(byte_addr):
    """Swizzle<3,4,3>: address bits 4..6 xor bits 7..9."""
    return byte_addr ^ (((byte_addr >> 7) & 7) << 4)


def desc_addr_kmajor(start, sbo, mn, k):
    """Byte address wgmma reads for (mn, k), k < 16, of a K-major 128B-swizzled operand:
    canonical ((8,m),(T,2k)):((8T,SBO),(1,T)), T = 8 bf16, then the swizzle."""
    off = (mn % 8) * 128 + (mn // 8) * sbo + k * 2
    return swizzle128(start + off)


def desc_addr_mnmajor(start, lbo, sbo, mn, k):
    """MN-major 128B: ((T,8,m),(8,k)):((1,T,LBO),(8T,SBO)), in bytes."""
    off = (mn % 64) * 2 + (mn // 64) * lbo + (k % 8) * 128 + (k // 8) * sbo
    return swizzle128(start + off)


def check_wgmma(w_kmajor):
    base = 3 * 32768  # a stage slot: a multiple of 1024, as in the kernel
    # the kernel's stores: byte address of each element of the 128x64 tiles
    a_store = {}
    for r in range(128):
        for k in range(64):
            part, e = k // 8, k % 8
            a_store[(r, k)] = base + r * 128 + ((part ^ (r & 7)) << 4) + e * 2
    b_store = {}
    if w_kmajor:
        for n in range(128):
            for k in range(64):
                part, e = k // 8, k % 8
                b_store[(n, k)] = base + n * 128 + ((part ^ (n & 7)) << 4) + e * 2
    else:
        for k in range(64):
            for n in range(128):
                part, e = n // 8, n % 8
                half = part >> 3
                b_store[(n, k)] = (base + half * 8192 + k * 128 +
                                   (((part & 7) ^ (k & 7)) << 4) + e * 2)
    ok = (len(set(a_store.values())) == len(a_store) and
          len(set(b_store.values())) == len(b_store))
    for wg in range(2):
        for kk in range(4):
            a_start = base + wg * 64 * 128 + kk * 32
            for m in range(64):
                for k in range(16):
                    want = a_store[(wg * 64 + m, kk * 16 + k)]
                    ok &= desc_addr_kmajor(a_start, 1024, m, k) == want
    for kk in range(4):
        for n in range(128):
            for k in range(16):
                if w_kmajor:
                    got = desc_addr_kmajor(base + kk * 32, 1024, n, k)
                else:
                    got = desc_addr_mnmajor(base + kk * 2048, 8192, 1024, n, k)
                ok &= got == b_store[(n, kk * 16 + k)]
    return ok


def main():
    results = []
    for elem in (2, 4):
        for a_k in (True, False):
            for w_k in (True, False):
                results.append((f"mma gemm elem={elem} a_kmajor={a_k} w_kmajor={w_k}",
                                check_mma_gemm(elem, a_k, w_k)))
    for d in (32, 64, 128):
        results.append((f"flash attention D={d}", check_flash(d)))
    for w_k in (True, False):
        results.append((f"wgmma descriptors w_kmajor={w_k}", check_wgmma(w_k)))
    for name, ok in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
