/** Shape changes: reshape (free), permute, slice, pad, expand, concat. */
import { apply } from '../primitives.js';
import { normAxis, shapeToString, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add } from './elementwise.js';

/** Same data, new shape; one dimension may be -1: `reshape(x, [-1, 4])`. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const known = shape.filter((d) => d !== -1);
  const holes = shape.length - known.length;
  if (holes > 1) throw new Error(`reshape: at most one -1 in ${shapeToString(shape)}`);
  const full = holes === 1 ? shape.map((d) => (d === -1 ? x.size / Math.max(1, sizeOf(known)) : d)) : [...shape];
  if (full.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(full) !== x.size) {
    throw new Error(`reshape: cannot reshape ${shapeToString(x.shape)} (${x.size} elements)`
      + ` to ${shapeToString(shape)}`);
  }
  return apply('reshape', [x], { shape: full });
}

/** Reorders axes: out axis i is input axis perm[i]. `permute(x, [0, 2, 1, 3])`. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  return apply('permute', [x], { perm: perm.map((p) => normAxis(p, x.rank, 'permute')) });
}

/** Swaps two axes (the last two by default). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const [i, j] = [normAxis(a, x.rank, 'transpose'), normAxis(b, x.rank, 'transpose')];
  [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  return permute(x, perm);
}

/**
 * The sub-box [start, end) along the given axes: `slice(x, { 1: [11, 21] })` keeps positions
 * 11..20 of axis 1. Negative bounds count from the end.
 */
export function slice(x: Tensor, ranges: Record<number, readonly [number, number]>): Tensor {
  const starts = x.shape.map(() => 0);
  const ends = [...x.shape];
  for (const [key, [s, e]] of Object.entries(ranges)) {
    const ax = normAxis(Number(key), x.rank, 'slice');
    const d = x.shape[ax]!;
    starts[ax] = s < 0 ? s + d : s;
    ends[ax] = e < 0 ? e + d : e;
  }
  return apply('slice', [x], { starts, ends });
}

/** Zeros around x: `before[i]` and `after[i]` along axis i. */
export function pad(x: Tensor, before: readonly number[], after: readonly number[]): Tensor {
  if (before.length !== x.rank || after.length !== x.rank) {
    throw new Error(`pad: needs ${x.rank} before/after sizes for shape ${shapeToString(x.shape)}`);
  }
  return apply('pad', [x], { before, after });
}

/** Broadcasts x to `shape` (copying): `expand(tensor([1, 2]), [3, 2])`. */
export function expand(x: Tensor, shape: Shape): Tensor {
  return apply('expand', [x], { shape });
}

/** Joins tensors along `axis`, composed as pads that add up (so its gradient is slices). */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0]!;
  const ax = normAxis(axis, first.rank, 'concat');
  const total = xs.reduce((n, x) => n + x.shape[ax]!, 0);
  let offset = 0;
  let out: Tensor | undefined;
  for (const x of xs) {
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${shapeToString(first.shape)} and ${shapeToString(x.shape)}`
        + ` differ off axis ${ax}`);
    }
    const before = x.shape.map((_, i) => (i === ax ? offset : 0));
    const after = x.shape.map((_, i) => (i === ax ? total - offset - x.shape[ax]! : 0));
    const placed = pad(x, before, after);
    out = out ? add(out, placed) : placed;
    offset += x.shape[ax]!;
  }
  return out!;
}
