// Permute, expand, slice and pad as one strided copy for assembly/movement.ts: a walk over an index space
// where each element has a source and a destination offset. Axes that are contiguous in both are merged and
// size-1 axes dropped, so that e.g. the attention permute [B, T, H, Dh] -> [B, H, T, Dh] becomes B*H*T copies
// of Dh contiguous floats rather than B*T*H*Dh single moves.
import { stridesOf, type Shape } from '../../shape.js';

/** For every index i of dims (row-major): copy run floats from src[srcOffset + i . srcStrides + r * runStride]
 *  to dst[dstOffset + i . dstStrides + r], r < run. */
export interface StridedCopy {
  dims: number[];
  srcStrides: number[];
  dstStrides: number[];
  run: number;
  /** 1: contiguous, 0: one value repeated (a broadcast), else a gather. */
  runStride: number;
  srcOffset: number;
  dstOffset: number;
  /** false when the copy leaves gaps in the output (pad), which must start as zeros. */
  fillsOutput: boolean;
}

/** Describes dst[dstOffset + i . dstStrides] = src[srcOffset + i . srcStrides] for every index i of shape,
 *  with the axes merged as far as both layouts allow. */
export function planStrided(shape: Shape, srcStrides: readonly number[], dstStrides: readonly number[],
  srcOffset: number, dstOffset: number, fillsOutput: boolean): StridedCopy {
  const dims: number[] = [], src: number[] = [], dst: number[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    // Axis i continues the previous one in both layouts: one longer axis.
    if (last >= 0 && src[last] === srcStrides[i]! * d && dst[last] === dstStrides[i]! * d) {
      dims[last]! *= d;
      src[last] = srcStrides[i]!;
      dst[last] = dstStrides[i]!;
    } else {
      dims.push(d);
      src.push(srcStrides[i]!);
      dst.push(dstStrides[i]!);
    }
  });
  let run = 1, runStride = 1;
  if (dims.length > 0 && dst[dims.length - 1] === 1) {
    run = dims.pop()!;
    runStride = src.pop()!;
    dst.pop();
  }
  return { dims, srcStrides: src, dstStrides: dst, run, runStride, srcOffset, dstOffset, fillsOutput };
}

/** out axis i is input axis perm[i]. */
export function permutePlan(shape: Shape, perm: readonly number[]): StridedCopy {
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  return planStrided(outShape, perm.map((p) => inStrides[p]!), stridesOf(outShape), 0, 0, true);
}

/** shape broadcast to outShape: stride 0 along the broadcast axes. */
export function expandPlan(shape: Shape, outShape: Shape): StridedCopy {
  const inStrides = stridesOf(shape);
  const lead = outShape.length - shape.length;
  const src = outShape.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : inStrides[i - lead]!));
  return planStrided(outShape, src, stridesOf(outShape), 0, 0, true);
}

/** The box [starts, ends) of shape. */
export function slicePlan(shape: Shape, starts: readonly number[], ends: readonly number[]): StridedCopy {
  const inStrides = stridesOf(shape);
  const box = starts.map((s, i) => ends[i]! - s);
  const offset = starts.reduce((acc, s, i) => acc + s * inStrides[i]!, 0);
  return planStrided(box, inStrides, stridesOf(box), offset, 0, true);
}

/** shape placed inside before[i] + shape[i] + after[i] zeros along each axis. */
export function padPlan(shape: Shape, before: readonly number[], after: readonly number[]): StridedCopy {
  const outStrides = stridesOf(shape.map((d, i) => before[i]! + d + after[i]!));
  const offset = before.reduce((acc, s, i) => acc + s * outStrides[i]!, 0);
  return planStrided(shape, stridesOf(shape), outStrides, 0, offset, false);
}
