/**
 * Sparse products for top-k codes. A TopK SAE keeps k of n latents per sample; these ops touch
 * only those k rows of a weight matrix W [n, d] (one row per latent), so neither the forward
 * nor the backward pass ever builds a dense [batch, n] tensor. They are each other's adjoints,
 * which is why their gradients are one line each (gradients.ts).
 */
import { apply } from '../primitives.js';
import type { Tensor } from '../tensor.js';

/**
 * out[b, j] = x[b, :] . W[index[b, j], :]: the pre-activations of the chosen latents only.
 * `gatherDot(x [B, d], W_enc [n, d], idx [B, k])` is [B, k].
 */
export function gatherDot(x: Tensor, w: Tensor, index: Tensor): Tensor {
  return apply('gatherDot', [x, w], { index });
}

/**
 * out[b, :] = sum_j v[b, j] * W[index[b, j], :]: a decoder applied to a sparse code.
 * `gatherCombine(values [B, k], idx [B, k], W_dec [n, d])` is [B, d].
 */
export function gatherCombine(v: Tensor, index: Tensor, w: Tensor): Tensor {
  return apply('gatherCombine', [v, w], { index });
}

/** out = zeros [n, d], then out[index[b, j], :] += a[b, j] * x[b, :] (a weight gradient). */
export function scatterOuter(a: Tensor, index: Tensor, x: Tensor, n: number): Tensor {
  return apply('scatterOuter', [a, x], { index, n });
}
