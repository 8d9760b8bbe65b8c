/**
 * Indexing. Index tensors hold integers stored as floats (exact below 2^24) and get no gradient.
 */
import { apply } from '../primitives.js';
import type { Tensor } from '../tensor.js';
import { abs, mul, sub } from './elementwise.js';

/** Rows of a 2-D table: `gatherRows(embedding [V, D], tokens [B, T])` is [B, T, D]. */
export function gatherRows(table: Tensor, index: Tensor): Tensor {
  return apply('gatherRows', [table], { index });
}

/** Adds each row of src [..., D] into row index[...] of a zero [rows, D] table. */
export function scatterAddRows(src: Tensor, index: Tensor, rows: number): Tensor {
  return apply('scatterAddRows', [src], { index, rows });
}

/** Picks along the last axis: out[..., j] = x[..., index[..., j]]. */
export function gatherLast(x: Tensor, index: Tensor): Tensor {
  return apply('gatherLast', [x], { index });
}

/** Places src[..., j] at column index[..., j] of zero rows of length n (adding repeats). */
export function scatterLast(src: Tensor, index: Tensor, n: number): Tensor {
  return apply('scatterLast', [src], { index, n });
}

/**
 * The k largest entries of each row (last axis), largest first, and their indices.
 * The values' gradient flows back only into the kept entries.
 *   const { values, indices } = topk(preActs, 32);
 */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  const indices = topkIndices(x, k);
  return { values: gatherLast(x, indices), indices };
}

/** The column indices of the k largest entries of each row (last axis), largest first; ties to the lower index.
 *  topk() without the values, for callers that need only the choice: `topkIndices(scores, 32)`. */
export function topkIndices(x: Tensor, k: number): Tensor {
  return apply('topk', [x], { k });
}

/**
 * The column indices of the k largest of (|x| * (1 - mask)) * scale in each row: x and mask [..., n], scale [..., 1]
 * (one per row). HUSAI's auxiliary loss picks its latents so, outside the code (mask 1 on the code's latents) and
 * scaled by each sample's error: `maskedAbsTopk(pre, mask, err, k)`. A fused primitive: a backend's kernel
 * (fused.ts) where it registered one, else `maskedAbsTopkComposite`, its definition.
 */
export function maskedAbsTopk(x: Tensor, mask: Tensor, scale: Tensor, k: number): Tensor {
  return apply('maskedAbsTopk', [x, mask, scale], { k });
}

/** maskedAbsTopk written with ops. */
export function maskedAbsTopkComposite(x: Tensor, mask: Tensor, scale: Tensor, k: number): Tensor {
  return topkIndices(mul(mul(abs(x), sub(1, mask)), scale), k);
}
