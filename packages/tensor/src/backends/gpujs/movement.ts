/**
 * Movement kernels: permute, slice and expand are one strided gather, out[i] = a[base + sum_k
 * c_k * stride_k], with different strides; pad reads the input where the output coordinate
 * falls inside it and writes 0 elsewhere. Each returns null when the layout needs more than six
 * axes (the backend then computes it on the host).
 */
import { sizeOf, stridesOf, type Shape } from '../../shape.js';
import type { GpuStorage, Runtime } from './runtime.js';
import { broadcastStrides, collapse, COORDINATES, layoutConstants, offsetOf, RANK } from './strided.js';

const GATHER = `function (a) {
${COORDINATES}
  return a[this.constants.base + ${offsetOf('a', 'strided')}];
}`;

/** out = a read with `strides` over an output of `sizes`, starting at `base`. */
function gather(rt: Runtime, a: GpuStorage, sizes: Shape, strides: number[], base = 0): GpuStorage | null {
  const layout = collapse(sizes, [strides]);
  if (!layout) return null;
  return rt.run({ source: GATHER, size: sizeOf(sizes), constants: { ...layoutConstants(layout, ['a']), base } }, a);
}

/** Out axis i is input axis perm[i]. */
export function permute(rt: Runtime, a: GpuStorage, shape: Shape, perm: readonly number[]): GpuStorage | null {
  const strides = stridesOf(shape);
  return gather(rt, a, perm.map((p) => shape[p]!), perm.map((p) => strides[p]!));
}

/** The box [starts, ends) of a. */
export function slice(rt: Runtime, a: GpuStorage, shape: Shape, starts: readonly number[],
  ends: readonly number[]): GpuStorage | null {
  const strides = stridesOf(shape);
  const base = starts.reduce((acc, s, i) => acc + s * strides[i]!, 0);
  return gather(rt, a, starts.map((s, i) => ends[i]! - s), strides, base);
}

/** a broadcast to `out`. */
export function expand(rt: Runtime, a: GpuStorage, shape: Shape, out: Shape): GpuStorage | null {
  return gather(rt, a, out, broadcastStrides(shape, out));
}

// Pad: input coordinate k_i = c_i - before_i along each axis; inside when 0 <= k_i < size_i.
const AXES = Array.from({ length: RANK }, (_, i) => i);
const PAD = `function (a) {
${COORDINATES}
${AXES.map((i) => `  const k${i} = c${i} - this.constants.before${i};`).join('\n')}
  if (${AXES.map((i) => `k${i} < 0 || k${i} >= this.constants.size${i}`).join(' || ')}) { return 0; }
  return a[${AXES.map((i) => `k${i} * this.constants.a${i}`).join(' + ')}];
}`;

/** a surrounded by before[i] and after[i] zeros along each axis. */
export function pad(rt: Runtime, a: GpuStorage, shape: Shape, before: readonly number[],
  after: readonly number[]): GpuStorage | null {
  if (shape.length > RANK) return null;
  const lead = RANK - shape.length;
  const size = AXES.map((i) => (i < lead ? 1 : shape[i - lead]!));
  const strides = stridesOf(size);
  const b = AXES.map((i) => (i < lead ? 0 : before[i - lead]!));
  const out = AXES.map((i) => size[i]! + b[i]! + (i < lead ? 0 : after[i - lead]!));
  const constants: Record<string, number> = {};
  for (const i of AXES) {
    Object.assign(constants, {
      [`n${i}`]: out[i]!, [`before${i}`]: b[i]!, [`size${i}`]: size[i]!, [`a${i}`]: strides[i]!,
    });
  }
  return rt.run({ source: PAD, size: sizeOf(out), constants }, a);
}
