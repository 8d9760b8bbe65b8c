/**
 * Shape arithmetic shared by every backend: sizes, strides, broadcasting, axis normalisation.
 * Written once here so the reference and the fast backends cannot disagree about indexing.
 */

export type Shape = readonly number[];

/** Number of elements: `sizeOf([2, 3]) === 6`, `sizeOf([]) === 1` (a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: `stridesOf([2, 3, 4])` is `[12, 4, 1]`. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks a shape is a list of non-negative integers; `what` names the caller in the error. */
export function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${what}: shape ${shapeToString(shape)} must hold non-negative integers`);
    }
  }
}

/** Turns a possibly negative axis into 0..rank-1: `normAxis(-1, 3) === 2`. */
export function normAxis(axis: number, rank: number, op = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

/**
 * NumPy broadcasting: align shapes on the right; each pair of dims must be equal or one of them 1.
 * `broadcastShapes([2, 1, 4], [3, 1])` is `[2, 3, 4]`.
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new Error(`${op}: shapes ${shapes.map(shapeToString).join(' and ')} cannot be broadcast together`);
      }
    }
  }
  return out;
}

/**
 * The flat offsets `offset + sum_d counter[d] * strides[d]` visited by a row-major walk over
 * `shape`. Permute, slice, pad and broadcasting are all this one walk with different strides:
 * `stridedIndex([2, 2], [1, 2], 0)` (a transpose) is `[0, 2, 1, 3]`.
 */
export function stridedIndex(shape: Shape, strides: readonly number[], offset = 0): Int32Array {
  const n = sizeOf(shape);
  const rank = shape.length;
  const index = new Int32Array(n);
  const counter = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < n; i++) {
    index[i] = at;
    // Advance the row-major counter, updating `at` incrementally.
    for (let ax = rank - 1; ax >= 0; ax--) {
      counter[ax]!++;
      at += strides[ax]!;
      if (counter[ax]! < shape[ax]!) break;
      at -= strides[ax]! * shape[ax]!;
      counter[ax] = 0;
    }
  }
  return index;
}

/**
 * For each element of `outShape` (row-major), the flat index of the element of `inShape` that
 * broadcasting reads: one lookup table per input is the plain way to write broadcasting.
 * `broadcastIndex([3], [2, 3])` is `[0, 1, 2, 0, 1, 2]`.
 */
export function broadcastIndex(inShape: Shape, outShape: Shape): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // Stride of the input along each output axis; 0 where the input is broadcast.
  const strides = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    strides[rank - inShape.length + i] = inShape[i] === 1 ? 0 : inStrides[i]!;
  }
  return stridedIndex(outShape, strides);
}

/**
 * The axes that broadcasting expanded when `from` became `to` (aligned on the right), so that
 * summing a gradient of shape `to` over them gives back shape `from`.
 */
export function broadcastAxes(from: Shape, to: Shape): number[] {
  const axes: number[] = [];
  const lead = to.length - from.length;
  for (let i = 0; i < to.length; i++) {
    if (i < lead || (from[i - lead] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** Views `shape` as [outer, n, inner] around `axis`, the layout every reduction works on. */
export function splitAtAxis(shape: Shape, axis: number): { outer: number; n: number; inner: number } {
  return {
    outer: sizeOf(shape.slice(0, axis)),
    n: shape[axis]!,
    inner: sizeOf(shape.slice(axis + 1)),
  };
}
