/**
 * The `gpujs` backend: every primitive as a gpu.js kernel, written once in the JavaScript subset
 * gpu.js compiles to GLSL (WebGL in a browser, HeadlessGL in Node) or, without a GPU, to
 * WebAssembly or plain JavaScript. Tensors stay on the GPU as float32 textures from kernel to
 * kernel; only `toHost` (toArray, item) reads one back.
 *
 *   SAELAB_BACKEND=gpujs xvfb-run -a npx tsx examples/fit-mlp.ts
 *
 * The mode it runs in is `backend.mode`. SAELAB_GPUJS_MODE=gpu demands a GL mode and fails,
 * saying why, where there is none; other values (headlessgl, webgl2, webgl, webasm, cpu) force a
 * mode; unset, gpu.js picks the best it finds. The kernel families live in ./gpujs/.
 *
 * Two things are computed on the host by the reference backend: layouts with more than six axes
 * left after merging (strided.ts), and a max over an empty axis. Neither occurs in the study's
 * models.
 */
import type { AdamOptions, Backend, BackendDescription, BinaryOp, HostArray, ReduceOp, UnaryOp } from '../backend.js';
import { sizeOf, splitAtAxis, type Shape } from '../shape.js';
import { registerKernelMethods, type FusedMethods } from '../fused.js';
import { ReferenceBackend } from './reference.js';
import { adam } from './gpujs/adam.js';
import { binary, geluGrad, unary, where } from './gpujs/elementwise.js';
import { gatherCombine, gatherDot, gatherLast, gatherRows, scatterAddRows, scatterLast,
  scatterOuter } from './gpujs/indexing.js';
import { matmul } from './gpujs/matmul.js';
import { expand, pad, permute, slice } from './gpujs/movement.js';
import { layerNorm, layerNormGrad, reduce, softmax, softmaxGrad } from './gpujs/reduce.js';
import { GpuStorage, NoGpuError, Runtime, whyNoHeadlessGl, type GpujsMode } from './gpujs/runtime.js';
import { topk } from './gpujs/topk.js';

export type { GpujsMode } from './gpujs/runtime.js';

const ZEROS = 'function () { return 0; }';

/** The fused kernels (fused.ts) this backend has: its methods of the same names, registered at the end. */
const FUSED = [
  'gelu', 'geluGrad', 'layerNorm', 'layerNormGrad', 'matmulBias', 'softmax', 'softmaxGrad', 'adam',
] as const;

/**
 * Checks an index tensor as the reference backend does, where its values are on the host: it
 * was uploaded (token ids, codes built on the host), or gpu.js runs on the CPU. Indices computed
 * by shaders (top-k's) are in range by construction and are not read back to be checked.
 */
function checkIndices(idx: GpuStorage, limit: number, op: string): void {
  const values = idx.uploaded ?? (idx.data instanceof Float32Array ? idx.data : null);
  for (const value of values ?? []) {
    if (!Number.isInteger(value) || value < 0 || value >= limit) {
      throw new Error(`${op}: index ${value} is out of range [0, ${limit})`);
    }
  }
}

export class GpujsBackend implements Backend, FusedMethods<GpuStorage, (typeof FUSED)[number]> {
  readonly name = 'gpujs';
  /** The gpu.js mode the kernels really run in. */
  readonly mode: GpujsMode;
  /** True in the GL modes (HeadlessGL, WebGL2, WebGL), where kernels are shaders on a GPU. */
  readonly isGpu: boolean;
  private readonly rt: Runtime;
  private readonly reference = new ReferenceBackend(Float32Array);

  constructor(modeRequest?: string) {
    this.rt = new Runtime(modeRequest);
    this.mode = this.rt.mode;
    this.isGpu = this.rt.isGpu;
  }

  /** The gpu.js mode and the GL renderer it draws with ('none' in the CPU modes). */
  describe(): BackendDescription {
    return { mode: this.mode, renderer: this.rt.renderer() };
  }

  /** Textures alive now (made and not yet freed), and the elements they hold: for watching memory. */
  get live(): { textures: number; elements: number } {
    return { ...this.rt.live };
  }

  /** Waits for the kernels queued so far to finish, for timing; reading a result back waits anyway. */
  finish(): void {
    this.rt.finish();
  }

  fromHost(data: ArrayLike<number>): GpuStorage {
    return this.rt.fromHost(data);
  }

  toHost(s: GpuStorage): HostArray {
    return this.rt.toHost(s);
  }

  zeros(size: number): GpuStorage {
    return this.rt.run({ source: ZEROS, size });
  }

  unary(op: UnaryOp, a: GpuStorage, size: number): GpuStorage {
    return this.withoutKernel([size], a) ?? unary(this.rt, op, a);
  }

  binary(op: BinaryOp, a: GpuStorage, aShape: Shape, b: GpuStorage, bShape: Shape, out: Shape): GpuStorage {
    return this.withoutKernel(out, a, b) ?? binary(this.rt, op, a, aShape, b, bShape, out)
      ?? this.onHost((r, h) => r.binary(op, h(a), aShape, h(b), bShape, out));
  }

  where(c: GpuStorage, cShape: Shape, a: GpuStorage, aShape: Shape, b: GpuStorage, bShape: Shape,
    out: Shape): GpuStorage {
    return this.withoutKernel(out, c, a, b) ?? where(this.rt, c, cShape, a, aShape, b, bShape, out)
      ?? this.onHost((r, h) => r.where(h(c), cShape, h(a), aShape, h(b), bShape, out));
  }

  // The fused kernels (fused.ts), registered at the end of this file.

  gelu(x: GpuStorage, size: number): GpuStorage {
    return this.withoutKernel([size], x) ?? unary(this.rt, 'gelu', x);
  }

  layerNorm(x: GpuStorage, rows: number, d: number, eps: number): GpuStorage {
    return this.withoutKernel([rows * d], x) ?? layerNorm(this.rt, x, rows, d, eps);
  }

  layerNormGrad(x: GpuStorage, g: GpuStorage, rows: number, d: number, eps: number): GpuStorage {
    return this.withoutKernel([rows * d], x, g) ?? layerNormGrad(this.rt, x, g, rows, d, eps);
  }

  reduce(op: ReduceOp, a: GpuStorage, shape: Shape, axis: number): GpuStorage {
    const { outer, n, inner } = splitAtAxis(shape, axis);
    if (n === 0) return this.onHost((r, h) => r.reduce(op, h(a), shape, axis));
    return this.withoutKernel([outer * inner], a) ?? reduce(this.rt, op, a, outer, n, inner);
  }

  matmul(a: GpuStorage, b: GpuStorage, batch: number, M: number, K: number, N: number,
    transA: boolean, transB: boolean, bBatched: boolean): GpuStorage {
    return this.withoutKernel([batch * M * N], a, b) ?? matmul(this.rt, a, b, batch, M, K, N, transA, transB, bBatched);
  }

  matmulBias(a: GpuStorage, b: GpuStorage, bias: GpuStorage, batch: number, M: number, K: number, N: number,
    transA: boolean, transB: boolean, bBatched: boolean): GpuStorage {
    if (K === 0) return this.binary('add', this.zeros(batch * M * N), [batch * M, N], bias, [N], [batch * M, N]);
    return this.withoutKernel([batch * M * N], a, b, bias)
      ?? matmul(this.rt, a, b, batch, M, K, N, transA, transB, bBatched, bias);
  }

  geluGrad(x: GpuStorage, g: GpuStorage, size: number): GpuStorage {
    return this.withoutKernel([size], x, g) ?? geluGrad(this.rt, x, g);
  }

  softmax(x: GpuStorage, rows: number, n: number): GpuStorage {
    return this.withoutKernel([rows * n], x) ?? softmax(this.rt, x, rows, n);
  }

  softmaxGrad(y: GpuStorage, g: GpuStorage, rows: number, n: number): GpuStorage {
    return this.withoutKernel([rows * n], y, g) ?? softmaxGrad(this.rt, y, g, rows, n);
  }

  permute(a: GpuStorage, shape: Shape, perm: readonly number[]): GpuStorage {
    return this.withoutKernel(shape, a) ?? permute(this.rt, a, shape, perm)
      ?? this.onHost((r, h) => r.permute(h(a), shape, perm));
  }

  slice(a: GpuStorage, shape: Shape, starts: readonly number[], ends: readonly number[]): GpuStorage {
    const out = starts.map((s, i) => ends[i]! - s);
    return this.withoutKernel(out, a) ?? slice(this.rt, a, shape, starts, ends)
      ?? this.onHost((r, h) => r.slice(h(a), shape, starts, ends));
  }

  pad(a: GpuStorage, shape: Shape, before: readonly number[], after: readonly number[]): GpuStorage {
    const out = shape.map((d, i) => before[i]! + d + after[i]!);
    return this.withoutKernel(out, a) ?? pad(this.rt, a, shape, before, after)
      ?? this.onHost((r, h) => r.pad(h(a), shape, before, after));
  }

  expand(a: GpuStorage, shape: Shape, out: Shape): GpuStorage {
    return this.withoutKernel(out, a) ?? expand(this.rt, a, shape, out)
      ?? this.onHost((r, h) => r.expand(h(a), shape, out));
  }

  gatherRows(table: GpuStorage, rows: number, cols: number, idx: GpuStorage, n: number): GpuStorage {
    checkIndices(idx, rows, 'gatherRows');
    return this.withoutKernel([n * cols], table, idx) ?? gatherRows(this.rt, table, cols, idx, n);
  }

  scatterAddRows(src: GpuStorage, n: number, cols: number, idx: GpuStorage, rows: number): GpuStorage {
    checkIndices(idx, rows, 'scatterAddRows');
    return this.withoutKernel([rows * cols], src, idx) ?? scatterAddRows(this.rt, src, n, cols, idx, rows);
  }

  gatherLast(x: GpuStorage, outer: number, n: number, idx: GpuStorage, k: number): GpuStorage {
    checkIndices(idx, n, 'gatherLast');
    return this.withoutKernel([outer * k], x, idx) ?? gatherLast(this.rt, x, outer, n, idx, k);
  }

  scatterLast(src: GpuStorage, outer: number, k: number, idx: GpuStorage, n: number): GpuStorage {
    checkIndices(idx, n, 'scatterLast');
    return this.withoutKernel([outer * n], src, idx) ?? scatterLast(this.rt, src, outer, k, idx, n);
  }

  gatherDot(x: GpuStorage, w: GpuStorage, idx: GpuStorage, B: number, k: number, d: number, n: number): GpuStorage {
    checkIndices(idx, n, 'gatherDot');
    return this.withoutKernel([B * k], x, w, idx) ?? gatherDot(this.rt, x, w, idx, B, k, d);
  }

  gatherCombine(v: GpuStorage, w: GpuStorage, idx: GpuStorage, B: number, k: number, d: number, n: number): GpuStorage {
    checkIndices(idx, n, 'gatherCombine');
    return this.withoutKernel([B * d], v, w, idx) ?? gatherCombine(this.rt, v, w, idx, B, k, d);
  }

  scatterOuter(a: GpuStorage, x: GpuStorage, idx: GpuStorage, B: number, k: number, d: number, n: number): GpuStorage {
    checkIndices(idx, n, 'scatterOuter');
    return this.withoutKernel([n * d], a, x, idx) ?? scatterOuter(this.rt, a, x, idx, B, k, d, n);
  }

  topk(x: GpuStorage, outer: number, n: number, k: number): GpuStorage {
    return this.withoutKernel([outer * k], x) ?? topk(this.rt, x, outer, n, k);
  }

  adam(p: GpuStorage, g: GpuStorage, m: GpuStorage, v: GpuStorage, size: number, o: AdamOptions): void {
    if (size > 0) adam(this.rt, p, g, m, v, size, o);
  }

  /** Deletes the texture of an intermediate gradient the engine is done with, now rather than at garbage collection. */
  release(s: GpuStorage): void {
    this.rt.release(s);
  }

  dispose(): void {
    this.rt.dispose();
  }

  /**
   * The result, where it needs no kernel, of an op with output shape `out` on `inputs`: an empty
   * storage if the output is empty; zeros if an input is (a shader cannot read an empty texture,
   * and every primitive then sums over nothing); else undefined, and the kernel runs.
   */
  private withoutKernel(out: Shape, ...inputs: GpuStorage[]): GpuStorage | undefined {
    const size = sizeOf(out);
    if (size === 0) return new GpuStorage(null, 0);
    if (inputs.some((s) => s.size === 0)) return this.zeros(size);
    return undefined;
  }

  /** Computes one primitive with the reference backend on host copies of its inputs, and uploads the result. */
  private onHost(f: (ref: ReferenceBackend, host: (s: GpuStorage) => HostArray) => HostArray): GpuStorage {
    return this.fromHost(f(this.reference, (s) => this.toHost(s)));
  }
}

registerKernelMethods('gpujs', FUSED);

/**
 * Creates the backend in the mode SAELAB_GPUJS_MODE asks for (in Node), or the best gpu.js finds.
 * Where a GPU was demanded and there is none, the error says what is missing.
 */
export async function createGpujsBackend(modeRequest?: string): Promise<GpujsBackend> {
  const env = typeof process !== 'undefined' ? process.env?.SAELAB_GPUJS_MODE : undefined;
  try {
    return new GpujsBackend(modeRequest ?? (env || undefined));
  } catch (e) {
    if (e instanceof NoGpuError) throw new NoGpuError(e.fallback, await whyNoHeadlessGl());
    throw e;
  }
}
