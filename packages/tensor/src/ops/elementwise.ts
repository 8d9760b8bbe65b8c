/**
 * Elementwise operations with NumPy broadcasting. A plain number stands for a scalar tensor:
 * `add(x, 1)`, `mul(2, x)`.
 */
import { apply } from '../primitives.js';
import { full } from '../creation.js';
import { Tensor } from '../tensor.js';
import type { BinaryOp, UnaryOp } from '../backend.js';

export type TensorLike = Tensor | number;

/** Lifts a number to a scalar tensor on the backend of `like`. */
export function lift(x: TensorLike, like: Tensor): Tensor {
  return x instanceof Tensor ? x : full([], x, like.backend);
}

/** Both operands as tensors, numbers lifted onto the other operand's backend. */
function liftPair(a: TensorLike, b: TensorLike, op: string): [Tensor, Tensor] {
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
  if (!like) throw new Error(`${op}: at least one operand must be a tensor`);
  return [lift(a, like), lift(b, like)];
}

function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  return apply(op, liftPair(a, b, op), {});
}

const unary = (op: UnaryOp) => (x: Tensor): Tensor => apply(op, [x], {});

/** -x */
export const neg = unary('neg');
/** e^x */
export const exp = unary('exp');
/** Natural logarithm. */
export const log = unary('log');
/** Square root. */
export const sqrt = unary('sqrt');
/** Hyperbolic tangent. */
export const tanh = unary('tanh');
/** The error function, as in the exact GELU. */
export const erf = unary('erf');
/** |x| */
export const abs = unary('abs');

/** a + b: `add(tensor([1, 2]), 1)` is [2, 3]. */
export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
/** a - b */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
/** a * b */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
/** a / b */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
/** The larger of a and b; ties share the gradient equally, as in PyTorch. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
/** The smaller of a and b. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = liftPair(a, b, 'minimum');
  return neg(maximum(neg(x), neg(y)));
}
/** 1 where a > b, else 0 (no gradient). */
export const gt = (a: TensorLike, b: TensorLike): Tensor => binary('cmpgt', a, b);
/** 1 where a < b, else 0. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => binary('cmpgt', b, a);
/** 1 where a == b, else 0. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => binary('cmpeq', a, b);

/** `cond ? a : b` elementwise, broadcast: `where(gt(x, 0), x, 0)` is relu. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  return apply('where', [cond, lift(a, cond), lift(b, cond)], {});
}

/** x * x */
export const square = (x: Tensor): Tensor => mul(x, x);
/** -1, 0 or 1 by the sign of x. */
export const sign = (x: Tensor): Tensor => sub(gt(x, 0), lt(x, 0));

