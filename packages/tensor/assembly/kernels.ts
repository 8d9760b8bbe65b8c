// WebAssembly SIMD kernels for @saelab/tensor (AssemblyScript, compiled by scripts/build-wasm.mjs).
//
// Every export takes raw byte pointers into the (imported, possibly shared) linear memory; the JS side
// (src/backends/wasm/kernels.ts) owns the memory layout. No managed objects, no allocation, no mutable
// globals: several instances (main thread + workers) run these functions concurrently on one shared memory.
// gemm() is the only function they run together; it shares out its work itself (see "work sharing").
//
// Built twice from this one source (scripts/build-wasm.mjs): with threads + shared memory, and without
// (ASC_FEATURE_THREADS false: plain loads/stores instead of atomics). All arithmetic has a fixed evaluation
// order, so results are bit-identical run to run, between the two builds and for any number of threads.
//
// The 5x8 micro-kernel keeps 10 f32x4 accumulators; V8 (Node 20) has no relaxed-SIMD FMA by default, so it is
// f32x4.mul + f32x4.add. Scalar tails use the same IEEE operations as the vector lanes.

// ---------------------------------------------------------------------------------------------------------
// GEMM: BLIS-style packed GEMM with a 5x8 f32x4 micro-kernel.
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline const MR: i32 = 5;
// @ts-ignore: decorator
@inline const NR: i32 = 8;

export function heapBase(): usize {
  return __heap_base;
}

/** Pack rows [ic, ic+mc) x k [pc, pc+kc) of op(A) into MR-row panels: panel p holds, for each k, the MR values
 *  op(A)[ic + p*MR + r][pc + k], r = 0..MR-1 (zero-padded past mc). A is [M, K] or, when transA, [K, M]. */
function packA(A: usize, ap: usize, M: i32, K: i32, transA: bool, ic: i32, mc: i32, pc: i32, kc: i32): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    let dst = ap + <usize>(ir * kc) * 4;
    if (!transA) {
      const lda = <usize>K * 4;
      const r0 = A + (<usize>(ic + ir) * <usize>K + <usize>pc) * 4;
      if (mr == MR) {
        const r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda, r4 = r3 + lda;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k * 4;
          const v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
          const v4 = v128.load(r4 + o);
          const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          const t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          const t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          const t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
          store<f32>(dst, f32x4.extract_lane(v4, 0), 16);
          v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 20);
          store<f32>(dst, f32x4.extract_lane(v4, 1), 36);
          v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 40);
          store<f32>(dst, f32x4.extract_lane(v4, 2), 56);
          v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 60);
          store<f32>(dst, f32x4.extract_lane(v4, 3), 76);
          dst += 80;
        }
        for (; k < kc; k++) {
          const o = <usize>k * 4;
          store<f32>(dst, load<f32>(r0 + o), 0);
          store<f32>(dst, load<f32>(r1 + o), 4);
          store<f32>(dst, load<f32>(r2 + o), 8);
          store<f32>(dst, load<f32>(r3 + o), 12);
          store<f32>(dst, load<f32>(r4 + o), 16);
          dst += 20;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) {
            store<f32>(dst + <usize>r * 4, r < mr ? load<f32>(r0 + <usize>r * lda + <usize>k * 4) : <f32>0);
          }
          dst += 20;
        }
      }
    } else {
      const lda = <usize>M * 4;
      let src = A + (<usize>pc * <usize>M + <usize>(ic + ir)) * 4;
      if (mr == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          store<f32>(dst, load<f32>(src, 16), 16);
          src += lda;
          dst += 20;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let r = 0; r < MR; r++) {
            store<f32>(dst + <usize>r * 4, r < mr ? load<f32>(src + <usize>r * 4) : <f32>0);
          }
          src += lda;
          dst += 20;
        }
      }
    }
  }
}

/** Pack k [pc, pc+kc) x columns [jc, jc+nc) of op(B) into NR-column panels: panel q holds, for each k, the NR
 *  values op(B)[pc + k][jc + q*NR + j] (zero-padded past nc). B is [K, N] or, when transB, [N, K]. */
function packB(B: usize, bp: usize, K: i32, N: i32, transB: bool, pc: i32, kc: i32, jc: i32, nc: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    let dst = bp + <usize>(jr * kc) * 4;
    if (!transB) {
      const ldb = <usize>N * 4;
      let src = B + (<usize>pc * <usize>N + <usize>(jc + jr)) * 4;
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += ldb;
          dst += 32;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + <usize>j * 4, j < nr ? load<f32>(src + <usize>j * 4) : <f32>0);
          }
          src += ldb;
          dst += 32;
        }
      }
    } else {
      const ldb = <usize>K * 4;
      const r0 = B + (<usize>(jc + jr) * <usize>K + <usize>pc) * 4;
      if (nr == NR) {
        const r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb, r4 = r3 + ldb, r5 = r4 + ldb, r6 = r5 + ldb, r7 = r6 + ldb;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k * 4;
          let v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
          let t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          let t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          let t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          let t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5), 0);
          v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
          v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
          v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
          v0 = v128.load(r4 + o); v1 = v128.load(r5 + o); v2 = v128.load(r6 + o); v3 = v128.load(r7 + o);
          t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5);
          t1 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
          t2 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5), 16);
          v128.store(dst, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 48);
          v128.store(dst, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 80);
          v128.store(dst, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 112);
          dst += 128;
        }
        for (; k < kc; k++) {
          const o = <usize>k * 4;
          store<f32>(dst, load<f32>(r0 + o), 0);
          store<f32>(dst, load<f32>(r1 + o), 4);
          store<f32>(dst, load<f32>(r2 + o), 8);
          store<f32>(dst, load<f32>(r3 + o), 12);
          store<f32>(dst, load<f32>(r4 + o), 16);
          store<f32>(dst, load<f32>(r5 + o), 20);
          store<f32>(dst, load<f32>(r6 + o), 24);
          store<f32>(dst, load<f32>(r7 + o), 28);
          dst += 32;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          for (let j = 0; j < NR; j++) {
            store<f32>(dst + <usize>j * 4, j < nr ? load<f32>(r0 + <usize>j * ldb + <usize>k * 4) : <f32>0);
          }
          dst += 32;
        }
      }
    }
  }
}

/** C[0:mc, 0:nc] (row stride ldc floats) = (accumulate ? C : 0) + Ap * Bp over kc. tmp: 40 floats. */
function macroKernel(ap: usize, bp: usize, c: usize, ldc: i32, mc: i32, nc: i32, kc: i32, accumulate: bool, tmp: usize): void {
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
      let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
      // The 5 A values of step k come as one v128 load (rows 0-3, lanes broadcast by shuffles) plus a splat
      // load (row 4): V8 then keeps the 10 accumulators, 2 B vectors and the A temporaries in 15 registers.
      // (Five load32_splat loads get hoisted to the top of the loop by TurboFan and spill.)
      for (let k = 0; k < kc; k++) {
        const b0 = v128.load(pb);
        const b1 = v128.load(pb, 16);
        const av = v128.load(pa);
        let a = i32x4.shuffle(av, av, 0, 0, 0, 0);
        c00 = f32x4.add(c00, f32x4.mul(a, b0));
        c01 = f32x4.add(c01, f32x4.mul(a, b1));
        a = i32x4.shuffle(av, av, 1, 1, 1, 1);
        c10 = f32x4.add(c10, f32x4.mul(a, b0));
        c11 = f32x4.add(c11, f32x4.mul(a, b1));
        a = i32x4.shuffle(av, av, 2, 2, 2, 2);
        c20 = f32x4.add(c20, f32x4.mul(a, b0));
        c21 = f32x4.add(c21, f32x4.mul(a, b1));
        a = i32x4.shuffle(av, av, 3, 3, 3, 3);
        c30 = f32x4.add(c30, f32x4.mul(a, b0));
        c31 = f32x4.add(c31, f32x4.mul(a, b1));
        a = v128.load32_splat(pa, 16);
        c40 = f32x4.add(c40, f32x4.mul(a, b0));
        c41 = f32x4.add(c41, f32x4.mul(a, b1));
        pa += 20;
        pb += 32;
      }
      const full = mr == MR && nr == NR;
      let cp: usize = full ? c + (<usize>ir * <usize>ldc + <usize>jr) * 4 : tmp;
      const ld: usize = full ? ldcb : 32;
      if (accumulate && full) {
        c00 = f32x4.add(v128.load(cp), c00); c01 = f32x4.add(v128.load(cp, 16), c01); cp += ld;
        c10 = f32x4.add(v128.load(cp), c10); c11 = f32x4.add(v128.load(cp, 16), c11); cp += ld;
        c20 = f32x4.add(v128.load(cp), c20); c21 = f32x4.add(v128.load(cp, 16), c21); cp += ld;
        c30 = f32x4.add(v128.load(cp), c30); c31 = f32x4.add(v128.load(cp, 16), c31); cp += ld;
        c40 = f32x4.add(v128.load(cp), c40); c41 = f32x4.add(v128.load(cp, 16), c41);
        cp = c + (<usize>ir * <usize>ldc + <usize>jr) * 4;
      }
      v128.store(cp, c00); v128.store(cp, c01, 16); cp += ld;
      v128.store(cp, c10); v128.store(cp, c11, 16); cp += ld;
      v128.store(cp, c20); v128.store(cp, c21, 16); cp += ld;
      v128.store(cp, c30); v128.store(cp, c31, 16); cp += ld;
      v128.store(cp, c40); v128.store(cp, c41, 16);
      if (!full) {
        const cbase = c + (<usize>ir * <usize>ldc + <usize>jr) * 4;
        for (let r = 0; r < mr; r++) {
          const crow = cbase + <usize>r * ldcb;
          const trow = tmp + <usize>r * 32;
          for (let j = 0; j < nr; j++) {
            const o = <usize>j * 4;
            const v = load<f32>(trow + o);
            store<f32>(crow + o, accumulate ? load<f32>(crow + o) + v : v);
          }
        }
      }
    }
  }
}

// ---- work sharing --------------------------------------------------------------------------------------------
// Threads running the same gemm() call share four i32 words at `ctrl` (each on its own 64-byte line):
//   ctrl+0   next pack unit to claim      ctrl+64  pack units finished      ctrl+128 next compute unit to claim
//   ctrl+192 "go": set to 1 once the operands are in place (the JS side wakes the workers first and copies the
//            inputs while they start up; a worker that arrives early spins here for that short copy).
// Work is claimed dynamically, so a thread that starts late or runs slow simply does fewer units. Which thread
// computes a unit never changes the arithmetic of any output element (KC is fixed by K alone), so results are
// bit-identical for any number of threads. The single-threaded build (no atomics) uses plain loads/stores.

// @ts-ignore: decorator
@inline function claim(p: usize): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(p, 1);
  const v = load<i32>(p);
  store<i32>(p, v + 1);
  return v;
}

/** Wait until the i32 at p reaches total: spin briefly (the others are busy with one short pack unit each),
 *  then block in atomic.wait, so that a thread whose partner was descheduled does not burn the CPU the partner
 *  needs (this machine class may have fewer free cores than threads). Writers call done(). */
function waitFor(p: usize, total: i32): void {
  if (ASC_FEATURE_THREADS) {
    for (let i = 0; i < 1 << 17; i++) if (atomic.load<i32>(p) >= total) return; // ~0.1 ms
    for (;;) {
      const v = atomic.load<i32>(p);
      if (v >= total) return;
      atomic.wait<i32>(p, v, 1000000); // 1 ms timeout: belt and braces
    }
  }
}

/** Add 1 to the i32 at p and wake whoever waits on it. */
// @ts-ignore: decorator
@inline function done(p: usize): void {
  if (ASC_FEATURE_THREADS) {
    atomic.add<i32>(p, 1);
    atomic.notify(p);
  } else {
    store<i32>(p, load<i32>(p) + 1);
  }
}

/** GEMM C[b] = op(A[b]) @ op(B[bB]) for every batch b (bB = b, or 0 when strideB == 0), shared by all threads
 *  that call it with the same arguments (except `work`). Strides are in floats between batch matrices.
 *
 *  mode 0 ("rows"): B is packed once into `packed` (NR-column panels for every batch of B and every k block;
 *    batchB * K * roundUp(N, 8) floats) by all threads together; then units of `unit` output rows (a multiple
 *    of MR) are claimed: each packs its rows of A into its own `work` and sweeps all N columns.
 *  mode 1 ("cols"): A is packed once into `packed` (MR-row panels; batch * K * roundUp(M, 5) floats); then units
 *    of `unit` output columns (a multiple of NR) are claimed: each packs its columns of B into `work` and sweeps
 *    all M rows in blocks of MC.
 *  work: roundUp(unit, MR or NR) * min(KC, K) floats, then 40 floats of scratch for edge tiles.
 *  ctrl: the work-sharing words (see above), zeroed except "go".
 *  Returns the number of compute units this thread did. */
export function gemm(
  a: usize, b: usize, c: usize,
  batch: i32, strideA: i32, strideB: i32, strideC: i32,
  M: i32, K: i32, N: i32, transA: i32, transB: i32,
  mode: i32, packed: usize, ctrl: usize, work: usize,
  KC: i32, MC: i32, unit: i32,
): i32 {
  let units = 0;
  const tA = transA != 0, tB = transB != 0;
  waitFor(ctrl + 192, 1);
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
      const base = packed + <usize>(strideB != 0 ? bi : 0) * <usize>K * Np * 4;
      for (let pc = 0; pc < K; pc += KC) {
        const kc = min(KC, K - pc);
        packA(A, work, M, K, tA, ic, mc, pc, kc);
        macroKernel(work, base + <usize>pc * Np * 4, C, N, mc, N, kc, pc > 0, tmp);
      }
    }
  } else {
    const Mp = <usize>((M + MR - 1) / MR * MR);
    const groups = (M + 39) / 40; // pack units: 40 rows of one batch of A, all k blocks
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
      const B = b + <usize>(strideB != 0 ? bi : 0) * <usize>strideB * 4;
      const C = c + (<usize>bi * <usize>strideC + <usize>jc) * 4;
      const base = packed + <usize>bi * <usize>K * Mp * 4;
      for (let pc = 0; pc < K; pc += KC) {
        const kc = min(KC, K - pc);
        packB(B, work, K, N, tB, pc, kc, jc, nc);
        for (let ic = 0; ic < M; ic += MC) {
          const mc = min(MC, M - ic);
          macroKernel(base + (<usize>pc * Mp + <usize>ic * <usize>kc) * 4, work, C + <usize>ic * <usize>N * 4, N, mc, nc, kc, pc > 0, tmp);
        }
      }
    }
  }
  return units;
}

// ---------------------------------------------------------------------------------------------------------
// Elementwise binary ops.  op codes: 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 cmpgt, 6 cmpeq
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function binV(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(x, y);
    case 1: return f32x4.sub(x, y);
    case 2: return f32x4.mul(x, y);
    case 3: return f32x4.div(x, y);
    case 4: return f32x4.max(x, y);
    case 5: return v128.and(f32x4.gt(x, y), f32x4.splat(1));
    default: return v128.and(f32x4.eq(x, y), f32x4.splat(1));
  }
}
// @ts-ignore: decorator
@inline function binS(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case 0: return x + y;
    case 1: return x - y;
    case 2: return x * y;
    case 3: return x / y;
    case 4: return max<f32>(x, y);
    case 5: return x > y ? <f32>1 : <f32>0;
    default: return x == y ? <f32>1 : <f32>0;
  }
}

// out[i] = x[i] op y[i]
// @ts-ignore: decorator
@inline function vvLoop(op: i32, x: usize, y: usize, o: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = <usize>i * 4;
    const r0 = binV(op, v128.load(x + q), v128.load(y + q));
    const r1 = binV(op, v128.load(x + q, 16), v128.load(y + q, 16));
    v128.store(o + q, r0);
    v128.store(o + q, r1, 16);
  }
  for (; i < n; i++) {
    const q = <usize>i * 4;
    store<f32>(o + q, binS(op, load<f32>(x + q), load<f32>(y + q)));
  }
}
// out[i] = x[i] op s   (or s op x[i] when swapped)
// @ts-ignore: decorator
@inline function vsLoop(op: i32, x: usize, s: f32, o: usize, n: i32, swapped: bool): void {
  const sv = f32x4.splat(s);
  let i = 0;
  if (!swapped) {
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i * 4;
      const r0 = binV(op, v128.load(x + q), sv);
      const r1 = binV(op, v128.load(x + q, 16), sv);
      v128.store(o + q, r0);
      v128.store(o + q, r1, 16);
    }
    for (; i < n; i++) store<f32>(o + <usize>i * 4, binS(op, load<f32>(x + <usize>i * 4), s));
  } else {
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i * 4;
      const r0 = binV(op, sv, v128.load(x + q));
      const r1 = binV(op, sv, v128.load(x + q, 16));
      v128.store(o + q, r0);
      v128.store(o + q, r1, 16);
    }
    for (; i < n; i++) store<f32>(o + <usize>i * 4, binS(op, s, load<f32>(x + <usize>i * 4)));
  }
}

function vv(op: i32, x: usize, y: usize, o: usize, n: i32): void {
  switch (op) {
    case 0: vvLoop(0, x, y, o, n); break;
    case 1: vvLoop(1, x, y, o, n); break;
    case 2: vvLoop(2, x, y, o, n); break;
    case 3: vvLoop(3, x, y, o, n); break;
    case 4: vvLoop(4, x, y, o, n); break;
    case 5: vvLoop(5, x, y, o, n); break;
    default: vvLoop(6, x, y, o, n); break;
  }
}
function vs(op: i32, x: usize, s: f32, o: usize, n: i32, swapped: bool): void {
  switch (op) {
    case 0: vsLoop(0, x, s, o, n, swapped); break;
    case 1: vsLoop(1, x, s, o, n, swapped); break;
    case 2: vsLoop(2, x, s, o, n, swapped); break;
    case 3: vsLoop(3, x, s, o, n, swapped); break;
    case 4: vsLoop(4, x, s, o, n, swapped); break;
    case 5: vsLoop(5, x, s, o, n, swapped); break;
    default: vsLoop(6, x, s, o, n, swapped); break;
  }
}

/** out[i] = full[i] op bc[floor((start + i) / repeat) % bcLen]   (bc[...] op full[i] when swapped); i < n.
 *  full/out point at element `start` of the logical arrays (so long arrays can be streamed in chunks). */
export function binary(op: i32, full: usize, bc: usize, out: usize, n: i32, bcLen: i32, repeat: i32, swapped: i32, start: i32): void {
  const sw = swapped != 0;
  if (bcLen == 1) {
    vs(op, full, load<f32>(bc), out, n, sw);
  } else if (repeat == 1) {
    let pos = start % bcLen;
    for (let s = 0; s < n; ) {
      const q = <usize>s * 4;
      const len = min(bcLen - pos, n - s);
      const y = bc + <usize>pos * 4;
      if (sw) vv(op, y, full + q, out + q, len);
      else vv(op, full + q, y, out + q, len);
      s += len;
      pos = 0;
    }
  } else {
    let seg = (start / repeat) % bcLen;
    let off = start % repeat;
    for (let s = 0; s < n; ) {
      const q = <usize>s * 4;
      const len = min(repeat - off, n - s);
      vs(op, full + q, load<f32>(bc + <usize>seg * 4), out + q, len, sw);
      s += len;
      off = 0;
      seg++;
      if (seg == bcLen) seg = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Unary ops.  op codes: 0 neg, 1 exp, 2 log, 3 sqrt, 4 tanh, 5 erf, 6 abs
// ---------------------------------------------------------------------------------------------------------

// ---- generated by assembly/tools/fit-erf.mjs ----
// erf(x)/x for |x| < 1: Maclaurin series in z = x*x (18 terms), Horner form.
// @ts-ignore: decorator
@inline function erfSmallP(z: f64): f64 {
  let p: f64 = -9.0639708428086728e-17;
  p = p * z + 1.6342614095367156e-15;
  p = p * z + -2.7835162072109215e-14;
  p = p * z + 4.4632242632864770e-13;
  p = p * z + -6.7113668551641113e-12;
  p = p * z + 9.4227590646504113e-11;
  p = p * z + -1.2290555301717928e-9;
  p = p * z + 1.4807192815879219e-8;
  p = p * z + -1.6365844691234927e-7;
  p = p * z + 0.0000016462114365889246;
  p = p * z + -0.000014925650358406252;
  p = p * z + 0.00012055332981789664;
  p = p * z + -0.00085483270234508544;
  p = p * z + 0.0052239776254421879;
  p = p * z + -0.026866170645131252;
  p = p * z + 0.11283791670955128;
  p = p * z + -0.37612638903183754;
  p = p * z + 1.1283791670955126;
  return p;
}
// erfc(x) * exp(x*x) for 1 <= x <= 4: Chebyshev series (degree 19) in t = (2x - 5) / 3, Clenshaw.
// @ts-ignore: decorator
@inline function erfcScaledMid(x: f64): f64 {
  const t = (2.0 * x - 5.0) / 3.0;
  const t2 = 2.0 * t;
  let b1: f64 = 0.0, b2: f64 = 0.0, b0: f64 = 0.0;
  b0 = t2 * b1 - b2 + -3.0027369479768144e-14; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 1.8865603523821051e-13; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -1.1342801697900029e-12; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 6.7013783411340457e-12; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -3.8879097163935230e-11; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 2.2131518839785258e-10; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -1.2349070321882040e-9; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 6.7476018827949964e-9; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -3.6063206487746416e-8; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 1.8829006885878742e-7; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -9.5899448309677568e-7; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 0.0000047568746915527262; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -0.000022936634481746099; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 0.00010727375453778998; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -0.00048539876407998066; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 0.0021184239975531316; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -0.0088840986182224472; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + 0.035635114148534951; b2 = b1; b1 = b0;
  b0 = t2 * b1 - b2 + -0.13589862891594598; b2 = b1; b1 = b0;
  return t * b1 - b2 + 0.24442575284923571;
}
// ---- end generated ----

/** erf in double precision internally (abs. error ~1e-14 before rounding to f32). */
function erf32(xf: f32): f32 {
  const x = <f64>xf;
  const ax = Math.abs(x);
  if (ax < 1.0) return <f32>(x * erfSmallP(x * x));
  if (ax < 4.0) {
    const r = 1.0 - Math.exp(-(ax * ax)) * erfcScaledMid(ax);
    return <f32>(x < 0 ? -r : r);
  }
  if (ax >= 4.0) return x < 0 ? <f32>-1 : <f32>1; // erfc(4) = 1.5e-8 < ulp(1)/2
  return xf; // NaN
}

export function unary(op: i32, a: usize, out: usize, n: i32): void {
  let i = 0;
  switch (op) {
    case 0: {
      for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, f32x4.neg(v128.load(a + <usize>i * 4)));
      for (; i < n; i++) store<f32>(out + <usize>i * 4, -load<f32>(a + <usize>i * 4));
      break;
    }
    case 3: {
      for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, f32x4.sqrt(v128.load(a + <usize>i * 4)));
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.sqrt(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 6: {
      for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, f32x4.abs(v128.load(a + <usize>i * 4)));
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.abs(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 1: {
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.exp(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 2: {
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.log(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 4: {
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.tanh(load<f32>(a + <usize>i * 4)));
      break;
    }
    default: {
      for (; i < n; i++) store<f32>(out + <usize>i * 4, erf32(load<f32>(a + <usize>i * 4)));
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reductions over the middle axis of [outer, n, inner].  op: 0 sum (accumulated in f64), 1 max.
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function hi2lo(v: v128): v128 {
  return i32x4.shuffle(v, v, 2, 3, 0, 1);
}

function sumRows(a: usize, out: usize, outer: i32, n: i32): void {
  for (let o = 0; o < outer; o++) {
    const row = a + <usize>o * <usize>n * 4;
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const v = v128.load(row + <usize>i * 4);
      const w = v128.load(row + <usize>i * 4, 16);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi2lo(v)));
      s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
      s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hi2lo(w)));
    }
    const t = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
    let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
    for (; i < n; i++) s += <f64>load<f32>(row + <usize>i * 4);
    store<f32>(out + <usize>o * 4, <f32>s);
  }
}

function maxRows(a: usize, out: usize, outer: i32, n: i32): void {
  for (let o = 0; o < outer; o++) {
    const row = a + <usize>o * <usize>n * 4;
    let m0 = f32x4.splat(-Infinity), m1 = f32x4.splat(-Infinity);
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      m0 = f32x4.max(m0, v128.load(row + <usize>i * 4));
      m1 = f32x4.max(m1, v128.load(row + <usize>i * 4, 16));
    }
    const m = f32x4.max(m0, m1);
    let s = max<f32>(max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max<f32>(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
    for (; i < n; i++) s = max<f32>(s, load<f32>(row + <usize>i * 4));
    store<f32>(out + <usize>o * 4, s);
  }
}

function sumCols(a: usize, out: usize, outer: i32, n: i32, inner: i32): void {
  const ld = <usize>inner * 4;
  for (let o = 0; o < outer; o++) {
    const base = a + <usize>o * <usize>n * ld;
    const dst = out + <usize>o * ld;
    let j = 0;
    for (; j + 8 <= inner; j += 8) {
      let p = base + <usize>j * 4;
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      for (let i = 0; i < n; i++) {
        const v = v128.load(p);
        const w = v128.load(p, 16);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
        s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi2lo(v)));
        s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
        s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hi2lo(w)));
        p += ld;
      }
      const q = dst + <usize>j * 4;
      v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 1, 4, 5));
      v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(s2), f32x4.demote_f64x2_zero(s3), 0, 1, 4, 5), 16);
    }
    for (; j < inner; j++) {
      let p = base + <usize>j * 4;
      let s: f64 = 0;
      for (let i = 0; i < n; i++) {
        s += <f64>load<f32>(p);
        p += ld;
      }
      store<f32>(dst + <usize>j * 4, <f32>s);
    }
  }
}

function maxCols(a: usize, out: usize, outer: i32, n: i32, inner: i32): void {
  const ld = <usize>inner * 4;
  for (let o = 0; o < outer; o++) {
    const base = a + <usize>o * <usize>n * ld;
    const dst = out + <usize>o * ld;
    let j = 0;
    for (; j + 16 <= inner; j += 16) {
      let p = base + <usize>j * 4;
      let m0 = f32x4.splat(-Infinity), m1 = f32x4.splat(-Infinity), m2 = f32x4.splat(-Infinity), m3 = f32x4.splat(-Infinity);
      for (let i = 0; i < n; i++) {
        m0 = f32x4.max(m0, v128.load(p));
        m1 = f32x4.max(m1, v128.load(p, 16));
        m2 = f32x4.max(m2, v128.load(p, 32));
        m3 = f32x4.max(m3, v128.load(p, 48));
        p += ld;
      }
      const q = dst + <usize>j * 4;
      v128.store(q, m0); v128.store(q, m1, 16); v128.store(q, m2, 32); v128.store(q, m3, 48);
    }
    for (; j + 4 <= inner; j += 4) {
      let p = base + <usize>j * 4;
      let m0 = f32x4.splat(-Infinity);
      for (let i = 0; i < n; i++) {
        m0 = f32x4.max(m0, v128.load(p));
        p += ld;
      }
      v128.store(dst + <usize>j * 4, m0);
    }
    for (; j < inner; j++) {
      let p = base + <usize>j * 4;
      let s: f32 = -Infinity;
      for (let i = 0; i < n; i++) {
        s = max<f32>(s, load<f32>(p));
        p += ld;
      }
      store<f32>(dst + <usize>j * 4, s);
    }
  }
}

export function reduce(op: i32, a: usize, out: usize, outer: i32, n: i32, inner: i32): void {
  if (inner == 1) {
    if (op == 0) sumRows(a, out, outer, n);
    else maxRows(a, out, outer, n);
  } else {
    if (op == 0) sumCols(a, out, outer, n, inner);
    else maxCols(a, out, outer, n, inner);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Top-k per row.  A binary min-heap of the k best (value, index) pairs seen so far (root = worst), stored in the
// row's own output slots (indices as i32 during the scan), then heap-sorted into best-first order.
// "Better" = larger value; NaN counts as larger than any number; equal values: lower index is better.
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function better(va: f32, ia: i32, vb: f32, ib: i32): bool {
  if (va != va) return vb != vb ? ia < ib : true;
  if (vb != vb) return false;
  return va > vb || (va == vb && ia < ib);
}

function siftDown(hv: usize, hi: usize, start: i32, size: i32): void {
  let pos = start;
  const v = load<f32>(hv + <usize>pos * 4);
  const id = load<i32>(hi + <usize>pos * 4);
  while (true) {
    let child = 2 * pos + 1;
    if (child >= size) break;
    let cv = load<f32>(hv + <usize>child * 4);
    let ci = load<i32>(hi + <usize>child * 4);
    if (child + 1 < size) {
      const rv = load<f32>(hv + <usize>(child + 1) * 4);
      const ri = load<i32>(hi + <usize>(child + 1) * 4);
      if (better(cv, ci, rv, ri)) { child++; cv = rv; ci = ri; } // pick the worse child
    }
    if (!better(v, id, cv, ci)) break; // v is already worse than (or equal to) its worse child
    store<f32>(hv + <usize>pos * 4, cv);
    store<i32>(hi + <usize>pos * 4, ci);
    pos = child;
  }
  store<f32>(hv + <usize>pos * 4, v);
  store<i32>(hi + <usize>pos * 4, id);
}

function siftUp(hv: usize, hi: usize, pos0: i32): void {
  let pos = pos0;
  const v = load<f32>(hv + <usize>pos * 4);
  const id = load<i32>(hi + <usize>pos * 4);
  while (pos > 0) {
    const parent = (pos - 1) >> 1;
    const pv = load<f32>(hv + <usize>parent * 4);
    const pi = load<i32>(hi + <usize>parent * 4);
    if (!better(pv, pi, v, id)) break; // parent already worse
    store<f32>(hv + <usize>pos * 4, pv);
    store<i32>(hi + <usize>pos * 4, pi);
    pos = parent;
  }
  store<f32>(hv + <usize>pos * 4, v);
  store<i32>(hi + <usize>pos * 4, id);
}

export function topk(x: usize, rows: i32, n: i32, k: i32, values: usize, indices: usize): void {
  if (k <= 0) return;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * <usize>n * 4;
    const hv = values + <usize>r * <usize>k * 4;
    const hi = indices + <usize>r * <usize>k * 4;
    for (let j = 0; j < k; j++) {
      store<f32>(hv + <usize>j * 4, load<f32>(row + <usize>j * 4));
      store<i32>(hi + <usize>j * 4, j);
      siftUp(hv, hi, j);
    }
    let t = load<f32>(hv); // worst kept value; a later element enters iff it is > t (or NaN while t is not)
    let j = k;
    if (t == t) {
      // Skip 4 at a time while none of them can enter.
      for (; j + 4 <= n; j += 4) {
        const v = v128.load(row + <usize>j * 4);
        if (!v128.any_true(v128.or(f32x4.gt(v, f32x4.splat(t)), f32x4.ne(v, v)))) continue;
        for (let jj = j; jj < j + 4; jj++) {
          const xv = load<f32>(row + <usize>jj * 4);
          if (xv > t || (xv != xv && t == t)) {
            store<f32>(hv, xv);
            store<i32>(hi, jj);
            siftDown(hv, hi, 0, k);
            t = load<f32>(hv);
          }
        }
      }
      for (; j < n; j++) {
        const xv = load<f32>(row + <usize>j * 4);
        if (xv > t || (xv != xv && t == t)) {
          store<f32>(hv, xv);
          store<i32>(hi, j);
          siftDown(hv, hi, 0, k);
          t = load<f32>(hv);
        }
      }
    }
    // Heap sort: repeatedly move the worst to the end -> best-first order.
    for (let end = k - 1; end > 0; end--) {
      const v0 = load<f32>(hv), i0 = load<i32>(hi);
      store<f32>(hv, load<f32>(hv + <usize>end * 4));
      store<i32>(hi, load<i32>(hi + <usize>end * 4));
      store<f32>(hv + <usize>end * 4, v0);
      store<i32>(hi + <usize>end * 4, i0);
      siftDown(hv, hi, 0, end);
    }
    for (let jj = 0; jj < k; jj++) store<f32>(hi + <usize>jj * 4, <f32>load<i32>(hi + <usize>jj * 4));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Adam / AdamW step (PyTorch semantics), in place on p, m, v.
//   decay:  p *= decay            (AdamW: 1 - lr*wd; otherwise 1)
//   l2:     g' = g + l2 * p       (Adam with weight_decay; otherwise 0)
//   m = b1*m + (1-b1)*g';  v = b2*v + (1-b2)*g'^2;  p -= stepSize * m / (sqrt(v) / bc2sqrt + eps)
// ---------------------------------------------------------------------------------------------------------

export function adam(p: usize, g: usize, m: usize, v: usize, n: i32,
  b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32, stepSize: f32, bc2sqrt: f32, decay: f32, l2: f32): void {
  const B1 = f32x4.splat(b1), OMB1 = f32x4.splat(omb1), B2 = f32x4.splat(b2), OMB2 = f32x4.splat(omb2);
  const EPS = f32x4.splat(eps), SS = f32x4.splat(stepSize), BC2 = f32x4.splat(bc2sqrt);
  const DEC = f32x4.splat(decay), L2 = f32x4.splat(l2);
  const doDecay = decay != 1, doL2 = l2 != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i * 4;
    let pv = v128.load(p + q);
    let gv = v128.load(g + q);
    if (doDecay) pv = f32x4.mul(pv, DEC);
    if (doL2) gv = f32x4.add(gv, f32x4.mul(L2, pv));
    const mv = f32x4.add(f32x4.mul(B1, v128.load(m + q)), f32x4.mul(OMB1, gv));
    const vv2 = f32x4.add(f32x4.mul(B2, v128.load(v + q)), f32x4.mul(OMB2, f32x4.mul(gv, gv)));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv2), BC2), EPS);
    pv = f32x4.sub(pv, f32x4.mul(SS, f32x4.div(mv, denom)));
    v128.store(p + q, pv);
    v128.store(m + q, mv);
    v128.store(v + q, vv2);
  }
  for (; i < n; i++) {
    const q = <usize>i * 4;
    let pv = load<f32>(p + q);
    let gv = load<f32>(g + q);
    if (doDecay) pv = pv * decay;
    if (doL2) gv = gv + l2 * pv;
    const mv = b1 * load<f32>(m + q) + omb1 * gv;
    const vv2 = b2 * load<f32>(v + q) + omb2 * (gv * gv);
    const denom = Mathf.sqrt(vv2) / bc2sqrt + eps;
    pv = pv - stepSize * (mv / denom);
    store<f32>(p + q, pv);
    store<f32>(m + q, mv);
    store<f32>(v + q, vv2);
  }
}
