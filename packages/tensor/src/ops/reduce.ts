/** Reductions over axes, and `sumToShape`, which undoes broadcasting in gradients. */
import { apply } from '../primitives.js';
import { broadcastAxes, normAxis, shapesEqual, shapeToString, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div } from './elementwise.js';
import { reshape } from './movement.js';

export type Axes = number | readonly number[] | undefined;

function axesOf(x: Tensor, axes: Axes, op: string): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normAxis(a, x.rank, op)))].sort((a, b) => a - b);
}

/**
 * Reduces `axes` of x with one kernel pass per run of adjacent reduced axes: neighbouring axes
 * are merged by a free reshape first, so a bias gradient [B, T, D] -> [D] is a single pass.
 */
function reduceAxes(op: 'sum' | 'max', x: Tensor, axes: number[], keepdims: boolean): Tensor {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepdims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  if (axes.length === 0) return reshape(x, outShape);
  // Merge runs of axes with the same fate (reduced or kept).
  const merged: { size: number; reduced: boolean }[] = [];
  x.shape.forEach((d, i) => {
    const reduced = axes.includes(i);
    const last = merged[merged.length - 1];
    if (last && last.reduced === reduced) last.size *= d;
    else merged.push({ size: d, reduced });
  });
  let y = reshape(x, merged.map((m) => m.size));
  merged.forEach((m, i) => {
    if (m.reduced) y = apply(op, [y], { axis: i });
  });
  return reshape(y, outShape);
}

/** Sum over `axes` (all by default): `sum(x, -1, true)` keeps a size-1 last axis. */
export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return reduceAxes('sum', x, axesOf(x, axes, 'sum'), keepdims);
}

/** Largest value over `axes`; the gradient is shared among tied maxima. */
export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return reduceAxes('max', x, axesOf(x, axes, 'max'), keepdims);
}

/** Arithmetic mean over `axes`. */
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const list = axesOf(x, axes, 'mean');
  const count = sizeOf(list.map((a) => x.shape[a]!));
  return div(sum(x, list, keepdims), count);
}

/** Sums a broadcast gradient back down to `shape` (the inverse of broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  if (sizeOf(shape) === g.size) return reshape(g, shape);
  const axes = broadcastAxes(shape, g.shape);
  const summed = reduceAxes('sum', g, axes, true);
  if (summed.size !== sizeOf(shape)) {
    throw new Error(`sumToShape: cannot reduce ${shapeToString(g.shape)} to ${shapeToString(shape)}`);
  }
  return reshape(summed, shape);
}
