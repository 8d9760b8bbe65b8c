// The matmul wrapper: plans the blocking and the work split of a batched product, lays it out in the arena
// and runs assembly/gemm.ts on the calling thread and, for big products, the helper threads together
// (shared.ts). Inside gemm all threads first pack the shared operand together, then claim output blocks from
// an atomic counter until none are left, so a slow or late thread just does less. KC depends only on K and
// every output element sees the same sequence of float operations whoever computes it, so results are
// bit-identical for any thread count.
import { align64, input, output } from './arena.js';
import type { Instance } from './loader.js';
import { CTRL_BYTES, runShared } from './shared.js';

// Tuning constants. KC/MC/NC depend only on the problem shape, never on the thread split.
const MR = 4;
const NR = 8;
/** K up to this is not blocked (one packed panel spans all of K). */
const KC_MAX = 512;
/** Target k-block when K > KC_MAX. */
const KC_TARGET = 512;
/** Floats of a packed A row block (MC x KC) or B column block (KC x unit) kept hot in L2. */
const L2_BLOCK_FLOATS = 48 * 1024;
/** Below this many flops (2*batch*M*K*N) a matmul runs on the calling thread only. */
const PARALLEL_MIN_FLOPS = 6e6;
/** With several threads, aim for at least this many work units per thread (dynamic load balancing). */
const UNITS_PER_THREAD = 8;
/** Products with M * N at most this (and K at most SMALL_MAX_K) skip the packing: mode 2, assembly/small.ts. */
const SMALL_MAX_MN = 48 * 48;
const SMALL_MAX_K = 256;

const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;

interface GemmPlan {
  /** Threads that take part (1 = calling thread only). */
  threads: number;
  /** 0: share packed B, split output rows; 1: share packed A, split output columns; 2: small, split batches. */
  mode: 0 | 1 | 2;
  KC: number;
  MC: number;
  /** Rows (mode 0, multiple of MR), columns (mode 1, multiple of NR) or batches (mode 2) per work unit. */
  unit: number;
  /** Floats of the shared packed operand, and of each thread's private work area. */
  packedFloats: number;
  workFloats: number;
}

/** Blocking and work split. Everything but `threads` and `unit` depends on the shape alone, and neither of
 *  those changes any output element's arithmetic, so every thread count gives bit-identical results. */
export function planGemm(maxThreads: number, batch: number, M: number, K: number, N: number,
  bBatched: boolean): GemmPlan {
  const threads = maxThreads > 1 && 2 * batch * M * K * N >= PARALLEL_MIN_FLOPS ? maxThreads : 1;
  if (M * N <= SMALL_MAX_MN && K <= SMALL_MAX_K) {
    const unit = threads > 1 ? Math.max(1, Math.ceil(batch / (UNITS_PER_THREAD * threads))) : batch;
    return { threads, mode: 2, KC: K, MC: M, unit, packedFloats: 0, workFloats: K * roundUp(N, 4) };
  }
  const KC = K <= KC_MAX ? K : Math.ceil(K / Math.ceil(K / KC_TARGET));
  const kc = Math.min(KC, K);
  const MC = Math.max(MR, Math.floor(L2_BLOCK_FLOATS / kc / MR) * MR);
  const NCU = Math.max(NR, Math.floor(L2_BLOCK_FLOATS / kc / NR) * NR);
  const mode: 0 | 1 = M >= N ? 0 : 1;
  const [len, step, cap] = mode === 0 ? [M, MR, MC] : [N, NR, NCU];
  let unit = Math.min(cap, roundUp(len, step));
  if (threads > 1) {
    const perBatch = Math.ceil((UNITS_PER_THREAD * threads) / batch);
    // Each unit streams the whole shared packed operand once; when K is blocked (dW = X^T dY, K = tokens)
    // that operand is megabytes, read from L3 per unit, so such units are twice as big (~4% faster at M = 128).
    const minUnit = (K > KC_MAX ? 8 : 4) * step;
    unit = Math.min(unit, Math.max(minUnit, roundUp(Math.ceil(len / perBatch), step)));
  }
  const packedFloats = mode === 0 ? (bBatched ? batch : 1) * K * roundUp(N, NR) : batch * K * roundUp(M, MR);
  const workFloats = roundUp(unit, mode === 0 ? MR : NR) * kc + 40;
  return { threads, mode, KC, MC, unit, packedFloats, workFloats };
}

export function checkDim(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new RangeError(`wasm kernels: ${name} must be a non-negative integer, got ${v}`);
  }
}

export function checkLen(name: string, arr: Float32Array, need: number): void {
  if (arr.length < need) throw new RangeError(`wasm kernels: ${name} has ${arr.length} elements, needs ${need}`);
}

/** out[b] = op(A[b]) @ op(B[b or 0]) (+ bias [N] on every row), all row-major and contiguous. A is [batch, M, K]
 *  ([batch, K, M] when transA); B is [batchB, K, N] ([batchB, N, K] when transB), batchB = bBatched ? batch : 1
 *  (one B shared by every batch). out is [batch, M, N] and is overwritten. Returns the work units helper threads
 *  did. */
export function matmul(inst: Instance, a: Float32Array, b: Float32Array, out: Float32Array, batch: number, M: number,
  K: number, N: number, transA: boolean, transB: boolean, bBatched: boolean, bias?: Float32Array): number {
  checkDim('batch', batch); checkDim('M', M); checkDim('K', K); checkDim('N', N);
  const lenA = batch * M * K, lenB = (bBatched ? batch : 1) * K * N, lenC = batch * M * N;
  checkLen('a', a, lenA); checkLen('b', b, lenB); checkLen('out', out, lenC);
  if (bias) checkLen('bias', bias, N);
  if (lenC === 0) return 0;
  if (K === 0) {
    // An empty sum: zeros, or the bias on every row.
    for (let r = 0; r < lenC; r += N) bias ? out.set(bias.subarray(0, N), r) : out.fill(0, r, r + N);
    return 0;
  }

  // One B shared by all batches and A not transposed: [batch, M, K] is just a [batch*M, K] matrix.
  if (!bBatched && !transA && batch > 1) { M *= batch; batch = 1; }
  const { arena, helpers } = inst;
  const plan = planGemm(helpers ? helpers.helpers + 1 : 1, batch, M, K, N, bBatched);
  const workBytes = align64(plan.workFloats * 4);
  const ops = arena.place([input(a, lenA), input(b, lenB), output(out, lenC), plan.packedFloats, CTRL_BYTES / 4,
    bias ? input(bias, N) : 0, (workBytes / 4) * plan.threads]);
  const [pA, pB, pC, pPacked, pCtrl, pBias, pWork] = ops.at;
  const argsOf = (t: number): number[] => [
    pA!, pB!, pC!, batch, M * K, bBatched ? K * N : 0, M * N, M, K, N, transA ? 1 : 0, transB ? 1 : 0,
    plan.mode, pPacked!, pCtrl!, pWork! + t * workBytes, plan.KC, plan.MC, plan.unit, bias ? pBias! : 0,
  ];
  const share = plan.threads > 1 ? inst : { ...inst, helpers: null };
  const helperUnits = runShared(share, 'gemm', argsOf, pCtrl!, ops.copyIn);
  ops.copyOut();
  return helperUnits;
}
