/**
 * Every primitive, on every backend: a forward pass on hand-computed values and a gradient check
 * against float64 central differences. One table row per primitive, tinygrad-style.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  add, apply, concat, gatherDot, gradients, matmul, mul, ReferenceBackend, reshape, sum, tensor, withBackend,
  type Backend, type Primitive, type Tensor,
} from '../src/index.js';
import { backend, backendNames, expectAllClose, gradcheck, input, run, type Input } from './helpers.js';

interface Case {
  /** Builds the output from host-made tensors. */
  forward: () => Tensor;
  expected: number[];
  expectedShape?: number[];
  /** A differentiable use of the primitive and its inputs, unless it has no gradient. */
  grad?: { f: (...xs: Tensor[]) => Tensor; inputs: Input[] };
}

const t = (v: number[] | number[][], shape?: number[]) => tensor(v as number[], shape);
const idx = (v: number[], shape?: number[]) => tensor(v, shape ?? [v.length]);
const op = <P extends Primitive>(p: P, xs: Tensor[], args: Parameters<typeof apply<P>>[2]) => apply(p, xs, args);
const positive = (shape: number[], seed: number) => input(shape, seed, 0.5, 2);

const cases: Record<Primitive, Case> = {
  neg: {
    forward: () => op('neg', [t([1, -2, 3])], {}), expected: [-1, 2, -3],
    grad: { f: (x) => op('neg', [x!], {}), inputs: [input([2, 3], 1)] },
  },
  exp: {
    forward: () => op('exp', [t([0, 1, -1])], {}), expected: [1, Math.E, 1 / Math.E],
    grad: { f: (x) => op('exp', [x!], {}), inputs: [input([5], 2)] },
  },
  log: {
    forward: () => op('log', [t([1, Math.E, 0.5])], {}), expected: [0, 1, Math.log(0.5)],
    grad: { f: (x) => op('log', [x!], {}), inputs: [positive([4], 3)] },
  },
  sqrt: {
    forward: () => op('sqrt', [t([4, 9, 2])], {}), expected: [2, 3, Math.SQRT2],
    grad: { f: (x) => op('sqrt', [x!], {}), inputs: [positive([4], 4)] },
  },
  tanh: {
    forward: () => op('tanh', [t([0, 1, -2])], {}), expected: [0, 0.7615941559557649, -0.9640275800758169],
    grad: { f: (x) => op('tanh', [x!], {}), inputs: [input([6], 5, -2, 2)] },
  },
  erf: {
    forward: () => op('erf', [t([0, 0.5, -1, 3])], {}),
    expected: [0, 0.5204998778130465, -0.8427007929497149, 0.9999779095030014],
    grad: { f: (x) => op('erf', [x!], {}), inputs: [input([6], 6, -2, 2)] },
  },
  gelu: {
    forward: () => op('gelu', [t([1, -1, 2, 0])], {}),
    expected: [0.8413447460685429, -0.15865525393145707, 1.9544997361036416, 0],
    grad: { f: (x) => op('gelu', [x!], {}), inputs: [input([6], 41, -3, 3)] },
  },
  // g * (Phi(x) + x phi(x)): 2 * 0.5 at 0; Phi(1) + phi(1) at 1.
  geluGrad: {
    forward: () => op('geluGrad', [t([0, 1]), t([2, 1])], {}), expected: [1, 0.8413447460685429 + 0.24197072451914337],
  },
  abs: {
    forward: () => op('abs', [t([-1.5, 2, 0])], {}), expected: [1.5, 2, 0],
    grad: { f: (x) => op('abs', [x!], {}), inputs: [input([6], 7)] },
  },

  add: {
    forward: () => op('add', [t([[1, 2, 3], [4, 5, 6]]), t([10, 20, 30])], {}),
    expected: [11, 22, 33, 14, 25, 36], expectedShape: [2, 3],
    grad: { f: (a, b) => op('add', [a!, b!], {}), inputs: [input([2, 3], 8), input([3], 9)] },
  },
  sub: {
    forward: () => op('sub', [t([[1], [2]]), t([1, 2, 3])], {}), expected: [0, -1, -2, 1, 0, -1], expectedShape: [2, 3],
    grad: { f: (a, b) => op('sub', [a!, b!], {}), inputs: [input([2, 1], 10), input([3], 11)] },
  },
  mul: {
    forward: () => op('mul', [t([1, 2, 3]), tensor([2], [])], {}), expected: [2, 4, 6],
    grad: { f: (a, b) => op('mul', [a!, b!], {}), inputs: [input([3, 2], 12), input([3, 1], 13)] },
  },
  div: {
    forward: () => op('div', [t([1, 2, 3]), t([2, 4, 8])], {}), expected: [0.5, 0.5, 0.375],
    grad: { f: (a, b) => op('div', [a!, b!], {}), inputs: [input([2, 3], 14), positive([3], 15)] },
  },
  maximum: {
    forward: () => op('maximum', [t([1, 5, 3]), t([2, 4, 3])], {}), expected: [2, 5, 3],
    grad: { f: (a, b) => op('maximum', [a!, b!], {}), inputs: [input([4, 3], 16), input([3], 17)] },
  },
  cmpgt: { forward: () => op('cmpgt', [t([1, 5, 3]), t([2, 4, 3])], {}), expected: [0, 1, 0] },
  cmpeq: { forward: () => op('cmpeq', [t([1, 5, 3]), t([2, 4, 3])], {}), expected: [0, 0, 1] },
  where: {
    forward: () => op('where', [t([1, 0, 1]), t([1, 2, 3]), t([7])], {}), expected: [1, 7, 3],
    grad: {
      f: (a, b) => op('where', [idx([1, 0, 0, 1, 1, 0], [2, 3]), a!, b!], {}),
      inputs: [input([2, 3], 18), input([3], 19)],
    },
  },

  layerNorm: {
    // Row [1, 2, 3]: mean 2, biased variance 2/3.
    forward: () => op('layerNorm', [t([[1, 2, 3]])], { eps: 1e-5 }),
    expected: [-1, 0, 1].map((v) => v / Math.sqrt(2 / 3 + 1e-5)),
    grad: { f: (x) => op('layerNorm', [x!], { eps: 1e-5 }), inputs: [input([3, 5], 42)] },
  },
  layerNormGrad: {
    // x = [1, 2, 3], g = [1, 0, 0]: y = [-a, 0, a] with a = rstd = 1/sqrt(2/3 + eps); mean(g) = 1/3,
    // mean(g y) = -a/3, so dx = rstd * (g - 1/3 - y * (-a/3)) = a * [2/3 - a^2/3, -1/3, -1/3 + a^2/3].
    forward: () => op('layerNormGrad', [t([[1, 2, 3]]), t([[1, 0, 0]])], { eps: 1e-5 }),
    expected: ((a) => [a * (2 / 3 - (a * a) / 3), -a / 3, a * (-1 / 3 + (a * a) / 3)])(1 / Math.sqrt(2 / 3 + 1e-5)),
  },
  softmax: {
    // Row [0, ln 2, ln 3]: exp gives [1, 2, 3], sum 6.
    forward: () => op('softmax', [t([[0, Math.LN2, Math.log(3)], [5, 5, 5]])], {}),
    expected: [1 / 6, 2 / 6, 3 / 6, 1 / 3, 1 / 3, 1 / 3],
    grad: { f: (x) => op('softmax', [x!], {}), inputs: [input([3, 5], 44, -3, 3)] },
  },
  softmaxGrad: {
    // y = [0.25, 0.75], g = [1, 3]: sum(g y) = 2.5, so y * (g - 2.5) = [-0.375, 0.375].
    forward: () => op('softmaxGrad', [t([[0.25, 0.75]]), t([[1, 3]])], {}), expected: [-0.375, 0.375],
  },
  sum: {
    forward: () => op('sum', [t([[1, 2, 3], [4, 5, 6]])], { axis: 0 }), expected: [5, 7, 9], expectedShape: [1, 3],
    grad: { f: (x) => op('sum', [x!], { axis: 1 }), inputs: [input([3, 4, 2], 20)] },
  },
  max: {
    forward: () => op('max', [t([[1, 7, 3], [4, 5, 6]])], { axis: -1 }), expected: [7, 6], expectedShape: [2, 1],
    grad: { f: (x) => op('max', [x!], { axis: 1 }), inputs: [input([3, 4, 2], 21)] },
  },

  matmul: {
    forward: () => op('matmul', [t([[1, 2], [3, 4]]), t([[5, 6], [7, 8]])], { transA: false, transB: false }),
    expected: [19, 22, 43, 50],
    grad: {
      // Every transpose form, a batched and a shared right operand, in one function.
      f: (a, b, c, d, e) => {
        const ab = op('matmul', [a!, b!], { transA: false, transB: true }); // [2,3,5] @ [4,5]^T -> [2,3,4]
        const ta = op('matmul', [a!, ab], { transA: true, transB: false }); // [2,3,5]^T @ [2,3,4] -> [2,5,4]
        const tt = op('matmul', [ta, c!], { transA: true, transB: true }); // [2,5,4]^T @ [2,4,5]^T -> [2,4,4]
        const ad = op('matmul', [a!, d!, e!], { transA: true, transB: false }); // [2,3,5]^T @ [3,2] + [2] -> [2,5,2]
        return concat([reshape(tt, [-1]), reshape(ad, [-1])]);
      },
      inputs: [input([2, 3, 5], 22), input([4, 5], 23), input([2, 4, 5], 24), input([3, 2], 34), input([2], 43)],
    },
  },

  reshape: {
    forward: () => op('reshape', [t([1, 2, 3, 4, 5, 6])], { shape: [3, 2] }),
    expected: [1, 2, 3, 4, 5, 6], expectedShape: [3, 2],
    grad: { f: (x) => op('reshape', [x!], { shape: [4, 3] }), inputs: [input([2, 6], 25)] },
  },
  permute: {
    forward: () => op('permute', [t([[1, 2, 3], [4, 5, 6]])], { perm: [1, 0] }),
    expected: [1, 4, 2, 5, 3, 6], expectedShape: [3, 2],
    grad: { f: (x) => op('permute', [x!], { perm: [2, 0, 1] }), inputs: [input([2, 3, 4], 26)] },
  },
  slice: {
    forward: () => op('slice', [t([[1, 2, 3], [4, 5, 6]])], { starts: [0, 1], ends: [2, 3] }),
    expected: [2, 3, 5, 6], expectedShape: [2, 2],
    grad: { f: (x) => op('slice', [x!], { starts: [1, 0, 2], ends: [3, 2, 4] }), inputs: [input([3, 3, 5], 27)] },
  },
  pad: {
    forward: () => op('pad', [t([1, 2])], { before: [1], after: [2] }), expected: [0, 1, 2, 0, 0],
    grad: { f: (x) => op('pad', [x!], { before: [1, 0], after: [0, 2] }), inputs: [input([2, 3], 28)] },
  },
  expand: {
    forward: () => op('expand', [t([1, 2])], { shape: [2, 2] }), expected: [1, 2, 1, 2], expectedShape: [2, 2],
    grad: { f: (x) => op('expand', [x!], { shape: [2, 3, 4] }), inputs: [input([3, 1], 29)] },
  },

  gatherRows: {
    forward: () => op('gatherRows', [t([[1, 2], [3, 4], [5, 6]])], { index: idx([2, 0, 2]) }),
    expected: [5, 6, 1, 2, 5, 6], expectedShape: [3, 2],
    grad: { f: (x) => op('gatherRows', [x!], { index: idx([1, 3, 1, 0], [2, 2]) }), inputs: [input([4, 3], 30)] },
  },
  scatterAddRows: {
    forward: () => op('scatterAddRows', [t([[1, 1], [2, 2], [3, 3]])], { index: idx([2, 0, 2]), rows: 3 }),
    expected: [2, 2, 0, 0, 4, 4], expectedShape: [3, 2],
    grad: { f: (x) => op('scatterAddRows', [x!], { index: idx([1, 3, 1, 0]), rows: 5 }), inputs: [input([4, 3], 31)] },
  },
  gatherLast: {
    forward: () => op('gatherLast', [t([[1, 2, 3], [4, 5, 6]])], { index: idx([2, 0, 1, 1], [2, 2]) }),
    expected: [3, 1, 5, 5], expectedShape: [2, 2],
    grad: { f: (x) => op('gatherLast', [x!], { index: idx([2, 0, 1, 1, 3, 3], [2, 3]) }), inputs: [input([2, 4], 32)] },
  },
  scatterLast: {
    forward: () => op('scatterLast', [t([[1, 2], [3, 4]])], { index: idx([2, 0, 1, 1], [2, 2]), n: 3 }),
    expected: [2, 0, 1, 0, 7, 0], expectedShape: [2, 3],
    grad: {
      f: (x) => op('scatterLast', [x!], { index: idx([2, 0, 1, 1], [2, 2]), n: 4 }),
      inputs: [input([2, 2], 33)],
    },
  },
  // W rows: [1, 0], [0, 2], [1, 1]; x rows [1, 2], [3, 4].
  gatherDot: {
    forward: () => op('gatherDot', [t([[1, 2], [3, 4]]), t([[1, 0], [0, 2], [1, 1]])],
      { index: idx([2, 1, 0, 0], [2, 2]) }),
    expected: [3, 4, 3, 3], expectedShape: [2, 2],
    grad: {
      f: (x, w) => op('gatherDot', [x!, w!], { index: idx([2, 1, 0, 2, 4, 4], [2, 3]) }),
      inputs: [input([2, 3], 35), input([5, 3], 36)],
    },
  },
  gatherCombine: {
    forward: () => op('gatherCombine', [t([[1, 2], [3, -1]]), t([[1, 0], [0, 2], [1, 1]])],
      { index: idx([2, 1, 0, 0], [2, 2]) }),
    expected: [1, 5, 2, 0], expectedShape: [2, 2],
    grad: {
      f: (v, w) => op('gatherCombine', [v!, w!], { index: idx([2, 1, 0, 2, 4, 4], [2, 3]) }),
      inputs: [input([2, 3], 37), input([5, 3], 38)],
    },
  },
  scatterOuter: {
    forward: () => op('scatterOuter', [t([[1, 2], [3, -1]]), t([[1, 2], [3, 4]])],
      { index: idx([2, 1, 0, 2], [2, 2]), n: 3 }),
    expected: [9, 12, 2, 4, -2, -2], expectedShape: [3, 2],
    grad: {
      f: (a, x) => op('scatterOuter', [a!, x!], { index: idx([2, 1, 0, 2, 4, 4], [2, 3]), n: 5 }),
      inputs: [input([2, 3], 39), input([2, 4], 40)],
    },
  },
  topk: {
    forward: () => op('topk', [t([[1, 3, 2, 3], [0, -1, 5, 4]])], { k: 2 }),
    expected: [1, 3, 2, 3], expectedShape: [2, 2],
  },
  // (|x| (1 - mask)) scale: row 0 scores [2, 0, 4, 1, 4, 0] (a tie at 4: the lower index first), row 1 [0, 2.5, 2.5,
  // 0.5, 1, 1.5]; a masked entry scores 0 and still ranks by its index among equal scores.
  maskedAbsTopk: {
    forward: () => op('maskedAbsTopk', [t([[1, -3, 2, 0.5, -2, 4], [5, 5, -5, 1, 2, 3]]),
      t([[0, 1, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0]]), t([[2], [0.5]])], { k: 3 }),
    expected: [2, 4, 0, 1, 2, 5], expectedShape: [2, 3],
  },
};

describe.each(backendNames())('primitives on %s', (name) => {
  let b: Backend;
  beforeAll(async () => {
    b = await backend(name);
  });

  describe.each(Object.entries(cases) as [Primitive, Case][])('%s', (prim, c) => {
    it('computes hand-worked values', () => {
      let shape: readonly number[] = [];
      const values = run(b, () => {
        const out = c.forward();
        shape = out.shape;
        return out;
      });
      expectAllClose(values, c.expected, 1e-6, 1e-6);
      if (c.expectedShape) expect(shape).toEqual(c.expectedShape);
    });

    it(c.grad ? 'has gradients matching float64 central differences' : 'has no gradient', async () => {
      if (!c.grad) {
        expect(gradients[prim]).toBeNull();
        return;
      }
      expect(gradients[prim]).not.toBeNull();
      await gradcheck(b, c.grad.f, c.grad.inputs);
    });
  });
});

it('has a test case for every primitive in the gradient table', () => {
  expect(Object.keys(cases).sort()).toEqual(Object.keys(gradients).sort());
});

it('builds gradients only for the inputs that need them', () => {
  // A constant operand's gradient would cost a whole product that backward() then throws away: gatherDot's
  // data x (a gatherCombine), a matmul's input, a scalar factor's reduction.
  const calls: string[] = [];
  const counting = new ReferenceBackend(Float32Array);
  for (const m of ['gatherCombine', 'scatterOuter', 'matmul', 'reduce'] as const) {
    const f = counting[m].bind(counting) as (...a: unknown[]) => unknown;
    (counting as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
      calls.push(m);
      return f(...a);
    };
  }
  withBackend(counting, () => {
    const x = tensor(input([2, 3], 61).values, [2, 3]); // constant data
    const w = tensor(input([4, 3], 62).values, [4, 3]).requireGrad();
    const index = tensor([0, 3, 2, 1], [2, 2]);
    const y = matmul(x, w, { transB: true }); // [2, 4]
    const loss = sum(mul(add(gatherDot(x, w, index), sum(y)), 0.5));
    calls.length = 0;
    loss.backward();
    expect(w.grad!.shape).toEqual([4, 3]);
  });
  // Needed: scatterOuter (gatherDot's dW), one matmul (dW), sums undoing broadcasts; not gatherCombine (dx),
  // nor a matmul for dx.
  expect(calls).not.toContain('gatherCombine');
  expect(calls.filter((c) => c === 'matmul')).toHaveLength(1);
  expect(calls).toContain('scatterOuter');
});
