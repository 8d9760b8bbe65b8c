/**
 * The reference backend: every kernel as a plain loop, in the order a textbook would write it.
 * It is the living definition the fast backends are tested against, so clarity beats speed here.
 * It can run in float64 (`new ReferenceBackend(Float64Array)`) for gradient checks.
 */
import type { Backend, BackendDescription, BinaryOp, HostArray, ReduceOp, UnaryOp } from '../backend.js';
import { broadcastIndex, sizeOf, splitAtAxis, stridedIndex, stridesOf, type Shape } from '../shape.js';
import { erf } from '../math.js';
import './reference/fused.js'; // its fused kernels (GELU, layer norm, Adam), registered by name

type ArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor;

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x, exp: Math.exp,
  log: Math.log, sqrt: Math.sqrt,
  tanh: Math.tanh, erf,
  abs: Math.abs,
};

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b,
  mul: (a, b) => a * b, div: (a, b) => a / b,
  maximum: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  cmpgt: (a, b) => (a > b ? 1 : 0),
  cmpeq: (a, b) => (a === b ? 1 : 0),
};

/** Reads an index stored as a float and checks it lies in [0, limit). */
function index(value: number, limit: number, op: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= limit) {
    throw new Error(`${op}: index ${value} is out of range [0, ${limit})`);
  }
  return value;
}

export class ReferenceBackend implements Backend {
  readonly name: string;

  constructor(private readonly Array: ArrayCtor = Float32Array) {
    this.name = Array === Float64Array ? 'reference64' : 'reference';
  }

  describe(): BackendDescription {
    return { storage: this.Array === Float64Array ? 'float64' : 'float32', threads: 1 };
  }

  fromHost(data: ArrayLike<number>): HostArray {
    return this.Array.from(data);
  }

  toHost(s: HostArray): HostArray {
    return s.slice();
  }

  zeros(size: number): HostArray {
    return new this.Array(size);
  }

  unary(op: UnaryOp, a: HostArray, size: number): HostArray {
    const f = UNARY[op];
    const out = new this.Array(size);
    for (let i = 0; i < size; i++) out[i] = f(a[i]!);
    return out;
  }

  binary(op: BinaryOp, a: HostArray, aShape: Shape, b: HostArray, bShape: Shape, outShape: Shape): HostArray {
    const f = BINARY[op];
    const ia = broadcastIndex(aShape, outShape);
    const ib = broadcastIndex(bShape, outShape);
    const out = new this.Array(ia.length);
    for (let i = 0; i < out.length; i++) out[i] = f(a[ia[i]!]!, b[ib[i]!]!);
    return out;
  }

  where(c: HostArray, cShape: Shape, a: HostArray, aShape: Shape, b: HostArray, bShape: Shape,
    outShape: Shape): HostArray {
    const ic = broadcastIndex(cShape, outShape);
    const ia = broadcastIndex(aShape, outShape);
    const ib = broadcastIndex(bShape, outShape);
    const out = new this.Array(ic.length);
    for (let i = 0; i < out.length; i++) out[i] = c[ic[i]!] !== 0 ? a[ia[i]!]! : b[ib[i]!]!;
    return out;
  }

  reduce(op: ReduceOp, a: HostArray, shape: Shape, axis: number): HostArray {
    const { outer, n, inner } = splitAtAxis(shape, axis);
    const out = new this.Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = op === 'sum' ? 0 : -Infinity;
        for (let j = 0; j < n; j++) {
          const x = a[(o * n + j) * inner + i]!;
          acc = op === 'sum' ? acc + x : x > acc || Number.isNaN(x) ? x : acc;
        }
        out[o * inner + i] = acc;
      }
    }
    return out;
  }

  matmul(a: HostArray, b: HostArray, batch: number, M: number, K: number, N: number,
    transA: boolean, transB: boolean, bBatched: boolean): HostArray {
    const out = new this.Array(batch * M * N);
    // Strides of op(A) and op(B) as [M, K] and [K, N] views of the stored matrices.
    const [aRow, aCol] = transA ? [1, M] : [K, 1];
    const [bRow, bCol] = transB ? [1, K] : [N, 1];
    for (let p = 0; p < batch; p++) {
      const a0 = p * M * K;
      const b0 = bBatched ? p * K * N : 0;
      const c0 = p * M * N;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += a[a0 + i * aRow + k * aCol]! * b[b0 + k * bRow + j * bCol]!;
          out[c0 + i * N + j] = acc;
        }
      }
    }
    return out;
  }

  permute(a: HostArray, shape: Shape, perm: readonly number[]): HostArray {
    const inStrides = stridesOf(shape);
    const from = stridedIndex(perm.map((p) => shape[p]!), perm.map((p) => inStrides[p]!));
    return this.take(a, from);
  }

  slice(a: HostArray, shape: Shape, starts: readonly number[], ends: readonly number[]): HostArray {
    const inStrides = stridesOf(shape);
    const offset = starts.reduce((acc, s, i) => acc + s * inStrides[i]!, 0);
    const from = stridedIndex(starts.map((s, i) => ends[i]! - s), inStrides, offset);
    return this.take(a, from);
  }

  pad(a: HostArray, shape: Shape, before: readonly number[], after: readonly number[]): HostArray {
    const outShape = shape.map((d, i) => before[i]! + d + after[i]!);
    const outStrides = stridesOf(outShape);
    const offset = before.reduce((acc, s, i) => acc + s * outStrides[i]!, 0);
    // Where each input element lands in the padded output.
    const to = stridedIndex(shape, outStrides, offset);
    const out = new this.Array(sizeOf(outShape));
    for (let i = 0; i < to.length; i++) out[to[i]!] = a[i]!;
    return out;
  }

  expand(a: HostArray, shape: Shape, outShape: Shape): HostArray {
    return this.take(a, broadcastIndex(shape, outShape));
  }

  gatherRows(table: HostArray, rows: number, cols: number, idx: HostArray, n: number): HostArray {
    const out = new this.Array(n * cols);
    for (let i = 0; i < n; i++) {
      const r = index(idx[i]!, rows, 'gatherRows');
      for (let c = 0; c < cols; c++) out[i * cols + c] = table[r * cols + c]!;
    }
    return out;
  }

  scatterAddRows(src: HostArray, n: number, cols: number, idx: HostArray, rows: number): HostArray {
    const out = new this.Array(rows * cols);
    for (let i = 0; i < n; i++) {
      const r = index(idx[i]!, rows, 'scatterAddRows');
      for (let c = 0; c < cols; c++) out[r * cols + c]! += src[i * cols + c]!;
    }
    return out;
  }

  gatherLast(x: HostArray, outer: number, n: number, idx: HostArray, k: number): HostArray {
    const out = new this.Array(outer * k);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) out[o * k + j] = x[o * n + index(idx[o * k + j]!, n, 'gatherLast')]!;
    }
    return out;
  }

  scatterLast(src: HostArray, outer: number, k: number, idx: HostArray, n: number): HostArray {
    const out = new this.Array(outer * n);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) out[o * n + index(idx[o * k + j]!, n, 'scatterLast')]! += src[o * k + j]!;
    }
    return out;
  }

  gatherDot(x: HostArray, w: HostArray, idx: HostArray, B: number, k: number, d: number, n: number): HostArray {
    const out = new this.Array(B * k);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < k; j++) {
        const r = index(idx[b * k + j]!, n, 'gatherDot');
        let acc = 0;
        for (let c = 0; c < d; c++) acc += x[b * d + c]! * w[r * d + c]!;
        out[b * k + j] = acc;
      }
    }
    return out;
  }

  gatherCombine(v: HostArray, w: HostArray, idx: HostArray, B: number, k: number, d: number, n: number): HostArray {
    const out = new this.Array(B * d);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < k; j++) {
        const r = index(idx[b * k + j]!, n, 'gatherCombine');
        const s = v[b * k + j]!;
        for (let c = 0; c < d; c++) out[b * d + c]! += s * w[r * d + c]!;
      }
    }
    return out;
  }

  scatterOuter(a: HostArray, x: HostArray, idx: HostArray, B: number, k: number, d: number, n: number): HostArray {
    const out = new this.Array(n * d);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < k; j++) {
        const r = index(idx[b * k + j]!, n, 'scatterOuter');
        const s = a[b * k + j]!;
        for (let c = 0; c < d; c++) out[r * d + c]! += s * x[b * d + c]!;
      }
    }
    return out;
  }

  topk(x: HostArray, outer: number, n: number, k: number): HostArray {
    const out = new this.Array(outer * k);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let o = 0; o < outer; o++) {
      const row = (i: number) => x[o * n + i]!;
      // Array.prototype.sort is stable, so equal values keep the lower index first.
      order.sort((i, j) => i - j).sort((i, j) => row(j) - row(i));
      for (let j = 0; j < k; j++) out[o * k + j] = order[j]!;
    }
    return out;
  }

  /** out[i] = a[from[i]] */
  private take(a: HostArray, from: Int32Array): HostArray {
    const out = new this.Array(from.length);
    for (let i = 0; i < from.length; i++) out[i] = a[from[i]!]!;
    return out;
  }
}
