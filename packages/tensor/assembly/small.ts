// Small matrix products without the panel packing of gemm.ts, for the many tiny products of batched attention
// (1024 of 21x32 @ 32x21): there the packing, the zero-padded 4x8 edge tiles and the per-unit bookkeeping
// cost more than the arithmetic. op(B) is copied once into a [K, Np] row-major block (Np = N rounded up to 4,
// zero padded); then rows of C are accumulated two at a time in registers, in column blocks of 16, 8 and 4, with A's
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
  const ldp = <usize>Np * 4;
  if (!tB) {
    for (let k = 0; k < K; k++) {
      const dst = bp + <usize>k * ldp, src = B + <usize>(k * N) * 4;
      let j = 0;
      for (; j + 4 <= N; j += 4) v128.store(dst + <usize>j * 4, v128.load(src + <usize>j * 4));
      if (j < N) v128.store(dst + <usize>j * 4, loadTail(src + <usize>j * 4, N - j));
    }
    return;
  }
  // Transposed: 4 rows of B (columns j..j+3 of op(B)) at a time, in 4x4 blocks transposed by shuffles.
  const ldb = <usize>K * 4;
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const r0 = B + <usize>j * ldb, r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
    let dst = bp + <usize>j * 4;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const o = <usize>k * 4;
      const v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
      const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7), t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
      v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5)); dst += ldp;
      v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7)); dst += ldp;
      v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5)); dst += ldp;
      v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7)); dst += ldp;
    }
    for (; k < K; k++) {
      const o = <usize>k * 4;
      store<f32>(dst, load<f32>(r0 + o)); store<f32>(dst, load<f32>(r1 + o), 4);
      store<f32>(dst, load<f32>(r2 + o), 8); store<f32>(dst, load<f32>(r3 + o), 12);
      dst += ldp;
    }
  }
  if (j < N) { // the last 1..3 columns, zero padded to Np = j + 4
    for (let k = 0; k < K; k++) {
      const dst = bp + <usize>k * ldp + <usize>j * 4;
      for (let jj = j; jj < Np; jj++) {
        store<f32>(dst + <usize>(jj - j) * 4, jj < N ? load<f32>(B + <usize>(jj * K + k) * 4) : 0);
      }
    }
  }
}

/** C [M, N] = op(A) op(B) (+ bias [N] on every row when bias != 0) for one pair: A is [M, K] ([K, M] when tA),
 *  B as in packSmall; bp: K * Np floats. Rows go two at a time through column blocks of 16, then 8, then 4. */
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
      let p0 = a0, p1 = a1, pb = bp + <usize>j * 4;
      for (let k = 0; k < K; k++) {
        const s = v128.load32_splat(p0), t = v128.load32_splat(p1);
        const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
        x0 = f32x4.add(x0, f32x4.mul(s, b0)); y0 = f32x4.add(y0, f32x4.mul(t, b0));
        x1 = f32x4.add(x1, f32x4.mul(s, b1)); y1 = f32x4.add(y1, f32x4.mul(t, b1));
        x2 = f32x4.add(x2, f32x4.mul(s, b2)); y2 = f32x4.add(y2, f32x4.mul(t, b2));
        x3 = f32x4.add(x3, f32x4.mul(s, b3)); y3 = f32x4.add(y3, f32x4.mul(t, b3));
        p0 += aCol; p1 += aCol; pb += ldb;
      }
      storeCols(c1, j, y0, N, bias); storeCols(c1, j + 4, y1, N, bias);
      storeCols(c1, j + 8, y2, N, bias); storeCols(c1, j + 12, y3, N, bias);
      storeCols(c0, j, x0, N, bias); storeCols(c0, j + 4, x1, N, bias);
      storeCols(c0, j + 8, x2, N, bias); storeCols(c0, j + 12, x3, N, bias);
    }
    if (j + 8 <= Np) {
      let x0 = f32x4.splat(0), x1 = f32x4.splat(0), y0 = f32x4.splat(0), y1 = f32x4.splat(0);
      let p0 = a0, p1 = a1, pb = bp + <usize>j * 4;
      for (let k = 0; k < K; k++) {
        const s = v128.load32_splat(p0), t = v128.load32_splat(p1);
        const b0 = v128.load(pb), b1 = v128.load(pb, 16);
        x0 = f32x4.add(x0, f32x4.mul(s, b0)); y0 = f32x4.add(y0, f32x4.mul(t, b0));
        x1 = f32x4.add(x1, f32x4.mul(s, b1)); y1 = f32x4.add(y1, f32x4.mul(t, b1));
        p0 += aCol; p1 += aCol; pb += ldb;
      }
      storeCols(c1, j, y0, N, bias); storeCols(c1, j + 4, y1, N, bias);
      storeCols(c0, j, x0, N, bias); storeCols(c0, j + 4, x1, N, bias);
      j += 8;
    }
    if (j < Np) { // Np is a multiple of 4: one last block of 4
      let x0 = f32x4.splat(0), y0 = f32x4.splat(0);
      let p0 = a0, p1 = a1, pb = bp + <usize>j * 4;
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(p0), b0));
        y0 = f32x4.add(y0, f32x4.mul(v128.load32_splat(p1), b0));
        p0 += aCol; p1 += aCol; pb += ldb;
      }
      storeCols(c1, j, y0, N, bias);
      storeCols(c0, j, x0, N, bias);
    }
  }
}
