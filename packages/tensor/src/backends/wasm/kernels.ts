// Fast float32 kernels for @saelab/tensor: WebAssembly SIMD compiled from assembly/kernels.ts by
// scripts/build-wasm.mjs (embedded as base64 in kernels-wasm.generated.ts), with matmuls shared between the
// calling thread and worker threads over one shared WebAssembly.Memory.
//
// Memory: one linear memory per WasmKernels object, owned by this file. Every call places its operands in a
// bump arena above the module's static data (__heap_base), copies the inputs in with Float32Array.set, runs the
// kernel and copies the result out. The arena is reset at each call; the memory only grows (geometrically, up
// to 4 GiB), to the largest single call's need. Elementwise ops, reductions, top-k and Adam stream long arrays
// through in chunks, so they need little memory; a matmul needs about its inputs + output + packed copy of one
// operand.
//
// Threads (Node only): the main thread and `threads - 1` worker_threads (started from an inline source string,
// unref'd) instantiate the same module against the same shared memory. For a matmul of at least
// PARALLEL_MIN_FLOPS the main thread lays out the arena, wakes the workers through Atomics.notify on a small
// control block (no postMessage per call), copies the inputs in while they start, then runs the same gemm call
// itself. Inside gemm all threads first pack the shared operand together, then claim output blocks (whole
// MR-row or NR-column panels) from an atomic counter until none are left, so a slow or late thread just does
// less; the main thread then waits only for workers that actually started. KC depends only on K and every
// output element sees the same sequence of float operations whoever computes it, so results are bit-identical
// for any thread count. Without SharedArrayBuffer (e.g. a page that is not cross-origin isolated) the
// single-threaded module runs on an ordinary memory.
import {
  KERNELS_WASM_MT_BASE64,
  KERNELS_WASM_MT_MAX_PAGES,
  KERNELS_WASM_ST_BASE64,
} from './kernels-wasm.generated.js';

export type WasmUnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'erf' | 'abs';
export type WasmBinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'cmpgt' | 'cmpeq'; // cmpgt/cmpeq give 1 or 0

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
  step: number;
}

export interface WasmKernels {
  /** Worker threads in use for big kernels (1 = main thread only). */
  readonly threads: number;
  /** out[b] = op(A[b]) @ op(B[b or 0]), all row-major and contiguous.
   *  A is [batch, M, K] ([batch, K, M] when transA); B is [batchB, K, N] ([batchB, N, K] when transB),
   *  batchB = bBatched ? batch : 1 (one B shared by every batch). out is [batch, M, N] and is overwritten. */
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, M: number, K: number, N: number,
         transA: boolean, transB: boolean, bBatched: boolean): void;
  /** out[i] = op(a[i]); a and out have equal length (out may be a). */
  unary(op: WasmUnaryOp, a: Float32Array, out: Float32Array): void;
  /** out[i] = full[i] op bc[floor(i / repeat) % bc.length]  (or bc[...] op full[i] when swapped).
   *  Covers same shape (repeat 1, bc.length n), scalar (bc.length 1), trailing-dims broadcast
   *  (repeat 1, bc.length D) and leading-dims broadcast [N,1] (repeat D, bc.length N). */
  binary(op: WasmBinaryOp, full: Float32Array, bc: Float32Array, out: Float32Array, repeat: number, swapped: boolean): void;
  /** Reduce the middle axis of a viewed as [outer, n, inner] into out [outer, inner]. */
  reduce(op: 'sum' | 'max', a: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void;
  /** Per row of x [rows, n]: the k largest values in descending order and their column indices
   *  (written as float32 integers); ties keep the lower index first. */
  topk(x: Float32Array, rows: number, n: number, k: number, values: Float32Array, indices: Float32Array): void;
  /** One in-place Adam/AdamW step with PyTorch semantics over p, g, m, v of equal length (g is not modified). */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, o: AdamOptions): void;
  /** Stop worker threads (so a Node process can exit). The object must not be used afterwards. */
  dispose(): void;
}

// ------------------------------------------------------------------------------------------------------------
// Tuning constants (GEMM). KC/MC/NC depend only on the problem shape, never on the thread split.
// ------------------------------------------------------------------------------------------------------------

const MR = 5;
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
/** Elementwise kernels stream their operands through the arena in chunks of this many floats. */
const CHUNK = 32 * 1024;

const UNARY_CODES: Record<WasmUnaryOp, number> = { neg: 0, exp: 1, log: 2, sqrt: 3, tanh: 4, erf: 5, abs: 6 };
const BINARY_CODES: Record<WasmBinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, cmpgt: 5, cmpeq: 6 };

interface KernelExports {
  heapBase(): number;
  /** Returns the number of work units the calling thread computed. */
  gemm(...args: GemmArgs): number;
  binary(op: number, full: number, bc: number, out: number, n: number, bcLen: number, repeat: number, swapped: number,
         start: number): void;
  unary(op: number, a: number, out: number, n: number): void;
  reduce(op: number, a: number, out: number, outer: number, n: number, inner: number): void;
  topk(x: number, rows: number, n: number, k: number, values: number, indices: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, b1: number, omb1: number, b2: number, omb2: number,
       eps: number, stepSize: number, bc2sqrt: number, decay: number, l2: number): void;
}

// ------------------------------------------------------------------------------------------------------------
// Worker protocol. One control block of CTRL_INTS int32 per worker in a separate SharedArrayBuffer.
// ------------------------------------------------------------------------------------------------------------

const CTRL_INTS = 32; // 128 bytes per worker: no false sharing between workers
// Posting: the main thread writes OP and ARGS, then TOKEN = seq, then SEQ = seq, and notifies SEQ. A worker that
// wakes claims the task with compareExchange(TOKEN, seq -> 0) and only then reads the arguments; when done it
// sets DONE = seq. After its own share the main thread tries compareExchange(TOKEN, seq -> 0) itself: if that
// succeeds the worker never started (e.g. its CPU was descheduled) and nothing needs waiting for; otherwise it
// waits for DONE. (gemm units are claimed dynamically, so the main thread has already done all the work.)
const C_SEQ = 0; // bumped by the main thread to post a task (the worker sleeps on it)
const C_DONE = 1; // set to the task's seq by the worker when finished
const C_OP = 2; // 0 = exit, 1 = gemm
const C_ERR = 3; // 1 if the task threw
const C_TOKEN = 4; // seq while the posted task is unclaimed, 0 once claimed (by the worker or cancelled)
const C_UNITS = 5; // work units the worker computed in the last task
const C_ARGS = 6; // gemm's 19 arguments
const GEMM_ARGS = 19;
const GEMM_ARG_WORK = 15; // the per-thread argument
/** gemm(a, b, c, batch, strideA, strideB, strideC, M, K, N, transA, transB, mode, packed, ctrl, work, KC, MC, unit):
 *  pointers are byte addresses, strides in floats; see assembly/kernels.ts. */
type GemmArgs = [number, number, number, number, number, number, number, number, number, number, number, number,
  number, number, number, number, number, number, number];

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, ctrl, index } = workerData;
let ex;
try {
  ex = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } }).exports;
} catch (e) {
  parentPort.postMessage({ error: String(e && e.stack || e) });
  throw e;
}
parentPort.postMessage({ ready: true });
const c = new Int32Array(ctrl, index * ${CTRL_INTS * 4}, ${CTRL_INTS});
let seen = 0;
for (;;) {
  Atomics.wait(c, ${C_SEQ}, seen);
  const s = Atomics.load(c, ${C_SEQ});
  if (s === seen) continue;
  seen = s;
  if (Atomics.compareExchange(c, ${C_TOKEN}, s, 0) !== s) continue; // cancelled or superseded
  const op = c[${C_OP}];
  if (op === 0) break;
  let err = 0;
  try {
    if (op === 1) {
      const A = ${C_ARGS};
      c[${C_UNITS}] = ex.gemm(c[A], c[A + 1], c[A + 2], c[A + 3], c[A + 4], c[A + 5], c[A + 6], c[A + 7], c[A + 8], c[A + 9], c[A + 10],
        c[A + 11], c[A + 12], c[A + 13], c[A + 14], c[A + 15], c[A + 16], c[A + 17], c[A + 18]);
    }
  } catch (e) {
    err = 1;
  }
  c[${C_ERR}] = err;
  if (err) c[${C_UNITS}] = 0;
  Atomics.store(c, ${C_DONE}, s);
  Atomics.notify(c, ${C_DONE});
}
`;

// ------------------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------------------

function decodeBase64(s: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(s, 'base64'));
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return !!p?.versions?.node;
}

function envThreads(): number | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const raw = p?.env?.SAELAB_WASM_THREADS;
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SAELAB_WASM_THREADS must be a positive integer, got "${raw}"`);
  return n;
}

const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
const align64 = (x: number): number => Math.ceil(x / 64) * 64; // (no bit ops: offsets may exceed 2^31)

function checkDim(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new RangeError(`wasm kernels: ${name} must be a non-negative integer, got ${v}`);
}
function checkLen(name: string, arr: Float32Array, need: number): void {
  if (arr.length < need) throw new RangeError(`wasm kernels: ${name} has ${arr.length} elements, needs ${need}`);
}

interface GemmPlan {
  /** Threads that take part (1 = calling thread only). */
  threads: number;
  /** 0: share packed B, split output rows; 1: share packed A, split output columns. */
  mode: 0 | 1;
  KC: number;
  MC: number;
  /** Rows (mode 0, multiple of MR) or columns (mode 1, multiple of NR) per work unit. */
  unit: number;
}

/** Blocking and work split. KC depends on K only, so every thread count gives bit-identical results. */
function planGemm(maxThreads: number, batch: number, M: number, K: number, N: number): GemmPlan {
  const KC = K <= KC_MAX ? K : Math.ceil(K / Math.ceil(K / KC_TARGET));
  const kc = Math.min(KC, K);
  const MC = Math.max(MR, Math.floor(L2_BLOCK_FLOATS / kc / MR) * MR);
  const NCU = Math.max(NR, Math.floor(L2_BLOCK_FLOATS / kc / NR) * NR);
  const threads = maxThreads > 1 && 2 * batch * M * K * N >= PARALLEL_MIN_FLOPS ? maxThreads : 1;
  const mode: 0 | 1 = M >= N ? 0 : 1;
  const [len, step, cap] = mode === 0 ? [M, MR, MC] : [N, NR, NCU];
  let unit = Math.min(cap, roundUp(len, step));
  if (threads > 1) {
    const perBatch = Math.ceil((UNITS_PER_THREAD * threads) / batch);
    unit = Math.min(unit, Math.max(4 * step, roundUp(Math.ceil(len / perBatch), step)));
  }
  return { threads, mode, KC, MC, unit };
}

// ------------------------------------------------------------------------------------------------------------
// Implementation
// ------------------------------------------------------------------------------------------------------------

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  once(ev: string, cb: (v: unknown) => void): unknown;
  on(ev: string, cb: (v: unknown) => void): unknown;
  off(ev: string, cb: (v: unknown) => void): unknown;
}

class Kernels implements WasmKernels {
  readonly threads: number;
  private readonly ex: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private readonly maxBytes: number;
  private f32: Float32Array;
  private readonly ctrl: Int32Array | null;
  private readonly workers: NodeWorker[];
  private seq = 0;
  private disposed = false;
  /** Matmul work units computed by worker threads so far (diagnostics, used by the tests). */
  workerUnits = 0;

  constructor(ex: KernelExports, memory: WebAssembly.Memory, maxPages: number, ctrl: Int32Array | null, workers: NodeWorker[]) {
    this.ex = ex;
    this.memory = memory;
    this.base = align64(ex.heapBase());
    this.maxBytes = maxPages * 65536;
    this.f32 = new Float32Array(memory.buffer);
    this.ctrl = ctrl;
    this.workers = workers;
    this.threads = workers.length + 1;
  }

  /** Make sure bytes [base, base + bytes) exist; returns the float32 view of the whole memory. */
  private ensure(bytes: number): Float32Array {
    if (this.disposed) throw new Error('wasm kernels: used after dispose()');
    const need = this.base + bytes;
    let have = this.memory.buffer.byteLength;
    if (need > have) {
      if (need > this.maxBytes) {
        throw new RangeError(`wasm kernels: a call needs ${need} bytes of wasm memory, more than the ${this.maxBytes} available`);
      }
      // Grow geometrically (at least 1/8 more) to avoid many small grows.
      const want = Math.min(this.maxBytes, Math.max(need, have + Math.floor(have / 8)));
      this.memory.grow(Math.ceil((want - have) / 65536));
      have = this.memory.buffer.byteLength;
    }
    if (this.f32.buffer !== this.memory.buffer || this.f32.byteLength !== have) this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }

  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, M: number, K: number, N: number,
         transA: boolean, transB: boolean, bBatched: boolean): void {
    checkDim('batch', batch); checkDim('M', M); checkDim('K', K); checkDim('N', N);
    const lenA = batch * M * K, lenB = (bBatched ? batch : 1) * K * N, lenC = batch * M * N;
    checkLen('a', a, lenA); checkLen('b', b, lenB); checkLen('out', out, lenC);
    if (lenC === 0) return;
    if (K === 0) { out.fill(0, 0, lenC); return; }

    // One B shared by all batches and A not transposed: [batch, M, K] is just a [batch*M, K] matrix.
    if (!bBatched && !transA && batch > 1) { M *= batch; batch = 1; }
    const strideA = M * K, strideB = bBatched ? K * N : 0, strideC = M * N;
    const plan = planGemm(this.threads, batch, M, K, N);
    const { mode, KC, MC, unit } = plan;
    const kc = Math.min(KC, K);
    const packedFloats = mode === 0 ? (bBatched ? batch : 1) * K * roundUp(N, NR) : batch * K * roundUp(M, MR);
    const workBytes = align64((roundUp(unit, mode === 0 ? MR : NR) * kc + 40) * 4);
    const offB = align64(lenA * 4), offC = offB + align64(lenB * 4), offP = offC + align64(lenC * 4);
    const offCtrl = offP + align64(packedFloats * 4), offW = offCtrl + 256;
    const f32 = this.ensure(offW + workBytes * plan.threads);
    const base = this.base;
    const go = (base + offCtrl + 192) >>> 2; // set once the operands are in place
    f32.fill(0, (base + offCtrl) >>> 2, (base + offCtrl + 256) >>> 2); // work-sharing counters, go = 0
    const copyIn = (): void => {
      f32.set(a.length === lenA ? a : a.subarray(0, lenA), base >>> 2);
      f32.set(b.length === lenB ? b : b.subarray(0, lenB), (base + offB) >>> 2);
    };

    const args = [
      base, base + offB, base + offC, batch, strideA, strideB, strideC, M, K, N, transA ? 1 : 0, transB ? 1 : 0,
      mode, base + offP, base + offCtrl, base + offW, KC, MC, unit,
    ].map((x) => x | 0) as GemmArgs;

    if (plan.threads === 1) {
      copyIn();
      new Int32Array(f32.buffer, go * 4, 1)[0] = 1;
      this.ex.gemm(...args);
    } else {
      const ctrl = this.ctrl!;
      const seq = ++this.seq;
      const helpers = plan.threads - 1;
      for (let t = 1; t <= helpers; t++) {
        const o = (t - 1) * CTRL_INTS;
        for (let i = 0; i < GEMM_ARGS; i++) ctrl[o + C_ARGS + i] = args[i]!;
        ctrl[o + C_ARGS + GEMM_ARG_WORK] = (base + offW + t * workBytes) | 0;
        ctrl[o + C_OP] = 1;
        Atomics.store(ctrl, o + C_TOKEN, seq);
        Atomics.store(ctrl, o + C_SEQ, seq);
        Atomics.notify(ctrl, o + C_SEQ);
      }
      // The workers wake up (tens of microseconds) while the inputs are copied in.
      let error: unknown = null;
      try {
        copyIn();
      } catch (e) {
        error = e;
      }
      const goFlag = new Int32Array(f32.buffer, go * 4, 1);
      Atomics.store(goFlag, 0, 1);
      Atomics.notify(goFlag, 0);
      try {
        if (!error) this.ex.gemm(...args);
      } catch (e) {
        error = e;
      }
      let workerFailed = false;
      for (let t = 1; t <= helpers; t++) {
        const o = (t - 1) * CTRL_INTS;
        if (Atomics.compareExchange(ctrl, o + C_TOKEN, seq, 0) === seq) continue; // never started: cancelled
        for (;;) {
          const d = Atomics.load(ctrl, o + C_DONE);
          if (d === seq) break;
          Atomics.wait(ctrl, o + C_DONE, d);
        }
        if (ctrl[o + C_ERR]) workerFailed = true;
        this.workerUnits += ctrl[o + C_UNITS]!;
      }
      if (error) throw error;
      if (workerFailed) throw new Error('wasm kernels: a worker thread failed while computing a matmul');
    }
    out.set(f32.subarray((base + offC) >>> 2, ((base + offC) >>> 2) + lenC));
  }

  unary(op: WasmUnaryOp, a: Float32Array, out: Float32Array): void {
    const code = UNARY_CODES[op];
    if (code === undefined) throw new Error(`wasm kernels: unknown unary op ${String(op)}`);
    if (a.length !== out.length) throw new RangeError('wasm kernels: unary needs a and out of equal length');
    const n = a.length;
    if (n === 0) return;
    const chunk = Math.min(n, CHUNK);
    const f32 = this.ensure(chunk * 4);
    const p = this.base, pf = p >>> 2;
    for (let s = 0; s < n; s += chunk) {
      const len = Math.min(chunk, n - s);
      f32.set(a.subarray(s, s + len), pf);
      this.ex.unary(code, p, p, len);
      out.set(f32.subarray(pf, pf + len), s);
    }
  }

  binary(op: WasmBinaryOp, full: Float32Array, bc: Float32Array, out: Float32Array, repeat: number, swapped: boolean): void {
    const code = BINARY_CODES[op];
    if (code === undefined) throw new Error(`wasm kernels: unknown binary op ${String(op)}`);
    if (full.length !== out.length) throw new RangeError('wasm kernels: binary needs full and out of equal length');
    if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError(`wasm kernels: repeat must be a positive integer, got ${repeat}`);
    const n = full.length, bcLen = bc.length;
    if (n === 0) return;
    if (bcLen === 0) throw new RangeError('wasm kernels: binary needs a non-empty bc');
    const chunk = Math.min(n, CHUNK);
    const sw = swapped ? 1 : 0;
    if (repeat === 1 && bcLen === n) {
      // Same shape: stream both operands.
      const pA = this.base, pB = pA + chunk * 4;
      const f32 = this.ensure(2 * chunk * 4);
      for (let s = 0; s < n; s += chunk) {
        const len = Math.min(chunk, n - s);
        f32.set(full.subarray(s, s + len), pA >>> 2);
        f32.set(bc.subarray(s, s + len), pB >>> 2);
        this.ex.binary(code, pA, pB, pA, len, len, 1, sw, 0);
        out.set(f32.subarray(pA >>> 2, (pA >>> 2) + len), s);
      }
      return;
    }
    // Broadcast: bc stays in the arena, full streams through (the kernel is told each chunk's start index).
    const pBc = this.base, pData = this.base + align64(bcLen * 4), fData = pData >>> 2;
    const f32 = this.ensure(align64(bcLen * 4) + chunk * 4);
    f32.set(bc, pBc >>> 2);
    for (let s = 0; s < n; s += chunk) {
      const len = Math.min(chunk, n - s);
      f32.set(full.subarray(s, s + len), fData);
      this.ex.binary(code, pData, pBc, pData, len, bcLen, repeat, sw, s);
      out.set(f32.subarray(fData, fData + len), s);
    }
  }

  reduce(op: 'sum' | 'max', a: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void {
    if (op !== 'sum' && op !== 'max') throw new Error(`wasm kernels: unknown reduce op ${String(op)}`);
    checkDim('outer', outer); checkDim('n', n); checkDim('inner', inner);
    const slab = n * inner;
    checkLen('a', a, outer * slab); checkLen('out', out, outer * inner);
    if (outer * inner === 0) return;
    // Stream whole outer slices through the arena, several at a time when they are small.
    const per = Math.max(1, Math.floor(CHUNK / Math.max(1, slab)));
    const maxOuter = Math.min(outer, per);
    const pA = this.base, pOut = this.base + align64(maxOuter * slab * 4);
    const f32 = this.ensure(align64(maxOuter * slab * 4) + maxOuter * inner * 4);
    for (let o = 0; o < outer; o += maxOuter) {
      const cnt = Math.min(maxOuter, outer - o);
      f32.set(a.subarray(o * slab, (o + cnt) * slab), pA >>> 2);
      this.ex.reduce(op === 'sum' ? 0 : 1, pA, pOut, cnt, n, inner);
      out.set(f32.subarray(pOut >>> 2, (pOut >>> 2) + cnt * inner), o * inner);
    }
  }

  topk(x: Float32Array, rows: number, n: number, k: number, values: Float32Array, indices: Float32Array): void {
    checkDim('rows', rows); checkDim('n', n); checkDim('k', k);
    if (k > n) throw new RangeError(`wasm kernels: topk k=${k} > n=${n}`);
    checkLen('x', x, rows * n); checkLen('values', values, rows * k); checkLen('indices', indices, rows * k);
    if (rows === 0 || k === 0) return;
    const rowsPer = Math.max(1, Math.min(rows, Math.floor(CHUNK / n)));
    const pX = this.base, pV = pX + align64(rowsPer * n * 4), pI = pV + align64(rowsPer * k * 4);
    const f32 = this.ensure(pI - this.base + rowsPer * k * 4);
    for (let r = 0; r < rows; r += rowsPer) {
      const cnt = Math.min(rowsPer, rows - r);
      f32.set(x.subarray(r * n, (r + cnt) * n), pX >>> 2);
      this.ex.topk(pX, cnt, n, k, pV, pI);
      values.set(f32.subarray(pV >>> 2, (pV >>> 2) + cnt * k), r * k);
      indices.set(f32.subarray(pI >>> 2, (pI >>> 2) + cnt * k), r * k);
    }
  }

  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, o: AdamOptions): void {
    const n = p.length;
    if (g.length !== n || m.length !== n || v.length !== n) throw new RangeError('wasm kernels: adam needs p, g, m, v of equal length');
    if (!(o.step >= 1)) throw new RangeError(`wasm kernels: adam step must be >= 1, got ${o.step}`);
    if (n === 0) return;
    const wd = o.weightDecay || 0;
    const bc1 = 1 - Math.pow(o.beta1, o.step);
    const bc2 = 1 - Math.pow(o.beta2, o.step);
    const stepSize = o.lr / bc1;
    const bc2sqrt = Math.sqrt(bc2);
    const decay = o.decoupled && wd !== 0 ? 1 - o.lr * wd : 1;
    const l2 = !o.decoupled && wd !== 0 ? wd : 0;
    const chunk = Math.min(n, CHUNK);
    const bytes = chunk * 4;
    const f32 = this.ensure(4 * bytes);
    const pp = this.base, pg = pp + bytes, pm = pg + bytes, pv = pm + bytes;
    for (let s = 0; s < n; s += chunk) {
      const len = Math.min(chunk, n - s);
      f32.set(p.subarray(s, s + len), pp >>> 2);
      f32.set(g.subarray(s, s + len), pg >>> 2);
      f32.set(m.subarray(s, s + len), pm >>> 2);
      f32.set(v.subarray(s, s + len), pv >>> 2);
      this.ex.adam(pp, pg, pm, pv, len, o.beta1, 1 - o.beta1, o.beta2, 1 - o.beta2, o.eps, stepSize, bc2sqrt, decay, l2);
      p.set(f32.subarray(pp >>> 2, (pp >>> 2) + len), s);
      m.set(f32.subarray(pm >>> 2, (pm >>> 2) + len), s);
      v.set(f32.subarray(pv >>> 2, (pv >>> 2) + len), s);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const ctrl = this.ctrl;
    if (ctrl) {
      const seq = ++this.seq;
      for (let t = 0; t < this.workers.length; t++) {
        const o = t * CTRL_INTS;
        ctrl[o + C_OP] = 0;
        Atomics.store(ctrl, o + C_TOKEN, seq);
        Atomics.store(ctrl, o + C_SEQ, seq);
        Atomics.notify(ctrl, o + C_SEQ);
      }
    }
    for (const w of this.workers) void w.terminate();
  }
}

const INITIAL_PAGES = 32; // 2 MiB; grown on demand

/** Instantiate the kernels. In Node with SharedArrayBuffer the threaded module runs on `threads` threads
 *  (default 2, or SAELAB_WASM_THREADS); elsewhere (e.g. a page that is not cross-origin isolated) the
 *  single-threaded module runs on a non-shared memory. */
export async function loadWasmKernels(options: { threads?: number } = {}): Promise<WasmKernels> {
  const canShare = typeof SharedArrayBuffer !== 'undefined' && typeof Atomics !== 'undefined';
  const node = isNode();
  let threads = options.threads ?? envThreads() ?? (canShare && node ? 2 : 1);
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`wasm kernels: threads must be a positive integer, got ${threads}`);

  let shared = false;
  let memory: WebAssembly.Memory | undefined;
  if (canShare) {
    try {
      memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: KERNELS_WASM_MT_MAX_PAGES, shared: true });
      shared = true;
    } catch {
      memory = undefined;
    }
  }
  if (!memory) memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const module = await WebAssembly.compile(decodeBase64(shared ? KERNELS_WASM_MT_BASE64 : KERNELS_WASM_ST_BASE64) as BufferSource);
  const imports = { env: { memory, abort: () => { throw new Error('wasm abort'); } } };
  const instance = await WebAssembly.instantiate(module, imports);
  const ex = instance.exports as unknown as KernelExports;
  const maxPages = shared ? KERNELS_WASM_MT_MAX_PAGES : 65536;

  const workers: NodeWorker[] = [];
  let ctrl: Int32Array | null = null;
  if (threads > 1 && shared && node) {
    let Worker: (new (src: string, opts: object) => NodeWorker) | undefined;
    try {
      const spec = 'node:worker_threads';
      Worker = ((await import(/* @vite-ignore */ spec)) as { Worker: typeof Worker }).Worker;
    } catch {
      Worker = undefined;
    }
    if (Worker) {
      const ctrlBuf = new SharedArrayBuffer((threads - 1) * CTRL_INTS * 4);
      ctrl = new Int32Array(ctrlBuf);
      try {
        for (let t = 0; t < threads - 1; t++) {
          const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctrl: ctrlBuf, index: t } });
          workers.push(w);
        }
        await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
          const onMsg = (m: unknown): void => {
            cleanup();
            const msg = m as { ready?: boolean; error?: string };
            if (msg.ready) resolve(); else reject(new Error(`wasm kernels worker failed to start: ${msg.error}`));
          };
          const onErr = (e: unknown): void => { cleanup(); reject(e instanceof Error ? e : new Error(String(e))); };
          const cleanup = (): void => { w.off('message', onMsg); w.off('error', onErr); };
          w.on('message', onMsg);
          w.on('error', onErr);
        })));
      } catch (e) {
        for (const w of workers) void w.terminate();
        throw e;
      }
      for (const w of workers) w.unref();
    }
  }
  if (workers.length === 0) { threads = 1; ctrl = null; }
  return new Kernels(ex, memory, maxPages, ctrl, workers);
}
