/**
 * Neural-network functions composed from the primitives, so every backend gets them and their
 * gradients for free.
 */
import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';
import { apply } from '../primitives.js';
import { add, div, eq, erf, exp, gt, log, mul, neg, sqrt, square, sub, where } from '../ops/elementwise.js';
import { max, mean, sum } from '../ops/reduce.js';
import { gatherLast } from '../ops/gather.js';
import { reshape } from '../ops/movement.js';
import { normAxis, shapeToString } from '../shape.js';

/** max(x, 0), with gradient 0 at 0 as in PyTorch. */
export function relu(x: Tensor): Tensor {
  return where(gt(x, 0), x, 0);
}

/**
 * The exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), as TransformerLens `gelu`.
 * A primitive rather than a composite: the five passes of the formula over the MLP's biggest
 * tensor become one (and its gradient one more). `geluComposite` is the same function written
 * with ops; the tests hold the two together.
 */
export function gelu(x: Tensor): Tensor {
  return apply('gelu', [x], {});
}

/** GELU spelled out with ops: the fused primitive's definition, and its fallback where a backend has no kernel. */
export function geluComposite(x: Tensor): Tensor {
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** GELU's gradient for the output gradient g, g * (Phi(x) + x phi(x)), with ops: the fused geluGrad's definition. */
export function geluGradComposite(x: Tensor, g: Tensor): Tensor {
  const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5); // Phi(x)
  const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI)); // phi(x)
  return mul(g, add(cdf, mul(x, pdf)));
}

/**
 * softmax along `axis` (the last by default), shifted by the max for stability; rows sum to 1.
 * Over the last axis it is one primitive, fused where the backend registers a kernel (a pass each way instead of
 * about a dozen; see fused.ts); `softmaxComposite` is the same function written with ops.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  return normAxis(axis, x.rank, 'softmax') === x.rank - 1 ? apply('softmax', [x], {}) : softmaxComposite(x, axis);
}

/** softmax spelled out with ops: the fused primitive's definition, and its fallback where a backend has no kernel. */
export function softmaxComposite(x: Tensor, axis = -1): Tensor {
  const e = exp(sub(x, max(x, axis, true)));
  return div(e, sum(e, axis, true));
}

/** softmax's gradient from its output y and the output gradient g, over the last axis: y * (g - sum(g * y)).
 *  The definition of the fused softmaxGrad primitive, and its fallback where a backend has no kernel. */
export function softmaxGradComposite(y: Tensor, g: Tensor): Tensor {
  return mul(y, sub(g, sum(mul(g, y), -1, true)));
}

/** log(softmax(x)) computed stably: x - max - log(sum(exp(x - max))). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const shifted = sub(x, max(x, axis, true));
  return sub(shifted, log(sum(exp(shifted), axis, true)));
}

/**
 * Mean cross-entropy of logits [..., V] against integer targets [...] (stored as floats).
 * Select positions by slicing the logits and targets first.
 */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const V = logits.shape[logits.rank - 1]!;
  if (targets.size * V !== logits.size) {
    throw new Error(`crossEntropy: targets ${shapeToString(targets.shape)}`
      + ` do not match logits ${shapeToString(logits.shape)}`);
  }
  const picked = gatherLast(reshape(logSoftmax(logits), [-1, V]), reshape(targets, [-1, 1]));
  return neg(mean(picked));
}

/**
 * Layer normalisation over the last axis (biased variance, as PyTorch), then x * weight + bias.
 * The normalisation is one fused primitive (one pass forward, one backward, instead of about
 * twenty); `layerNormComposite` writes it with ops for the tests.
 */
export function layerNorm(x: Tensor, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  let y = apply('layerNorm', [x], { eps });
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** (x - mean) / sqrt(var + eps) over the last axis, with ops: the fused primitive's definition and fallback. */
export function layerNormComposite(x: Tensor, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  const centered = sub(x, mean(x, -1, true));
  const variance = mean(square(centered), -1, true);
  let y = div(centered, sqrt(add(variance, eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}

/** layerNorm's gradient at x for the output gradient g, (g - mean(g) - y mean(g y)) / sqrt(var + eps), with ops:
 *  the fused layerNormGrad's definition, and its fallback where a backend has no kernel. */
export function layerNormGradComposite(x: Tensor, g: Tensor, eps = 1e-5): Tensor {
  const centered = sub(x, mean(x, -1, true));
  const std = sqrt(add(mean(square(centered), -1, true), eps));
  const y = div(centered, std);
  return div(sub(sub(g, mean(g, -1, true)), mul(y, mean(mul(g, y), -1, true))), std);
}

/** Scales each slice along `axis` to unit Euclidean norm (eps guards all-zero rows). */
export function normalize(x: Tensor, axis = -1, eps = 1e-12): Tensor {
  return div(x, add(sqrt(sum(square(x), axis, true)), eps));
}

/** Mean squared error over all elements. */
export function mseLoss(prediction: Tensor, target: Tensor): Tensor {
  return mean(square(sub(prediction, target)));
}

/** A one-hot encoding of integer indices [...] into [..., n]: `oneHot(tensor([2]), 3)` is [[0, 0, 1]]. */
export function oneHot(index: Tensor, n: number): Tensor {
  const columns = tensor(Array.from({ length: n }, (_, i) => i), [n], index.backend);
  return eq(reshape(index, [...index.shape, 1]), columns);
}
