// Small matrix products without the panel packing of gemm.ts, for the many tiny products of batched attention
// (1024 of 21x32 @ 32x21): there the packing, the zero-padded 5x8 edge tiles and the per-unit bookkeeping
// cost more than the arithmetic. op(B) is copied once into a [K, Np] row-major block (Np = N rounded up to 4,
// zero padded); then rows of C are accumulated two at a time in registers, 16 columns per block, with A's
// entries broadcast one by one. Each C element is sum_k a*b added in k order: deterministic.
import { loadTail, storeTail } from './simd';

/** Stores the vector v (+ bias[j..j+3] when bias != 0) as columns j..j+3 of the row at c, keeping only the
 *  columns below N. */
// @ts-ignore: decorator
@inline function storeCols(c: usize, j: i32, v: v128, N: i32, bias: usize): void {
  if (j + 4 <= N) v128.store(c + <usize>j * 4, bias != 0 ? f32x4.add(v, v128.load(bias + <usize>j * 4)) : v);
  else if (j < N) storeTail(c + <usize>j * 4, bias != 0 ? f32x4.add(v, loadTail(bias + <usize>j * 4, N - j)) : v, N - j);
}

/** Copies op(B) (B is [K, N], or [N, K] when tB) into bp as [K, Np], zero padded. */
function packSmall(B: usize, bp: usize, K: i32, N: i32, tB: bool, Np: i32): void {
  for (let k = 0; k < K; k++) {
    const dst = bp + <usize>(k * Np) * 4;
    if (!tB) {
      const src = B + <usize>(k * N) * 4;
      let j = 0;
      for (; j + 4 <= N; j += 4) v128.store(dst + <usize>j * 4, v128.load(src + <usize>j * 4));
      if (j < N) v128.store(dst + <usize>j * 4, loadTail(src + <usize>j * 4, N - j));
    } else {
      for (let j = 0; j < N; j++) store<f32>(dst + <usize>j * 4, load<f32>(B + <usize>(j * K + k) * 4));
      for (let j = N; j < Np; j++) store<f32>(dst + <usize>j * 4, 0);
    }
  }
}

/** C [M, N] = op(A) op(B) (+ bias [N] on every row when bias != 0) for one pair: A is [M, K] ([K, M] when tA),
 *  B as in packSmall; bp: K * Np floats. */
export function smallGemm(A: usize, B: usize, C: usize, M: i32, K: i32, N: i32, tA: bool, tB: bool, bp: usize, bias: usize): void {
  const Np = (N + 3) & ~3;
  packSmall(B, bp, K, N, tB, Np);
  const ldb = <usize>Np * 4;
  const aRow: usize = tA ? 4 : <usize>K * 4, aCol: usize = tA ? <usize>M * 4 : 4;
  for (let i = 0; i < M; i += 2) {
    const i1 = i + 1 < M ? i + 1 : i; // an odd last row is computed twice and stored once
    const a0 = A + <usize>i * aRow, a1 = A + <usize>i1 * aRow;
    const c0 = C + <usize>(i * N) * 4, c1 = C + <usize>(i1 * N) * 4;
    let j = 0;
    for (; j + 16 <= Np; j += 16) {
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0), x2 = f32x4.splat(0), x3 = f32x4.splat(0);
      let y0 = f32x4.splat(0), y1 = f32x4.splat(0), y2 = f32x4.splat(0), y3 = f32x4.splat(0);
      let pb = bp + <usize>j * 4;
      for (let k = 0; k < K; k++) {
        const s = v128.load32_splat(a0 + <usize>k * aCol), t = v128.load32_splat(a1 + <usize>k * aCol);
        const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
        x0 = f32x4.add(x0, f32x4.mul(s, b0)); y0 = f32x4.add(y0, f32x4.mul(t, b0));
        x1 = f32x4.add(x1, f32x4.mul(s, b1)); y1 = f32x4.add(y1, f32x4.mul(t, b1));
        x2 = f32x4.add(x2, f32x4.mul(s, b2)); y2 = f32x4.add(y2, f32x4.mul(t, b2));
        x3 = f32x4.add(x3, f32x4.mul(s, b3)); y3 = f32x4.add(y3, f32x4.mul(t, b3));
        pb += ldb;
      }
      storeCols(c1, j, y0, N, bias); storeCols(c1, j + 4, y1, N, bias);
      storeCols(c1, j + 8, y2, N, bias); storeCols(c1, j + 12, y3, N, bias);
      storeCols(c0, j, x0, N, bias); storeCols(c0, j + 4, x1, N, bias);
      storeCols(c0, j + 8, x2, N, bias); storeCols(c0, j + 12, x3, N, bias);
    }
    for (; j < Np; j += 4) {
      let x0 = f32x4.splat(0), y0 = f32x4.splat(0);
      let pb = bp + <usize>j * 4;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(a0 + <usize>k * aCol), b0));
        y0 = f32x4.add(y0, f32x4.mul(v128.load32_splat(a1 + <usize>k * aCol), b0));
        pb += ldb;
      }
      storeCols(c1, j, y0, N, bias);
      storeCols(c0, j, x0, N, bias);
    }
  }
}
