/**
 * The primitives: the only operations a backend implements and the tape records. Everything else
 * (relu, softmax, layer norm, cross-entropy...) is composed from these in ops/ and nn/.
 * Each entry checks its inputs' shapes, names the output shape and calls the backend.
 */
import type { Backend, BinaryOp, ReduceOp, Storage, UnaryOp } from './backend.js';
import { broadcastShapes, normAxis, shapesEqual, shapeToString, sizeOf, splitAtAxis, type Shape } from './shape.js';
import { isGradEnabled, Tensor } from './tensor.js';
import { gradients } from './gradients.js';
import { fused, type FusedKernels } from './fused.js';
import {
  geluComposite, geluGradComposite, layerNormComposite, layerNormGradComposite, softmaxComposite, softmaxGradComposite,
} from './nn/functional.js';
import { matmulBiasComposite } from './ops/matmul.js';
import { maskedAbsTopkComposite } from './ops/gather.js';

type None = Record<string, never>;

/** The arguments each primitive takes besides its tensor inputs. Index tensors are arguments: they get no gradient. */
export type PrimitiveArgs = { [U in UnaryOp]: None } & { [B in BinaryOp]: None }
  & { [R in ReduceOp]: { axis: number } } & {
  where: None;
  gelu: None;
  geluGrad: None;
  layerNorm: { eps: number };
  layerNormGrad: { eps: number };
  softmax: None;
  softmaxGrad: None;
  matmul: { transA: boolean; transB: boolean };
  reshape: { shape: Shape };
  permute: { perm: readonly number[] };
  slice: { starts: readonly number[]; ends: readonly number[] };
  pad: { before: readonly number[]; after: readonly number[] };
  expand: { shape: Shape };
  gatherRows: { index: Tensor };
  scatterAddRows: { index: Tensor; rows: number };
  gatherLast: { index: Tensor };
  scatterLast: { index: Tensor; n: number };
  gatherDot: { index: Tensor };
  gatherCombine: { index: Tensor };
  scatterOuter: { index: Tensor; n: number };
  topk: { k: number };
  maskedAbsTopk: { k: number };
};

export type Primitive = keyof PrimitiveArgs;

/** A primitive's forward: the output's shape and storage, and the tensor owning that storage if another does
 *  (a composite's result, of which the output is then a view). */
type Forward<P extends Primitive> =
  (b: Backend, x: Tensor[], args: PrimitiveArgs[P]) => { shape: Shape; storage: Storage; base?: Tensor };

const unary = (op: UnaryOp): Forward<UnaryOp> => (b, [a]) =>
  ({ shape: a!.shape, storage: b.unary(op, a!.storage, a!.size) });

const binary = (op: BinaryOp): Forward<BinaryOp> => (b, [x, y]) => {
  const shape = broadcastShapes(op, x!.shape, y!.shape);
  return { shape, storage: b.binary(op, x!.storage, x!.shape, y!.storage, y!.shape, shape) };
};

const reduce = (op: ReduceOp): Forward<ReduceOp> => (b, [a], { axis }) => {
  const ax = normAxis(axis, a!.rank, op);
  const shape = a!.shape.map((d, i) => (i === ax ? 1 : d));
  return { shape, storage: b.reduce(op, a!.storage, a!.shape, ax) };
};

function fail(op: string, message: string, ...tensors: Tensor[]): never {
  throw new Error(`${op}: ${message} (shapes ${tensors.map((t) => shapeToString(t.shape)).join(', ')})`);
}

/** The forward pass of every primitive: one entry each, so a missing one does not compile. */
const forwards: { [P in Primitive]: Forward<P> } = {
  neg: unary('neg'), exp: unary('exp'), log: unary('log'), sqrt: unary('sqrt'),
  tanh: unary('tanh'), erf: unary('erf'), abs: unary('abs'),
  add: binary('add'), sub: binary('sub'), mul: binary('mul'), div: binary('div'),
  maximum: binary('maximum'), cmpgt: binary('cmpgt'), cmpeq: binary('cmpeq'),
  sum: reduce('sum'), max: reduce('max'),

  where: (b, [c, x, y]) => {
    const shape = broadcastShapes('where', c!.shape, x!.shape, y!.shape);
    return { shape, storage: b.where(c!.storage, c!.shape, x!.storage, x!.shape, y!.storage, y!.shape, shape) };
  },

  // The fused primitives: the backend's registered kernel, else the composite (fused.ts).
  // The exact GELU, x [...] -> [...]; its gradient for the output gradient g: g * gelu'(x), x, g [...] -> [...]
  gelu: (b, [x]) => {
    const kernel = (k: FusedKernels['gelu']) => k(b, x!.storage, x!.size);
    return { shape: x!.shape, ...fused('gelu', b, kernel, () => geluComposite(x!)) };
  },
  geluGrad: (b, [x, g]) => {
    if (!shapesEqual(x!.shape, g!.shape)) fail('geluGrad', 'x and g shapes differ', x!, g!);
    const kernel = (k: FusedKernels['geluGrad']) => k(b, x!.storage, g!.storage, x!.size);
    return { shape: x!.shape, ...fused('geluGrad', b, kernel, () => geluGradComposite(x!, g!)) };
  },

  // softmax over the last axis, x [..., n] -> [..., n]
  softmax: (b, [x]) => {
    const { outer: rows, n } = splitAtAxis(x!.shape, x!.rank - 1);
    return { shape: x!.shape, ...fused('softmax', b, (k) => k(b, x!.storage, rows, n), () => softmaxComposite(x!)) };
  }, // softmax's gradient from its output y and output gradient g: y * (g - sum(g * y)), y, g [..., n] -> [..., n]
  softmaxGrad: (b, [y, g]) => {
    if (!shapesEqual(y!.shape, g!.shape)) fail('softmaxGrad', 'y and g shapes differ', y!, g!);
    const { outer: rows, n } = splitAtAxis(y!.shape, y!.rank - 1);
    const kernel = (k: FusedKernels['softmaxGrad']) => k(b, y!.storage, g!.storage, rows, n);
    return { shape: y!.shape, ...fused('softmaxGrad', b, kernel, () => softmaxGradComposite(y!, g!)) };
  },

  // Normalises the last axis: x [..., d] -> [..., d].
  layerNorm: (b, [x], { eps }) => {
    const { outer, n } = splitAtAxis(x!.shape, x!.rank - 1);
    const kernel = (k: FusedKernels['layerNorm']) => k(b, x!.storage, outer, n, eps);
    const composite = () => layerNormComposite(x!, undefined, undefined, eps);
    return { shape: x!.shape, ...fused('layerNorm', b, kernel, composite) };
  }, // x [..., d], g [..., d] -> dx [..., d]
  layerNormGrad: (b, [x, g], { eps }) => {
    if (!shapesEqual(x!.shape, g!.shape)) fail('layerNormGrad', 'x and g shapes differ', x!, g!);
    const { outer, n } = splitAtAxis(x!.shape, x!.rank - 1);
    const kernel = (k: FusedKernels['layerNormGrad']) => k(b, x!.storage, g!.storage, outer, n, eps);
    return { shape: x!.shape, ...fused('layerNormGrad', b, kernel, () => layerNormGradComposite(x!, g!, eps)) };
  },

  // a: [...batch, M, K] (or [..., K, M]), b: [K, N] shared or [...batch, K, N] (or with N, K swapped),
  // optionally a bias [N] added to every row (a Linear layer: the fused kernel matmulBias where registered).
  matmul: (b, [x, y, bias], { transA, transB }) => {
    if (x!.rank < 2 || y!.rank < 2) fail('matmul', 'both operands need at least 2 dimensions', x!, y!);
    const [r0, r1] = x!.shape.slice(-2) as [number, number];
    const [c0, c1] = y!.shape.slice(-2) as [number, number];
    const [M, K] = transA ? [r1, r0] : [r0, r1];
    const [K2, N] = transB ? [c1, c0] : [c0, c1];
    if (K !== K2) fail('matmul', `inner dimensions differ (${K} vs ${K2}; transA=${transA}, transB=${transB})`, x!, y!);
    const batchShape = x!.shape.slice(0, -2);
    const bBatched = y!.rank > 2;
    if (bBatched && !shapesEqual(y!.shape.slice(0, -2), batchShape)) {
      fail('matmul', 'the second operand must be 2-D or share the first operand\'s batch dimensions', x!, y!);
    }
    const batch = sizeOf(batchShape);
    const shape = [...batchShape, M, N];
    if (!bias) return { shape, storage: b.matmul(x!.storage, y!.storage, batch, M, K, N, transA, transB, bBatched) };
    if (!shapesEqual(bias.shape, [N])) fail('matmul', `the bias must be [${N}]`, x!, y!, bias);
    const kernel = (k: FusedKernels['matmulBias']) =>
      k(b, x!.storage, y!.storage, bias.storage, batch, M, K, N, transA, transB, bBatched);
    return { shape, ...fused('matmulBias', b, kernel, () => matmulBiasComposite(x!, y!, bias, { transA, transB })) };
  },

  reshape: (_b, [a], { shape }) => {
    if (sizeOf(shape) !== a!.size) fail('reshape', `cannot reshape ${a!.size} elements to ${shapeToString(shape)}`, a!);
    return { shape, storage: a!.storage }; // contiguous storage: a reshape is free
  },

  permute: (b, [a], { perm }) => {
    const sorted = [...perm].sort((i, j) => i - j);
    if (perm.length !== a!.rank || sorted.some((p, i) => p !== i)) {
      fail('permute', `[${perm.join(', ')}] is not a permutation of the axes`, a!);
    }
    return { shape: perm.map((p) => a!.shape[p]!), storage: b.permute(a!.storage, a!.shape, perm) };
  },

  slice: (b, [a], { starts, ends }) => {
    a!.shape.forEach((d, i) => {
      if (!(0 <= starts[i]! && starts[i]! <= ends[i]! && ends[i]! <= d)) {
        fail('slice', `range [${starts[i]}, ${ends[i]}) is outside axis ${i} of size ${d}`, a!);
      }
    });
    return { shape: starts.map((s, i) => ends[i]! - s), storage: b.slice(a!.storage, a!.shape, starts, ends) };
  },

  pad: (b, [a], { before, after }) => ({
    shape: a!.shape.map((d, i) => before[i]! + d + after[i]!),
    storage: b.pad(a!.storage, a!.shape, before, after),
  }),

  expand: (b, [a], { shape }) => {
    const out = broadcastShapes('expand', a!.shape, shape);
    if (!shapesEqual(out, shape)) fail('expand', `cannot broadcast to ${shapeToString(shape)}`, a!);
    return { shape, storage: b.expand(a!.storage, a!.shape, shape) };
  },

  // table [rows, cols], index [...] -> [..., cols]
  gatherRows: (b, [table], { index }) => {
    if (table!.rank !== 2) fail('gatherRows', 'the table must be 2-D', table!);
    const [rows, cols] = table!.shape as [number, number];
    const storage = b.gatherRows(table!.storage, rows, cols, index.storage, index.size);
    return { shape: [...index.shape, cols], storage };
  },

  // src [..., cols], index [...] -> [rows, cols]
  scatterAddRows: (b, [src], { index, rows }) => {
    const cols = src!.shape[src!.rank - 1]!;
    if (src!.size !== index.size * cols) fail('scatterAddRows', 'needs one index per row of the source', src!, index);
    return { shape: [rows, cols], storage: b.scatterAddRows(src!.storage, index.size, cols, index.storage, rows) };
  },

  // x [..., n], index [..., k] -> [..., k]
  gatherLast: (b, [x], { index }) => {
    if (!shapesEqual(x!.shape.slice(0, -1), index.shape.slice(0, -1))) {
      fail('gatherLast', 'leading dimensions differ', x!, index);
    }
    const { outer, n } = splitAtAxis(x!.shape, x!.rank - 1);
    const k = index.shape[index.rank - 1]!;
    return { shape: index.shape, storage: b.gatherLast(x!.storage, outer, n, index.storage, k) };
  },

  // src [..., k], index [..., k] -> [..., n]
  scatterLast: (b, [src], { index, n }) => {
    if (!shapesEqual(src!.shape, index.shape)) fail('scatterLast', 'source and index shapes differ', src!, index);
    const { outer, n: k } = splitAtAxis(src!.shape, src!.rank - 1);
    return { shape: [...src!.shape.slice(0, -1), n], storage: b.scatterLast(src!.storage, outer, k, index.storage, n) };
  },

  // The sparse products of a top-k code, with W [n, d] holding one row per latent.
  // x [B, d], W [n, d], index [B, k] -> [B, k]
  gatherDot: (b, [x, w], { index }) => {
    const { B, k, d, n } = sparseDims('gatherDot', x!, w!, index);
    return { shape: [B, k], storage: b.gatherDot(x!.storage, w!.storage, index.storage, B, k, d, n) };
  }, // v [B, k], W [n, d], index [B, k] -> [B, d]
  gatherCombine: (b, [v, w], { index }) => {
    if (!shapesEqual(v!.shape, index.shape)) fail('gatherCombine', 'values and index shapes differ', v!, index);
    const { B, k, d, n } = sparseDims('gatherCombine', undefined, w!, index);
    return { shape: [B, d], storage: b.gatherCombine(v!.storage, w!.storage, index.storage, B, k, d, n) };
  }, // a [B, k], x [B, d], index [B, k] -> [n, d]
  scatterOuter: (b, [a, x], { index, n }) => {
    if (!shapesEqual(a!.shape, index.shape)) fail('scatterOuter', 'weights and index shapes differ', a!, index);
    const [B, k] = index.shape as [number, number];
    if (x!.rank !== 2 || x!.shape[0] !== B) fail('scatterOuter', `x must be [${B}, d]`, x!, index);
    const d = x!.shape[1]!;
    return { shape: [n, d], storage: b.scatterOuter(a!.storage, x!.storage, index.storage, B, k, d, n) };
  },

  // x [..., n] -> indices [..., k]
  topk: (b, [x], { k }) => {
    const { outer, n } = splitAtAxis(x!.shape, x!.rank - 1);
    if (!Number.isInteger(k) || k < 1 || k > n) {
      fail('topk', `k (${k}) must be an integer in 1..${n}, the size of the last axis`, x!);
    }
    return { shape: [...x!.shape.slice(0, -1), k], storage: b.topk(x!.storage, outer, n, k) };
  },
  // The fused top-k of (|x| * (1 - mask)) * scale: x, mask [..., n], scale [..., 1] -> indices [..., k]
  maskedAbsTopk: (b, [x, mask, scale], { k }) => {
    const { outer, n } = splitAtAxis(x!.shape, x!.rank - 1);
    if (!shapesEqual(mask!.shape, x!.shape)) fail('maskedAbsTopk', 'the mask must have the shape of x', x!, mask!);
    if (!shapesEqual(scale!.shape, [...x!.shape.slice(0, -1), 1])) {
      fail('maskedAbsTopk', 'the scale must be one value per row, [..., 1]', x!, scale!);
    }
    if (!Number.isInteger(k) || k < 1 || k > n) {
      fail('maskedAbsTopk', `k (${k}) must be an integer in 1..${n}, the size of the last axis`, x!);
    }
    const kernel = (kk: FusedKernels['maskedAbsTopk']) => kk(b, x!.storage, mask!.storage, scale!.storage, outer, n, k);
    const composite = () => maskedAbsTopkComposite(x!, mask!, scale!, k);
    return { shape: [...x!.shape.slice(0, -1), k], ...fused('maskedAbsTopk', b, kernel, composite) };
  },
};

/** Checks the shapes of a sparse product: x [B, d] (if given), W [n, d], index [B, k]. */
function sparseDims(op: string, x: Tensor | undefined, w: Tensor, index: Tensor):
  { B: number; k: number; d: number; n: number } {
  if (w.rank !== 2 || index.rank !== 2) fail(op, 'needs W [n, d] and index [B, k]', w, index);
  const [n, d] = w.shape as [number, number];
  const [B, k] = index.shape as [number, number];
  if (x && (x.rank !== 2 || x.shape[0] !== B || x.shape[1] !== d)) fail(op, `x must be [${B}, ${d}]`, x, w, index);
  return { B, k, d, n };
}

/**
 * Runs primitive `op` on `inputs` and, when gradients are wanted, records it on the tape.
 * Every tensor operation in the engine ends up here.
 */
export function apply<P extends Primitive>(op: P, inputs: Tensor[], args: PrimitiveArgs[P]): Tensor {
  const backend = inputs[0]!.backend;
  for (const t of [...inputs, ...indexArgs(args)]) {
    if (t.backend !== backend) {
      throw new Error(`${op}: tensors live on different backends (${backend.name} and ${t.backend.name});`
        + ' create them on one backend');
    }
  }
  const { shape, storage, base } = (forwards[op] as Forward<P>)(backend, inputs, args);
  const record = isGradEnabled() && gradients[op] !== null && inputs.some((t) => t.requiresGrad);
  const viewed = inputs.find((t) => t.storage === storage); // a view (reshape) shares its input's storage
  const out = new Tensor(shape, storage, backend, record ? { op, inputs, args } : null, base ?? viewed?.base);
  out.requiresGrad = record;
  return out;
}

function indexArgs(args: object): Tensor[] {
  return Object.values(args).filter((v): v is Tensor => v instanceof Tensor);
}
