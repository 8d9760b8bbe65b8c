/**
 * The derivative rules: one line (or a few) per primitive, written with ops so they run on every
 * backend. A rule gets the output's gradient `g`, the output, the inputs, the arguments and which
 * inputs need a gradient, and returns one gradient per input (null: none). Rules of several inputs
 * build each gradient only where it is needed (`each`): a constant operand (the data of a sparse
 * product, a scalar factor, a mask) would otherwise cost a whole product or reduction that backward()
 * throws away. The table's type lists every primitive, so a primitive without a rule does not
 * compile; `null` marks the non-differentiable ones.
 */
import type { PrimitiveNode, Tensor } from './tensor.js';
import { apply, type Primitive, type PrimitiveArgs } from './primitives.js';
import { add, div, eq, exp, gt, mul, neg, sign, sub, where } from './ops/elementwise.js';
import { sum, sumToShape } from './ops/reduce.js';
import { expand, pad, permute, reshape, slice, transpose } from './ops/movement.js';
import { matmul } from './ops/matmul.js';
import { gatherLast, gatherRows, scatterAddRows, scatterLast } from './ops/gather.js';
import { gatherCombine, gatherDot, scatterOuter } from './ops/sparse.js';

type Rule<P extends Primitive> = (g: Tensor, out: Tensor, inputs: Tensor[], args: PrimitiveArgs[P],
  needs: readonly boolean[]) => (Tensor | null)[];

/** Input i's gradient from grads[i](), run only where needs[i] (the others are null). */
function each(needs: readonly boolean[], ...grads: ((() => Tensor) | null)[]): (Tensor | null)[] {
  return grads.map((f, i) => (f && needs[i] ? f() : null));
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const gradients: { [P in Primitive]: Rule<P> | null } = {
  neg: (g) => [neg(g)],
  exp: (g, out) => [mul(g, out)],
  log: (g, _, [x]) => [div(g, x!)],
  sqrt: (g, out) => [div(g, mul(out, 2))],
  tanh: (g, out) => [mul(g, sub(1, mul(out, out)))],
  erf: (g, _, [x]) => [mul(g, mul(exp(neg(mul(x!, x!))), TWO_OVER_SQRT_PI))],
  abs: (g, _, [x]) => [mul(g, sign(x!))],
  gelu: (g, _, [x]) => [apply('geluGrad', [x!, g], {})],
  geluGrad: null, // only used inside gelu's rule; no second derivatives here
  layerNorm: (g, _, [x], { eps }) => [apply('layerNormGrad', [x!, g], { eps })],
  layerNormGrad: null,
  softmax: (g, out) => [apply('softmaxGrad', [out, g], {})],
  softmaxGrad: null,

  add: (g, _, [a, b], _a, needs) => each(needs, () => sumToShape(g, a!.shape), () => sumToShape(g, b!.shape)),
  sub: (g, _, [a, b], _a, needs) => each(needs, () => sumToShape(g, a!.shape), () => sumToShape(neg(g), b!.shape)),
  mul: (g, _, [a, b], _a, needs) =>
    each(needs, () => sumToShape(mul(g, b!), a!.shape), () => sumToShape(mul(g, a!), b!.shape)),
  div: (g, out, [a, b], _a, needs) =>
    each(needs, () => sumToShape(div(g, b!), a!.shape), () => sumToShape(neg(div(mul(g, out), b!)), b!.shape)),
  maximum: (g, _, [a, b], _a, needs) => {
    const toA = add(gt(a!, b!), mul(eq(a!, b!), 0.5)); // ties split the gradient, as in PyTorch
    return each(needs, () => sumToShape(mul(g, toA), a!.shape), () => sumToShape(mul(g, sub(1, toA)), b!.shape));
  },
  cmpgt: null,
  cmpeq: null,
  where: (g, _, [c, a, b], _a, needs) =>
    each(needs, null, () => sumToShape(where(c!, g, 0), a!.shape), () => sumToShape(where(c!, 0, g), b!.shape)),

  sum: (g, _, [x]) => [expand(g, x!.shape)],
  max: (g, out, [x], { axis }) => {
    const hits = eq(x!, out); // every tied maximum shares the gradient
    return [div(mul(g, hits), sum(hits, axis, true))];
  },

  // C = op(A) op(B) (+ bias): dop(A) = g op(B)^T and dop(B) = op(A)^T g, then undo each op; dbias = sum of g's rows.
  matmul: (g, _, [a, b, bias], { transA, transB }, needs) => each(needs,
    () => (transA ? transpose(matmul(g, b!, { transB: !transB })) : matmul(g, b!, { transB: !transB })),
    () => {
      if (b!.rank > 2 || transA) {
        const batched = transB ? matmul(g, a!, { transA: true, transB: transA }) : matmul(a!, g, { transA: !transA });
        return sumToShape(batched, b!.shape); // a shared B collects every batch's contribution
      }
      // Shared B and plain A: fold the batch into the rows, one big product.
      const a2 = reshape(a!, [-1, a!.shape[a!.rank - 1]!]);
      const g2 = reshape(g, [-1, g.shape[g.rank - 1]!]);
      return transB ? matmul(g2, a2, { transA: true }) : matmul(a2, g2, { transA: true });
    },
    bias ? () => sumToShape(g, bias.shape) : null),

  reshape: (g, _, [x]) => [reshape(g, x!.shape)],
  permute: (g, _, _x, { perm }) => {
    const inverse = perm.map((_p, i) => perm.indexOf(i));
    return [permute(g, inverse)];
  },
  slice: (g, _, [x], { starts, ends }) => [pad(g, starts, x!.shape.map((d, i) => d - ends[i]!))],
  pad: (g, _, [x], { before }) =>
    [slice(g, Object.fromEntries(x!.shape.map((d, i) => [i, [before[i]!, before[i]! + d] as const])))],
  expand: (g, _, [x]) => [sumToShape(g, x!.shape)],

  gatherRows: (g, _, [table], { index }) => [scatterAddRows(g, index, table!.shape[0]!)],
  scatterAddRows: (g, _, [src], { index }) => [reshape(gatherRows(g, index), src!.shape)],
  gatherLast: (g, _, [x], { index }) => [scatterLast(g, index, x!.shape[x!.rank - 1]!)],
  scatterLast: (g, _, _s, { index }) => [gatherLast(g, index)],
  // The three sparse products are each other's adjoints.
  gatherDot: (g, _, [x, w], { index }, needs) =>
    each(needs, () => gatherCombine(g, index, w!), () => scatterOuter(g, index, x!, w!.shape[0]!)),
  gatherCombine: (g, _, [v, w], { index }, needs) =>
    each(needs, () => gatherDot(g, w!, index), () => scatterOuter(v!, index, g, w!.shape[0]!)),
  scatterOuter: (g, _, [a, x], { index }, needs) =>
    each(needs, () => gatherDot(x!, g, index), () => gatherCombine(a!, index, g)),
  topk: null,
  maskedAbsTopk: null,
};

/** The gradients of a recorded node's inputs that need one (requiresGrad), given the gradient of its output;
 *  null for the others. */
export function gradientOf(g: Tensor, out: Tensor, node: PrimitiveNode): (Tensor | null)[] {
  const rule = gradients[node.op] as Rule<Primitive> | null;
  if (!rule) return node.inputs.map(() => null);
  return rule(g, out, node.inputs, node.args, node.inputs.map((t) => t.requiresGrad));
}
