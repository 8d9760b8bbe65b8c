/**
 * The `wasm` backend: the reference backend with its hot kernels (matmul in every form,
 * elementwise ops, reductions, top-k, Adam) replaced by AssemblyScript compiled to WebAssembly
 * SIMD (see ../../assembly and ./wasm/). Matmul uses two threads over one shared memory where
 * that pays. Kernels it does not replace fall through to the reference loops.
 */
import type { AdamOptions, BinaryOp, ReduceOp, UnaryOp } from '../backend.js';
import { sizeOf, splitAtAxis, type Shape } from '../shape.js';
import { ReferenceBackend } from './reference.js';
import { geluFast, geluGradFast } from '../math.js';
import { loadWasmKernels, type WasmKernels } from './wasm/kernels.js';

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

export class WasmBackend extends ReferenceBackend {
  override readonly name = 'wasm';

  constructor(readonly kernels: WasmKernels) {
    super(Float32Array);
  }

  override unary(op: UnaryOp, a: Float32Array, size: number): Float32Array {
    const out = new Float32Array(size);
    if (op === 'gelu' || op === 'geluGrad') {
      // One JavaScript pass with a float32-accurate erfc, until the kernels have GELU.
      const f = op === 'gelu' ? geluFast : geluGradFast;
      for (let i = 0; i < size; i++) out[i] = f(a[i]!);
      return out;
    }
    this.kernels.unary(op, a, out);
    return out;
  }

  override binary(op: BinaryOp, a: Float32Array, aShape: Shape, b: Float32Array, bShape: Shape, outShape: Shape): Float32Array {
    const n = sizeOf(outShape);
    const aRun = a.length === n ? broadcastRun(bShape, outShape) : undefined;
    const bRun = !aRun && b.length === n ? broadcastRun(aShape, outShape) : undefined;
    if (!aRun && !bRun) return super.binary(op, a, aShape, b, bShape, outShape) as Float32Array;
    const out = new Float32Array(n);
    if (aRun) this.kernels.binary(op, a, b, out, aRun.repeat, false);
    else this.kernels.binary(op, b, a, out, bRun!.repeat, true);
    return out;
  }

  override reduce(op: ReduceOp, a: Float32Array, shape: Shape, axis: number): Float32Array {
    const { outer, n, inner } = splitAtAxis(shape, axis);
    const out = new Float32Array(outer * inner);
    this.kernels.reduce(op, a, out, outer, n, inner);
    return out;
  }

  override matmul(a: Float32Array, b: Float32Array, batch: number, M: number, K: number, N: number,
    transA: boolean, transB: boolean, bBatched: boolean): Float32Array {
    const out = new Float32Array(batch * M * N);
    this.kernels.matmul(a, b, out, batch, M, K, N, transA, transB, bBatched);
    return out;
  }

  override topk(x: Float32Array, outer: number, n: number, k: number): Float32Array {
    const values = new Float32Array(outer * k);
    const indices = new Float32Array(outer * k);
    this.kernels.topk(x, outer, n, k, values, indices);
    return indices;
  }

  override adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, _size: number, o: AdamOptions): void {
    this.kernels.adam(p, g, m, v, o);
  }

  dispose(): void {
    this.kernels.dispose();
  }
}

/** Compiles the kernels (and starts the matmul worker thread where threads are available). */
export async function createWasmBackend(options: { threads?: number } = {}): Promise<WasmBackend> {
  return new WasmBackend(await loadWasmKernels(options));
}
