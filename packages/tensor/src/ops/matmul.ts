/** Matrix products. */
import { apply } from '../primitives.js';
import { add } from './elementwise.js';
import type { Tensor } from '../tensor.js';

export interface MatmulOptions {
  /** Use the first operand transposed (its last two axes swapped) without copying it. */
  transA?: boolean;
  /** Use the second operand transposed. */
  transB?: boolean;
  /** [N], added to every row of the product (fused into it where the backend can): a Linear layer. */
  bias?: Tensor;
}

/**
 * Batched matrix product: a [..., M, K] @ b [K, N] or [..., K, N] -> [..., M, N].
 * `matmul(x, w, { transB: true, bias: b })` computes x @ w^T + b, as a Linear layer stored [out, in] does.
 */
export function matmul(a: Tensor, b: Tensor, o: MatmulOptions = {}): Tensor {
  return apply('matmul', o.bias ? [a, b, o.bias] : [a, b], { transA: o.transA ?? false, transB: o.transB ?? false });
}

/** a @ b + bias with ops, the product then the sum: matmul's definition with a bias, and its fallback where a
 *  backend registers no matmulBias kernel (fused.ts). */
export function matmulBiasComposite(a: Tensor, b: Tensor, bias: Tensor, o: Omit<MatmulOptions, 'bias'> = {}): Tensor {
  return add(matmul(a, b, o), bias);
}
