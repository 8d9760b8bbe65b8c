// Fast float32 kernels for @saelab/tensor: WebAssembly SIMD compiled from assembly/ by scripts/build-wasm.mjs,
// with matmuls, heavy elementwise ops, top-k and the sparse products shared between the calling thread and
// helper threads over one shared WebAssembly.Memory.
//
//   loader.ts      instantiates the module (threaded on a shared memory where possible) and starts the threads
//   threads.ts     the helper threads and their control blocks; shared.ts runs a kernel on all threads at once
//   heap.ts        the linear memory as blocks: storage that lives there (Float32Array views) and the arena
//   arena.ts       where a call finds its operands: in place if they live in the memory, else copied in and out
//   gemm.ts        matmul: blocking, work split, threads
//   elementwise.ts unary, binary, where, Adam (streamed in chunks)
//   rows.ts        reductions, layer norm, softmax, top-k (whole rows at a time)
//   indexing.ts    sparse products, gathers and scatters, strided copies (strided.ts plans them)
//   pool.ts        released ordinary arrays kept for reuse as outputs, where storage cannot live in the memory
//
// This file is the door: the WasmKernels interface and loadWasmKernels(). Every kernel writes all of its
// output, so outputs may hold anything beforehand.
import type { Instance } from './loader.js';
import { instantiate } from './loader.js';
import { matmul } from './gemm.js';
import {
  adam, binary, geluBackward, unary, where, type AdamOptions, type Operand, type WasmBinaryOp, type WasmUnaryOp,
} from './elementwise.js';
import { layerNorm, layerNormGrad, reduce, softmax, softmaxGrad, topk } from './rows.js';
import * as indexing from './indexing.js';
import type { StridedCopy } from './strided.js';

export type { AdamOptions, Operand, WasmBinaryOp, WasmUnaryOp } from './elementwise.js';
export type { StridedCopy } from './strided.js';

export interface WasmKernels {
  /** Threads in use for big kernels (1 = main thread only). */
  readonly threads: number;
  /** out[b] = op(A[b]) @ op(B[b or 0]) (+ bias [N] on every row), all row-major and contiguous.
   *  A is [batch, M, K] ([batch, K, M] when transA); B is [batchB, K, N] ([batchB, N, K] when transB),
   *  batchB = bBatched ? batch : 1 (one B shared by every batch). out is [batch, M, N] and is overwritten. */
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, M: number, K: number, N: number,
         transA: boolean, transB: boolean, bBatched: boolean, bias?: Float32Array): void;
  /** out[i] = op(a[i]); a and out have equal length (out may be a). gelu is the exact (erf) GELU. */
  unary(op: WasmUnaryOp, a: Float32Array, out: Float32Array): void;
  /** out[i] = g[i] * gelu'(x[i]): GELU's backward pass. */
  geluBackward(x: Float32Array, g: Float32Array, out: Float32Array): void;
  /** out[i] = full[i] op bc[floor(i / repeat) % bc.length]  (or bc[...] op full[i] when swapped).
   *  Covers same shape (repeat 1, bc.length n), scalar (bc.length 1), trailing-dims broadcast
   *  (repeat 1, bc.length D) and leading-dims broadcast [N,1] (repeat D, bc.length N). */
  binary(op: WasmBinaryOp, full: Float32Array, bc: Float32Array, out: Float32Array, repeat: number,
    swapped: boolean): void;
  /** out[i] = c[i] != 0 ? a[i] : b[i], each operand full length or broadcast as in binary. */
  where(c: Operand, a: Operand, b: Operand, out: Float32Array): void;
  /** Reduce the middle axis of a viewed as [outer, n, inner] into out [outer, inner]. */
  reduce(op: 'sum' | 'max', a: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void;
  /** Each row of x [rows, d] normalised: (x - mean) / sqrt(var + eps) (biased variance). */
  layerNorm(x: Float32Array, rows: number, d: number, eps: number, out: Float32Array): void;
  /** layerNorm's gradient for the output gradient g: (g - mean(g) - y mean(g y)) / sqrt(var + eps). */
  layerNormGrad(x: Float32Array, g: Float32Array, rows: number, d: number, eps: number, out: Float32Array): void;
  /** softmax of each row of x [rows, n] into out. */
  softmax(x: Float32Array, rows: number, n: number, out: Float32Array): void;
  /** softmax's gradient from its output y and output gradient g (both [rows, n]): y * (g - sum(g * y)). */
  softmaxGrad(y: Float32Array, g: Float32Array, rows: number, n: number, out: Float32Array): void;
  /** Per row of x [rows, n]: the k largest values in descending order and their column indices
   *  (written as float32 integers); ties keep the lower index first, NaN counts as largest. */
  topk(x: Float32Array, rows: number, n: number, k: number, values: Float32Array, indices: Float32Array): void;
  /** One in-place Adam/AdamW step with PyTorch semantics over p, g, m, v of equal length (g is not modified). */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, o: AdamOptions): void;
  // Indexing. Index arrays hold integers stored as floats; a value that is not an integer in range throws.
  /** x [B, d], W [n, d], idx [B, k]: out[b, j] = x[b, :] . W[idx[b, j], :] -> [B, k] */
  gatherDot(x: Float32Array, w: Float32Array, idx: Float32Array, B: number, k: number, d: number, n: number,
    out: Float32Array): void;
  /** out[b, :] = sum_j v[b, j] W[idx[b, j], :] -> [B, d] */
  gatherCombine(v: Float32Array, w: Float32Array, idx: Float32Array, B: number, k: number, d: number, n: number,
    out: Float32Array): void;
  /** out = zeros [n, d]; out[idx[b, j], :] += a[b, j] x[b, :] */
  scatterOuter(a: Float32Array, x: Float32Array, idx: Float32Array, B: number, k: number, d: number, n: number,
    out: Float32Array): void;
  /** out[i, :] = table[idx[i], :]; table is [rows, cols] -> [n, cols] */
  gatherRows(table: Float32Array, rows: number, cols: number, idx: Float32Array, n: number, out: Float32Array): void;
  /** out = zeros [rows, cols]; out[idx[i], :] += src[i, :] */
  scatterAddRows(src: Float32Array, n: number, cols: number, idx: Float32Array, rows: number, out: Float32Array): void;
  /** x [outer, n], idx [outer, k]: out[o, j] = x[o, idx[o, j]] */
  gatherLast(x: Float32Array, outer: number, n: number, idx: Float32Array, k: number, out: Float32Array): void;
  /** out = zeros [outer, n]; out[o, idx[o, j]] += src[o, j] */
  scatterLast(src: Float32Array, outer: number, k: number, idx: Float32Array, n: number, out: Float32Array): void;
  /** A strided copy of src into out (see strided.ts: permute, expand, slice, pad). */
  stridedCopy(src: Float32Array, copy: StridedCopy, out: Float32Array): void;
  /** A Float32Array of n floats (stale contents) that lives in the kernels' memory, so that kernels use it in
   *  place instead of copying; undefined where that is not possible (the memory is not shared, or full). */
  alloc(n: number): Float32Array | undefined;
  /** Hands back an array from alloc() that will never be read again. False only for an ordinary array (not in
   *  the kernels' memory), which the caller may then keep for reuse; a view handed back twice is ignored.
   *  Arrays not handed back are reclaimed once garbage collected. */
  free(a: Float32Array): boolean;
  /** Stop worker threads (so a Node process can exit). The object must not be used afterwards. */
  dispose(): void;
}

class Kernels implements WasmKernels {
  readonly threads: number;

  constructor(private readonly inst: Instance) {
    this.threads = (inst.helpers?.helpers ?? 0) + 1;
  }

  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, M: number, K: number, N: number,
         transA: boolean, transB: boolean, bBatched: boolean, bias?: Float32Array): void {
    matmul(this.live(), a, b, out, batch, M, K, N, transA, transB, bBatched, bias);
  }

  /** Work units helper threads have computed so far, in every shared kernel (diagnostics, used by the tests). */
  get workerUnits(): number {
    return this.inst.helpers?.unitsDone ?? 0;
  }

  unary(op: WasmUnaryOp, a: Float32Array, out: Float32Array): void { unary(this.live(), op, a, out); }
  geluBackward(x: Float32Array, g: Float32Array, out: Float32Array): void { geluBackward(this.live(), x, g, out); }
  binary(op: WasmBinaryOp, full: Float32Array, bc: Float32Array, out: Float32Array, repeat: number,
    swapped: boolean): void {
    binary(this.live(), op, full, bc, out, repeat, swapped);
  }
  where(c: Operand, a: Operand, b: Operand, out: Float32Array): void { where(this.live(), c, a, b, out); }
  reduce(op: 'sum' | 'max', a: Float32Array, out: Float32Array, outer: number, n: number, inner: number): void {
    reduce(this.live(), op, a, out, outer, n, inner);
  }
  layerNorm(x: Float32Array, rows: number, d: number, eps: number, out: Float32Array): void {
    layerNorm(this.live(), x, rows, d, eps, out);
  }
  layerNormGrad(x: Float32Array, g: Float32Array, rows: number, d: number, eps: number, out: Float32Array): void {
    layerNormGrad(this.live(), x, g, rows, d, eps, out);
  }
  softmax(x: Float32Array, rows: number, n: number, out: Float32Array): void { softmax(this.live(), x, rows, n, out); }
  softmaxGrad(y: Float32Array, g: Float32Array, rows: number, n: number, out: Float32Array): void {
    softmaxGrad(this.live(), y, g, rows, n, out);
  }
  topk(x: Float32Array, rows: number, n: number, k: number, values: Float32Array, indices: Float32Array): void {
    topk(this.live(), x, rows, n, k, values, indices);
  }
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, o: AdamOptions): void {
    adam(this.live(), p, g, m, v, o);
  }

  gatherDot(x: Float32Array, w: Float32Array, idx: Float32Array, B: number, k: number, d: number, n: number,
    out: Float32Array): void {
    indexing.gatherDot(this.live(), x, w, idx, B, k, d, n, out);
  }
  gatherCombine(v: Float32Array, w: Float32Array, idx: Float32Array, B: number, k: number, d: number, n: number,
    out: Float32Array): void {
    indexing.gatherCombine(this.live(), v, w, idx, B, k, d, n, out);
  }
  scatterOuter(a: Float32Array, x: Float32Array, idx: Float32Array, B: number, k: number, d: number, n: number,
    out: Float32Array): void {
    indexing.scatterOuter(this.live(), a, x, idx, B, k, d, n, out);
  }
  gatherRows(table: Float32Array, rows: number, cols: number, idx: Float32Array, n: number, out: Float32Array): void {
    indexing.gatherRows(this.live(), table, rows, cols, idx, n, out);
  }
  scatterAddRows(src: Float32Array, n: number, cols: number, idx: Float32Array, rows: number, out: Float32Array): void {
    indexing.scatterAddRows(this.live(), src, n, cols, idx, rows, out);
  }
  gatherLast(x: Float32Array, outer: number, n: number, idx: Float32Array, k: number, out: Float32Array): void {
    indexing.gatherLast(this.live(), x, outer, n, idx, k, out);
  }
  scatterLast(src: Float32Array, outer: number, k: number, idx: Float32Array, n: number, out: Float32Array): void {
    indexing.scatterLast(this.live(), src, outer, k, idx, n, out);
  }
  stridedCopy(src: Float32Array, copy: StridedCopy, out: Float32Array): void {
    indexing.stridedCopy(this.live(), src, copy, out);
  }

  alloc(n: number): Float32Array | undefined {
    return n > 0 ? this.live().arena.heap.view(n) : undefined;
  }
  free(a: Float32Array): boolean {
    const heap = this.inst.arena.heap;
    return heap.release(a) || heap.addressOf(a) >= 0;
  }

  dispose(): void {
    if (this.inst.arena.disposed) return;
    this.inst.arena.disposed = true;
    this.inst.helpers?.dispose();
  }

  /** The instance, after checking this object has not been disposed. */
  private live(): Instance {
    if (this.inst.arena.disposed) throw new Error('wasm kernels: used after dispose()');
    return this.inst;
  }
}

/** Instantiate the kernels. In Node with SharedArrayBuffer the threaded module runs on `threads` threads
 *  (default 2, or SAELAB_WASM_THREADS); elsewhere (e.g. a page that is not cross-origin isolated) the
 *  single-threaded module runs on a non-shared memory. */
export async function loadWasmKernels(options: { threads?: number } = {}): Promise<WasmKernels> {
  return new Kernels(await instantiate(options));
}
