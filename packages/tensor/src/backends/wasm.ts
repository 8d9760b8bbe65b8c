/**
 * The `wasm` backend: the reference backend with its kernels replaced by AssemblyScript compiled to
 * WebAssembly SIMD (see ../../assembly and ./wasm/): matmul in every form (with a fused bias),
 * elementwise ops (the fused GELU and its backward included), where, reductions, layer norm, softmax, movement,
 * gathers and scatters, the sparse products, top-k and Adam. Big calls share their work between the calling
 * thread and helper threads over one shared memory. Broadcast patterns the kernels do not cover fall through to
 * the reference loops.
 *
 * Storage lives in the kernels' own memory where it can (Float32Array views of it, see wasm/heap.ts), so the
 * kernels read and write it in place rather than copying every operand in and every result out; released storage
 * goes back to that memory at once, the rest when garbage collected. Where the memory cannot hold tensors (not
 * shared, or full), storage is ordinary arrays and outputs come from a pool of released ones (wasm/pool.ts). Every
 * kernel here overwrites its output completely, so recycled outputs may hold anything beforehand.
 *
 * This class picks each call's output and calls the kernel's wrapper, a function of the instance and the operands
 * that writes a given output (the wrappers check lengths and dimensions, and are what test/wasm-*.test.ts test):
 *
 *   wasm/loader.ts      instantiates the module (threaded on a shared memory where possible), starts the threads
 *   wasm/threads.ts     the helper threads and their control blocks; shared.ts runs a kernel on all threads at once
 *   wasm/heap.ts        the linear memory as blocks: storage that lives there (Float32Array views) and the arena
 *   wasm/arena.ts       where a call finds its operands: in place if they live in the memory, else copied in and out
 *   wasm/gemm.ts        matmul: blocking, work split, threads
 *   wasm/elementwise.ts unary, binary, where, Adam (streamed in chunks)
 *   wasm/rows.ts        reductions, layer norm, softmax, top-k (whole rows at a time)
 *   wasm/indexing.ts    sparse products, gathers and scatters, strided copies (strided.ts plans them)
 *   wasm/pool.ts        released ordinary arrays kept for reuse as outputs, where storage cannot live in the memory
 */
import type { AdamOptions, BackendDescription, BinaryOp, ReduceOp, UnaryOp } from '../backend.js';
import { sizeOf, splitAtAxis, type Shape } from '../shape.js';
import { registerKernelMethods, type FusedMethods } from '../fused.js';
import { ReferenceBackend } from './reference.js';
import { adam, binary, geluGrad, unary, where } from './wasm/elementwise.js';
import { matmul } from './wasm/gemm.js';
import { gatherCombine, gatherDot, gatherLast, gatherRows, scatterAddRows, scatterLast, scatterOuter,
  stridedCopy } from './wasm/indexing.js';
import { disposeInstance, instantiate, threadsOf, type Instance } from './wasm/loader.js';
import { BufferPool } from './wasm/pool.js';
import { maskedAbsScale } from './wasm/score.js';
import { layerNorm, layerNormGrad, reduce, softmax, softmaxGrad, topk } from './wasm/rows.js';
import { expandPlan, padPlan, permutePlan, slicePlan, type StridedCopy } from './wasm/strided.js';

/**
 * Describes `bc` broadcast against the full output `out` as "element i reads bc[floor(i / repeat) % bc.length]",
 * which holds when bc's non-1 axes form one contiguous run matching the output (a scalar, a bias
 * row, a per-row column...). Returns undefined for other patterns.
 */
export function broadcastRun(bc: Shape, out: Shape): { repeat: number } | undefined {
  const padded = [...new Array<number>(out.length - bc.length).fill(1), ...bc];
  const axes = padded.flatMap((d, i) => (d !== 1 ? [i] : []));
  if (axes.length === 0) return { repeat: 1 };
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  for (let i = first; i <= last; i++) if (padded[i] !== out[i]) return undefined;
  return { repeat: sizeOf(out.slice(last + 1)) };
}

/** The most memory the pool of released arrays keeps, by default (bytes). */
const POOL_BYTES = 256 * 1024 * 1024;

/** The fused kernels (fused.ts) this backend has: its methods of the same names, registered at the end. */
const FUSED = [
  'gelu', 'geluGrad', 'layerNorm', 'layerNormGrad', 'matmulBias', 'softmax', 'softmaxGrad', 'maskedAbsTopk', 'adam',
] as const;

export class WasmBackend extends ReferenceBackend implements FusedMethods<Float32Array, (typeof FUSED)[number]> {
  override readonly name = 'wasm';
  /** Threads in use for big kernels (1 = the calling thread only). */
  readonly threads: number;
  private readonly pool: BufferPool;

  constructor(private readonly inst: Instance, poolBytes = POOL_BYTES) {
    super(Float32Array);
    this.threads = threadsOf(inst);
    this.pool = new BufferPool(poolBytes);
  }

  /** Threads and build: 'simd+threads' (a shared memory, helpers possible) or 'simd' (one thread, no
   *  SharedArrayBuffer). */
  override describe(): BackendDescription {
    return { threads: this.threads, module: this.inst.build === 'mt' ? 'simd+threads' : 'simd' };
  }

  /** The engine is done with s: its block goes back to the memory (a view handed back twice is ignored), an
   *  ordinary array to the pool, for a later output. */
  release(s: Float32Array): void {
    const heap = this.inst.arena.heap;
    if (!heap.release(s) && heap.addressOf(s) < 0) this.pool.give(s);
  }

  override fromHost(data: ArrayLike<number>): Float32Array {
    const s = this.alloc(data.length);
    if (!s) return super.fromHost(data) as Float32Array;
    s.set(data); // the same float32 rounding as Float32Array.from
    return s;
  }

  override zeros(size: number): Float32Array {
    const s = this.alloc(size);
    return s ? s.fill(0) : (super.zeros(size) as Float32Array);
  }

  override unary(op: UnaryOp, a: Float32Array, size: number): Float32Array {
    return this.into(size, (inst, out) => unary(inst, op, a, out));
  }

  // The fused kernels (fused.ts), registered at the end of this file.

  gelu(x: Float32Array, size: number): Float32Array {
    return this.into(size, (inst, out) => unary(inst, 'gelu', x, out));
  }

  geluGrad(x: Float32Array, g: Float32Array, size: number): Float32Array {
    return this.into(size, (inst, out) => geluGrad(inst, x, g, out));
  }

  override binary(op: BinaryOp, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape,
    outShape: Shape): Float32Array {
    const n = sizeOf(outShape);
    const aRun = a.length === n ? broadcastRun(bShape, outShape) : undefined;
    const bRun = !aRun && b.length === n ? broadcastRun(aShape, outShape) : undefined;
    if (!aRun && !bRun) return super.binary(op, a, aShape, b, bShape, outShape) as Float32Array;
    return this.into(n, (inst, out) => (aRun ? binary(inst, op, a, b, out, aRun.repeat, false)
      : binary(inst, op, b, a, out, bRun!.repeat, true)));
  }

  override where(c: Float32Array, cShape: Shape, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape,
    outShape: Shape): Float32Array {
    const [cr, ar, br] = [cShape, aShape, bShape].map((s) => broadcastRun(s, outShape));
    if (!cr || !ar || !br) return super.where(c, cShape, a, aShape, b, bShape, outShape) as Float32Array;
    return this.into(sizeOf(outShape), (inst, out) => where(inst,
      { data: c, repeat: cr.repeat }, { data: a, repeat: ar.repeat }, { data: b, repeat: br.repeat }, out));
  }

  layerNorm(x: Float32Array, rows: number, d: number, eps: number): Float32Array {
    return this.into(rows * d, (inst, out) => layerNorm(inst, x, rows, d, eps, out));
  }

  layerNormGrad(x: Float32Array, g: Float32Array, rows: number, d: number, eps: number): Float32Array {
    return this.into(rows * d, (inst, out) => layerNormGrad(inst, x, g, rows, d, eps, out));
  }

  softmax(x: Float32Array, rows: number, n: number): Float32Array {
    return this.into(rows * n, (inst, out) => softmax(inst, x, rows, n, out));
  }

  softmaxGrad(y: Float32Array, g: Float32Array, rows: number, n: number): Float32Array {
    return this.into(rows * n, (inst, out) => softmaxGrad(inst, y, g, rows, n, out));
  }

  override reduce(op: ReduceOp, a: Float32Array, shape: Shape, axis: number): Float32Array {
    const { outer, n, inner } = splitAtAxis(shape, axis);
    return this.into(outer * inner, (inst, out) => reduce(inst, op, a, out, outer, n, inner));
  }

  override matmul(a: Float32Array, b: Float32Array, batch: number, M: number, K: number, N: number,
    transA: boolean, transB: boolean, bBatched: boolean): Float32Array {
    return this.into(batch * M * N, (inst, out) => matmul(inst, a, b, out, batch, M, K, N, transA, transB, bBatched));
  }

  matmulBias(a: Float32Array, b: Float32Array, bias: Float32Array, batch: number, M: number, K: number, N: number,
    transA: boolean, transB: boolean, bBatched: boolean): Float32Array {
    return this.into(batch * M * N,
      (inst, out) => matmul(inst, a, b, out, batch, M, K, N, transA, transB, bBatched, bias));
  }

  override permute(a: Float32Array, shape: Shape, perm: readonly number[]): Float32Array {
    return this.copy(a, permutePlan(shape, perm), a.length);
  }

  override slice(a: Float32Array, shape: Shape, starts: readonly number[], ends: readonly number[]): Float32Array {
    return this.copy(a, slicePlan(shape, starts, ends), sizeOf(starts.map((s, i) => ends[i]! - s)));
  }

  override pad(a: Float32Array, shape: Shape, before: readonly number[], after: readonly number[]): Float32Array {
    return this.copy(a, padPlan(shape, before, after), sizeOf(shape.map((d, i) => before[i]! + d + after[i]!)));
  }

  override expand(a: Float32Array, shape: Shape, outShape: Shape): Float32Array {
    return this.copy(a, expandPlan(shape, outShape), sizeOf(outShape));
  }

  override gatherRows(table: Float32Array, rows: number, cols: number, idx: Float32Array, n: number): Float32Array {
    return this.into(n * cols, (inst, out) => gatherRows(inst, table, rows, cols, idx, n, out));
  }

  override scatterAddRows(src: Float32Array, n: number, cols: number, idx: Float32Array, rows: number): Float32Array {
    return this.into(rows * cols, (inst, out) => scatterAddRows(inst, src, n, cols, idx, rows, out));
  }

  override gatherLast(x: Float32Array, outer: number, n: number, idx: Float32Array, k: number): Float32Array {
    return this.into(outer * k, (inst, out) => gatherLast(inst, x, outer, n, idx, k, out));
  }

  override scatterLast(src: Float32Array, outer: number, k: number, idx: Float32Array, n: number): Float32Array {
    return this.into(outer * n, (inst, out) => scatterLast(inst, src, outer, k, idx, n, out));
  }

  override gatherDot(x: Float32Array, w: Float32Array, idx: Float32Array, B: number, k: number, d: number,
    n: number): Float32Array {
    return this.into(B * k, (inst, out) => gatherDot(inst, x, w, idx, B, k, d, n, out));
  }

  override gatherCombine(v: Float32Array, w: Float32Array, idx: Float32Array, B: number, k: number, d: number,
    n: number): Float32Array {
    return this.into(B * d, (inst, out) => gatherCombine(inst, v, w, idx, B, k, d, n, out));
  }

  override scatterOuter(a: Float32Array, x: Float32Array, idx: Float32Array, B: number, k: number, d: number,
    n: number): Float32Array {
    return this.into(n * d, (inst, out) => scatterOuter(inst, a, x, idx, B, k, d, n, out));
  }

  override topk(x: Float32Array, outer: number, n: number, k: number): Float32Array {
    const values = this.out(outer * k);
    const indices = this.out(outer * k);
    topk(this.live(), x, outer, n, k, values, indices);
    this.release(values);
    return indices;
  }

  /** The k largest of (|x| * (1 - mask)) * scale per row: the scores in one pass, then topk. */
  maskedAbsTopk(x: Float32Array, mask: Float32Array, scale: Float32Array, rows: number, n: number,
    k: number): Float32Array {
    const scores = this.out(rows * n);
    maskedAbsScale(this.live(), x, mask, scale, rows, n, scores);
    const indices = this.topk(scores, rows, n, k);
    this.release(scores);
    return indices;
  }

  /** One Adam step on p, m and v in place (the kernel takes their length from the arrays: size goes unused). */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, _size: number, o: AdamOptions): void {
    adam(this.live(), p, g, m, v, o);
  }

  /** Stops the helper threads (so a Node process can exit); the backend must not be used afterwards. */
  dispose(): void {
    disposeInstance(this.inst);
  }

  /** An output of n floats, written in full by kernel(instance, output). */
  private into(n: number, kernel: (inst: Instance, out: Float32Array) => void): Float32Array {
    const out = this.out(n);
    kernel(this.live(), out);
    return out;
  }

  /** An output array of n floats, to be overwritten in full. */
  private out(n: number): Float32Array {
    return this.alloc(n) ?? this.pool.take(n);
  }

  /** n floats (stale contents) that live in the kernels' memory, so that kernels use them in place; undefined
   *  where that is not possible (the memory is not shared, or full). */
  private alloc(n: number): Float32Array | undefined {
    return n > 0 ? this.live().arena.heap.view(n) : undefined;
  }

  /** Runs a strided copy into a new output of outSize floats. */
  private copy(a: Float32Array, plan: StridedCopy, outSize: number): Float32Array {
    return this.into(outSize, (inst, out) => stridedCopy(inst, a, plan, out));
  }

  /** The instance, after checking the backend has not been disposed. */
  private live(): Instance {
    if (this.inst.arena.disposed) throw new Error('wasm kernels: used after dispose()');
    return this.inst;
  }
}

registerKernelMethods('wasm', FUSED);

/**
 * Compiles the kernels (and starts the helper threads where threads are available).
 * threads (setBackend('wasm', { threads })): default 2 in Node, or SAELAB_WASM_THREADS if set; poolBytes: how
 * much released memory to keep for reuse (default 256 MiB; 0 turns the pool off).
 */
export async function createWasmBackend(options: { threads?: number; poolBytes?: number } = {}): Promise<WasmBackend> {
  return new WasmBackend(await instantiate(options), options.poolBytes);
}
