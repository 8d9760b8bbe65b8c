// GEMM: a BLIS-style packed matrix product with a 4x8 f32x4 micro-kernel, shared between threads.
//
// The 4x8 micro-kernel keeps 8 f32x4 accumulators; V8 (Node 20) has no relaxed-SIMD FMA by default, so it is
// f32x4.mul + f32x4.add. Every output element sees the same sequence of float operations whichever thread
// computes it (KC depends on K alone), so results are bit-identical for any number of threads.
//
// Why 4x8 and not a bigger tile: V8 on x64 has 15 usable xmm registers (xmm15 is its scratch) and TurboFan
// schedules all the loads of a loop iteration first, so every A broadcast and B vector of a k step is live at
// once: 8 accumulators + 2 B vectors + 4 A broadcasts + 1 product = 15. The A values come as v128.load32_splat
// (vbroadcastss from memory: a load-port op). A 5x8 tile needs 18 that way and spills; the older 5x8 kernel
// broadcast 4 of its A values with i32x4.shuffle instead, and those shuffles compete with the multiplies and
// adds for the FP pipes: the 4x8 kernel does ~8% more flops per cycle. (Unrolling the k loop by hand hoists
// twice the loads and spills too; V8 unrolls it by 2 itself.)
import { MR, NR, packA, packB } from './pack';
import { smallGemm } from './small';
import { claim, done, waitFor } from './sync';

/** C[0:mc, 0:nc] (row stride ldc floats) = (accumulate ? C : 0) + Ap * Bp over kc, then + bias[0:nc] on every row
 *  when bias != 0 (the caller passes it with the last k block only). tmp: 40 floats (MR * NR used). */
function macroKernel(ap: usize, bp: usize, c: usize, ldc: i32, mc: i32, nc: i32, kc: i32, accumulate: bool, tmp: usize,
  bias: usize): void {
  const ldcb = <usize>ldc * 4;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const pbStart = bp + <usize>(jr * kc) * 4;
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      let pa = ap + <usize>(ir * kc) * 4;
      let pb = pbStart;
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
      let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
      const paEnd = pa + <usize>kc * (MR * 4);
      while (pa < paEnd) { // one k step (ends on the pointer: no separate counter to keep in a register)
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        let a = v128.load32_splat(pa);
        c00 = f32x4.add(c00, f32x4.mul(a, b0));
        c01 = f32x4.add(c01, f32x4.mul(a, b1));
        a = v128.load32_splat(pa, 4);
        c10 = f32x4.add(c10, f32x4.mul(a, b0));
        c11 = f32x4.add(c11, f32x4.mul(a, b1));
        a = v128.load32_splat(pa, 8);
        c20 = f32x4.add(c20, f32x4.mul(a, b0));
        c21 = f32x4.add(c21, f32x4.mul(a, b1));
        a = v128.load32_splat(pa, 12);
        c30 = f32x4.add(c30, f32x4.mul(a, b0));
        c31 = f32x4.add(c31, f32x4.mul(a, b1));
        pa += 16;
        pb += 32;
      }
      const full = mr == MR && nr == NR;
      let cp: usize = full ? c + (<usize>ir * <usize>ldc + <usize>jr) * 4 : tmp;
      const ld: usize = full ? ldcb : 32;
      if (accumulate && full) {
        c00 = f32x4.add(v128.load(cp), c00); c01 = f32x4.add(v128.load(cp, 16), c01); cp += ld;
        c10 = f32x4.add(v128.load(cp), c10); c11 = f32x4.add(v128.load(cp, 16), c11); cp += ld;
        c20 = f32x4.add(v128.load(cp), c20); c21 = f32x4.add(v128.load(cp, 16), c21); cp += ld;
        c30 = f32x4.add(v128.load(cp), c30); c31 = f32x4.add(v128.load(cp, 16), c31);
        cp = c + (<usize>ir * <usize>ldc + <usize>jr) * 4;
      }
      if (bias != 0 && full) {
        const b0 = v128.load(bias + <usize>jr * 4), b1 = v128.load(bias + <usize>jr * 4, 16);
        c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1);
        c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
        c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1);
        c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
      }
      v128.store(cp, c00); v128.store(cp, c01, 16); cp += ld;
      v128.store(cp, c10); v128.store(cp, c11, 16); cp += ld;
      v128.store(cp, c20); v128.store(cp, c21, 16); cp += ld;
      v128.store(cp, c30); v128.store(cp, c31, 16);
      if (!full) {
        const cbase = c + (<usize>ir * <usize>ldc + <usize>jr) * 4;
        for (let r = 0; r < mr; r++) {
          const crow = cbase + <usize>r * ldcb;
          const trow = tmp + <usize>r * 32;
          for (let j = 0; j < nr; j++) {
            const o = <usize>j * 4;
            const v = load<f32>(trow + o);
            const sum = accumulate ? load<f32>(crow + o) + v : v;
            store<f32>(crow + o, bias != 0 ? sum + load<f32>(bias + <usize>(jr + j) * 4) : sum);
          }
        }
      }
    }
  }
}

/** GEMM C[b] = op(A[b]) @ op(B[bB]) for every batch b (bB = b, or 0 when strideB == 0), shared by all threads
 *  that call it with the same arguments (except `work`). Strides are in floats between batch matrices.
 *
 *  mode 0 ("rows"): B is packed once into `packed` (NR-column panels for every batch of B and every k block;
 *    batchB * K * roundUp(N, 8) floats) by all threads together; then units of `unit` output rows (a multiple
 *    of MR) are claimed: each packs its rows of A into its own `work` and sweeps all N columns.
 *  mode 1 ("cols"): A is packed once into `packed` (MR-row panels; batch * K * roundUp(M, MR) floats); then units
 *    of `unit` output columns (a multiple of NR) are claimed: each packs its columns of B into `work` and sweeps
 *    all M rows in blocks of MC.
 *  mode 2 ("small"): no shared packing; units of `unit` whole batches are claimed and each product is computed
 *    by smallGemm (small.ts), which copies op(B) into `work` (K * roundUp(N, 4) floats).
 *  work: roundUp(unit, MR or NR) * min(KC, K) floats, then 40 floats of scratch for edge tiles (modes 0, 1).
 *  bias: 0, or [N] floats added to every row of every C (after the whole sum over k).
 *  ctrl: the work-sharing words (see sync.ts), zeroed except "go".
 *  Returns the number of compute units this thread did. */
export function gemm(
  a: usize, b: usize, c: usize,
  batch: i32, strideA: i32, strideB: i32, strideC: i32,
  M: i32, K: i32, N: i32, transA: i32, transB: i32,
  mode: i32, packed: usize, ctrl: usize, work: usize,
  KC: i32, MC: i32, unit: i32, bias: usize,
): i32 {
  let units = 0;
  const tA = transA != 0, tB = transB != 0;
  waitFor(ctrl + 192, 1);
  if (mode == 2) {
    const U = (batch + unit - 1) / unit;
    for (let u = claim(ctrl + 128); u < U; u = claim(ctrl + 128)) {
      units++;
      for (let bi = u * unit; bi < min(batch, (u + 1) * unit); bi++) {
        smallGemm(a + <usize>bi * <usize>strideA * 4, b + <usize>bi * <usize>strideB * 4, c + <usize>bi * <usize>strideC * 4,
          M, K, N, tA, tB, work, bias);
      }
    }
    return units;
  }
  const kcMax = min(KC, K);
  const tmp = work + <usize>(mode == 0 ? (unit + MR - 1) / MR * MR : (unit + NR - 1) / NR * NR) * <usize>kcMax * 4;
  if (mode == 0) {
    const Np = <usize>((N + NR - 1) / NR * NR);
    const batchB = strideB != 0 ? batch : 1;
    const groups = (N + 63) >> 6; // pack units: 64 columns of one batch of B, all k blocks
    const P = batchB * groups;
    for (let u = claim(ctrl); u < P; u = claim(ctrl)) {
      const bB = u / groups;
      const jc = (u - bB * groups) << 6;
      const nc = min(64, N - jc);
      const B = b + <usize>bB * <usize>strideB * 4;
      const base = packed + <usize>bB * <usize>K * Np * 4;
      for (let pc = 0; pc < K; pc += KC) {
        const kc = min(KC, K - pc);
        packB(B, base + (<usize>pc * Np + <usize>jc * <usize>kc) * 4, K, N, tB, pc, kc, jc, nc);
      }
      done(ctrl + 64);
    }
    waitFor(ctrl + 64, P);
    const chunks = (M + unit - 1) / unit;
    const U = batch * chunks;
    for (let u = claim(ctrl + 128); u < U; u = claim(ctrl + 128)) {
      const bi = u / chunks;
      const ic = (u - bi * chunks) * unit;
      const mc = min(unit, M - ic);
      units++;
      const A = a + <usize>bi * <usize>strideA * 4;
      const C = c + (<usize>bi * <usize>strideC + <usize>ic * <usize>N) * 4;
      const base = packed + (strideB != 0 ? <usize>bi : 0) * <usize>K * Np * 4;
      for (let pc = 0; pc < K; pc += KC) {
        const kc = min(KC, K - pc);
        packA(A, work, M, K, tA, ic, mc, pc, kc);
        macroKernel(work, base + <usize>pc * Np * 4, C, N, mc, N, kc, pc > 0, tmp, pc + kc == K ? bias : 0);
      }
    }
  } else {
    const Mp = <usize>((M + MR - 1) / MR * MR);
    const groups = (M + 39) / 40; // pack units: 40 rows (a multiple of MR) of one batch of A, all k blocks
    const P = batch * groups;
    for (let u = claim(ctrl); u < P; u = claim(ctrl)) {
      const bi = u / groups;
      const ic = (u - bi * groups) * 40;
      const mc = min(40, M - ic);
      const A = a + <usize>bi * <usize>strideA * 4;
      const base = packed + <usize>bi * <usize>K * Mp * 4;
      for (let pc = 0; pc < K; pc += KC) {
        const kc = min(KC, K - pc);
        packA(A, base + (<usize>pc * Mp + <usize>ic * <usize>kc) * 4, M, K, tA, ic, mc, pc, kc);
      }
      done(ctrl + 64);
    }
    waitFor(ctrl + 64, P);
    const chunks = (N + unit - 1) / unit;
    const U = batch * chunks;
    for (let u = claim(ctrl + 128); u < U; u = claim(ctrl + 128)) {
      const bi = u / chunks;
      const jc = (u - bi * chunks) * unit;
      const nc = min(unit, N - jc);
      units++;
      const B = b + (strideB != 0 ? <usize>bi : 0) * <usize>strideB * 4;
      const C = c + (<usize>bi * <usize>strideC + <usize>jc) * 4;
      const base = packed + <usize>bi * <usize>K * Mp * 4;
      for (let pc = 0; pc < K; pc += KC) {
        const kc = min(KC, K - pc);
        packB(B, work, K, N, tB, pc, kc, jc, nc);
        for (let ic = 0; ic < M; ic += MC) {
          const mc = min(MC, M - ic);
          macroKernel(base + (<usize>pc * Mp + <usize>ic * <usize>kc) * 4, work, C + <usize>ic * <usize>N * 4, N, mc, nc, kc, pc > 0,
            tmp, pc + kc == K && bias != 0 ? bias + <usize>jc * 4 : 0);
        }
      }
    }
  }
  return units;
}
