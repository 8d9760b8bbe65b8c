/**
 * Strided indexing for the kernels that read their inputs out of order: broadcasting
 * elementwise ops, permute, slice, expand and pad.
 *
 * Each such kernel splits its output index into coordinates c0..c5 (six axes) and reads each
 * operand at sum_i c_i * stride_i, with stride 0 along axes the operand is broadcast over. The
 * sizes and strides are compile-time constants, so one kernel text serves every layout. Before
 * that, adjacent axes that every operand walks contiguously are merged, so most layouts use one or
 * two axes: [B, T, D] + [D] is [B*T, D] with strides [D, 1] and [0, 1].
 */
import { stridesOf, type Shape } from '../../shape.js';

/** Axes a strided kernel handles; a layout with more (after merging) is computed on the host. */
export const RANK = 6;
const AXES = Array.from({ length: RANK }, (_, i) => i);

export interface StridedLayout {
  /** Output sizes on RANK axes (leading 1s). */
  sizes: number[];
  /** Per operand, its stride along each axis (0 where it is broadcast). */
  strides: number[][];
}

/** The strides with which `shape`, broadcast to `out`, is read: 0 on axes it is broadcast along. */
export function broadcastStrides(shape: Shape, out: Shape): number[] {
  const own = stridesOf(shape);
  const lead = out.length - shape.length;
  return out.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]!));
}

/**
 * Drops size-1 axes, merges each axis into the next where every operand allows it
 * (stride[i] = stride[i + 1] * size[i + 1]), and pads to RANK axes; null if more remain.
 * `collapse([4, 5, 6], [[30, 6, 1]])` is sizes [1, 1, 1, 1, 1, 120], strides [[0, 0, 0, 0, 0, 1]].
 */
export function collapse(sizes: Shape, strides: number[][]): StridedLayout | null {
  const keep = sizes.flatMap((d, i) => (d === 1 ? [] : [i]));
  const outSizes: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (const axis of keep) {
    const size = sizes[axis]!;
    const last = outSizes.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[axis]! * size);
    if (mergeable) {
      outSizes[last]! *= size;
      strides.forEach((s, k) => { outStrides[k]![last] = s[axis]!; });
    } else {
      outSizes.push(size);
      strides.forEach((s, k) => outStrides[k]!.push(s[axis]!));
    }
  }
  if (outSizes.length > RANK) return null;
  const pad = RANK - outSizes.length;
  return {
    sizes: [...new Array<number>(pad).fill(1), ...outSizes],
    strides: outStrides.map((s) => [...new Array<number>(pad).fill(0), ...s]),
  };
}

/** The layout's numbers as kernel constants: sizes n0..n5, and <name>0..<name>5 for each operand. */
export function layoutConstants(layout: StridedLayout, names: readonly string[]): Record<string, number> {
  const constants: Record<string, number> = {};
  for (const i of AXES) constants[`n${i}`] = layout.sizes[i]!;
  names.forEach((name, k) => {
    for (const i of AXES) constants[`${name}${i}`] = layout.strides[k]![i]!;
  });
  return constants;
}

/** How operand k is read: 'flat' (in output order), 'scalar' (one element) or 'strided'. */
export function access(layout: StridedLayout, k: number): 'flat' | 'scalar' | 'strided' {
  const s = layout.strides[k]!;
  if (s.every((x) => x === 0)) return 'scalar';
  return stridesOf(layout.sizes).every((x, i) => layout.sizes[i] === 1 || x === s[i]) ? 'flat' : 'strided';
}

/**
 * Kernel lines that split the output index into coordinates c0 (outermost) .. c5, innermost
 * first: c5 = index mod n5, then the rest is divided by n5, and so on.
 */
export const COORDINATES = [
  '  let rest = this.thread.x;',
  ...AXES.slice(1).reverse().map((i) =>
    `  const q${i} = idiv(rest, this.constants.n${i});`
    + ` const c${i} = rest - q${i} * this.constants.n${i}; rest = q${i};`),
  '  const c0 = rest;',
].join('\n');

/** The expression for the current output element's offset in operand `name`, per its access. */
export function offsetOf(name: string, how: 'flat' | 'scalar' | 'strided'): string {
  if (how === 'flat') return 'this.thread.x';
  if (how === 'scalar') return '0';
  return AXES.map((i) => `c${i} * this.constants.${name}${i}`).join(' + ');
}
