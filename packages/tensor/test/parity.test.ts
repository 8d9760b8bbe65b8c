/**
 * Backend parity: every fast backend gives the reference backend's answers on random inputs,
 * within its tolerances in helpers.ts' NUMERICS (1e-5 relative for all of them), scaled by the
 * reduction length for sums and matmuls.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adam, apply, loadBackend, mul, sum, tensor, withBackend, type Backend, type BinaryOp, type Primitive,
  type PrimitiveArgs,
} from '../src/index.js';
import { backendNames, expectAllClose, input, numerics, type Input } from './helpers.js';

const fast = backendNames().filter((n) => n !== 'reference');

/** Runs one primitive on host inputs under `b` and returns the output values. */
function runOn(b: Backend, op: Primitive, inputs: Input[], args: (bk: Backend) => object = () => ({})): Float32Array {
  return withBackend(b, () => {
    const xs = inputs.map((i) => tensor(i.values, i.shape));
    return Float32Array.from(apply(op, xs, args(b) as PrimitiveArgs[typeof op]).toArray());
  });
}

describe.each(fast)('%s matches the reference backend', (name) => {
  let b: Backend;
  let ref: Backend;
  beforeAll(async () => {
    b = await loadBackend(name);
    ref = await loadBackend('reference');
  });

  const { rtol, atol } = numerics(name);
  const same = (op: Primitive, inputs: Input[], args?: (bk: Backend) => object, scale = 1) =>
    expectAllClose(runOn(b, op, inputs, args), runOn(ref, op, inputs, args), rtol * scale, atol * scale);

  it.each(['neg', 'exp', 'log', 'sqrt', 'tanh', 'erf', 'abs', 'gelu'] as Primitive[])('unary %s', (op) => {
    const positive = op === 'log' || op === 'sqrt';
    same(op, [input([3, 1001], 1, positive ? 0.01 : -4, 4)]);
  });

  it('gelu far out in both tails, and its gradient', () => {
    same('gelu', [input([999], 2, -8, 12)]);
    same('geluGrad', [input([3, 1001], 3, -8, 12), input([3, 1001], 4)]);
  });

  // Every broadcast layout the fast paths claim, and some that fall back.
  const layouts: [string, number[], number[]][] = [
    ['same shape', [64, 33], [64, 33]],
    ['scalar', [64, 33], []],
    ['trailing row', [8, 16, 33], [33]],
    ['per-row column', [8, 16, 33], [8, 16, 1]],
    ['middle run', [4, 5, 6], [5, 1]],
    ['both broadcast', [4, 1, 6], [5, 1]],
    ['broadcast first operand', [33], [64, 33]],
  ];
  const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'cmpgt', 'cmpeq'];
  it.each(binaryOps)('binary %s in every broadcast layout', (op) => {
    layouts.forEach(([, sa, sb], k) => {
      const a = input(sa, 10 + k);
      // cmpeq needs equal values to find: reuse a's values cyclically.
      const nb = sb.reduce((x, y) => x * y, 1);
      const bb = op === 'div' ? input(sb, 20 + k, 0.5, 2)
        : op === 'cmpeq' ? { shape: sb, values: Array.from({ length: nb }, (_, i) => a.values[i % a.values.length]!) }
        : input(sb, 20 + k);
      same(op, [a, bb]);
    });
  });

  it('where in every broadcast layout', () => {
    const cond = (shape: number[], seed: number): Input =>
      ({ shape, values: input(shape, seed).values.map((v) => (v > 0 ? 1 : 0)) });
    const cases: [number[], number[], number[]][] = [
      [[64, 33], [64, 33], []], // relu: full, full, scalar
      [[64, 33], [], [64, 33]],
      [[8, 16, 33], [33], [8, 16, 1]], // trailing row, per-row column
      [[33], [8, 16, 33], []], // broadcast condition
      [[4, 1, 6], [5, 1], [4, 5, 6]], // falls back to the reference loop
    ];
    cases.forEach(([sc, sa, sb], k) => same('where', [cond(sc, 70 + k), input(sa, 80 + k), input(sb, 90 + k)]));
  });

  it('layer norm and its gradient', () => {
    same('layerNorm', [input([300, 128], 32, -3, 5)], () => ({ eps: 1e-5 }), 128);
    same('layerNormGrad', [input([300, 128], 33, -3, 5), input([300, 128], 34)], () => ({ eps: 1e-5 }), 128);
    // Rows whose length is not a multiple of the vector width, with a large mean.
    same('layerNorm', [input([7, 37], 35, 100, 101)], () => ({ eps: 1e-5 }), 37);
    same('layerNormGrad', [input([7, 37], 36, 100, 101), input([7, 37], 37)], () => ({ eps: 1e-5 }), 37);
  });

  it('softmax and its gradient, masked rows included', () => {
    same('softmax', [input([300, 21], 110, -5, 5)]);
    same('softmax', [input([7, 1030], 111, -30, 30)]);
    const masked = input([40, 21], 112, -3, 3);
    masked.values.forEach((_, i) => { if (i % 21 > (i / 21) % 21) masked.values[i] = -1e30; }); // a causal mask
    same('softmax', [masked]);
    same('softmaxGrad', [input([300, 21], 113, 0, 0.2), input([300, 21], 114)], undefined, 21);
  });

  it('movement: permute, slice, pad, expand', () => {
    const x = input([4, 5, 3, 6], 100);
    const perms = [[0, 2, 1, 3], [3, 2, 1, 0], [1, 0, 2, 3], [0, 1, 3, 2], [2, 3, 0, 1]];
    for (const perm of perms) same('permute', [x], () => ({ perm }));
    same('permute', [input([256, 21, 4, 32], 101)], () => ({ perm: [0, 2, 1, 3] })); // attention heads
    same('slice', [x], () => ({ starts: [1, 0, 1, 2], ends: [3, 5, 3, 5] }));
    same('slice', [x], () => ({ starts: [1, 0, 0, 0], ends: [3, 5, 3, 6] })); // one contiguous block
    same('pad', [x], () => ({ before: [1, 0, 2, 0], after: [0, 2, 1, 3] }));
    same('expand', [input([5, 1, 6], 102)], () => ({ shape: [4, 5, 3, 6] }));
    same('expand', [input([4, 1], 103)], () => ({ shape: [4, 100] })); // a broadcast last axis
    same('expand', [input([], 104)], () => ({ shape: [3, 2] }));
  });

  it('reductions over every axis', () => {
    for (const axis of [0, 1, 2]) {
      same('sum', [input([7, 129, 5], 30)], () => ({ axis }), 129);
      same('max', [input([7, 129, 5], 31)], () => ({ axis }));
    }
  });

  it('small batched matmuls as attention makes them (the unpacked path)', () => {
    for (const [M, K, N] of [[21, 32, 21], [21, 21, 32], [10, 32, 21], [3, 5, 2]] as [number, number, number][]) {
      for (const transA of [false, true]) for (const transB of [false, true]) {
        const a = input(transA ? [4, 3, K, M] : [4, 3, M, K], M * K);
        same('matmul', [a, input(transB ? [4, 3, N, K] : [4, 3, K, N], N)], () => ({ transA, transB }), K);
      }
    }
  });

  it('matmul with a bias, in each of the kernel\'s work splits', () => {
    // [batch, M, K, N]: small unpacked products, row split, column split, k-blocked.
    for (const [batch, M, K, N] of [[6, 21, 32, 21], [1, 300, 64, 37], [1, 20, 64, 300], [1, 30, 700, 41]]) {
      for (const transB of [false, true]) {
        const x = input([batch!, M!, K!], M! + K!), w = input(transB ? [N!, K!] : [K!, N!], N!), bias = input([N!], 7);
        same('matmul', [x, w, bias], () => ({ transA: false, transB }), K);
        const wBatched = input(transB ? [batch!, N!, K!] : [batch!, K!, N!], 9);
        same('matmul', [x, wBatched, bias], () => ({ transA: false, transB }), K);
      }
    }
  });

  it('matmul in every transpose form, batched and shared, at sizes around the kernel tiles', () => {
    const sizes: [number, number, number][] = [
      [1, 1, 1], [5, 8, 8], [7, 3, 9], [33, 17, 65], [128, 128, 128], [130, 300, 70],
    ];
    for (const [M, K, N] of sizes) {
      for (const transA of [false, true]) for (const transB of [false, true]) {
        const a = input(transA ? [2, K, M] : [2, M, K], M + K);
        same('matmul', [a, input(transB ? [N, K] : [K, N], N)], () => ({ transA, transB }), K);
        same('matmul', [a, input(transB ? [2, N, K] : [2, K, N], N + 1)], () => ({ transA, transB }), K);
      }
    }
  });

  it('top-k, gathers and scatters', () => {
    const x = input([50, 1024], 40);
    same('topk', [x], () => ({ k: 32 }));
    same('topk', [input([9, 67], 39)], () => ({ k: 16 })); // n < 4k: the heap path
    const ties = { shape: [6, 300], values: input([6, 300], 38).values.map((v) => Math.round(v * 2)) };
    same('topk', [ties], () => ({ k: 20 }));
    const index = (bk: Backend, values: number[], shape: number[]) => withBackend(bk, () => tensor(values, shape));
    const rows = Array.from({ length: 60 }, (_, i) => (i * 7) % 50);
    same('gatherRows', [input([50, 16], 41)], (bk) => ({ index: index(bk, rows, [60]) }));
    same('scatterAddRows', [input([60, 16], 42)], (bk) => ({ index: index(bk, rows, [60]), rows: 50 }));
    const cols = Array.from({ length: 50 * 8 }, (_, i) => (i * 13) % 1024);
    same('gatherLast', [x], (bk) => ({ index: index(bk, cols, [50, 8]) }));
    same('scatterLast', [input([50, 8], 43)], (bk) => ({ index: index(bk, cols, [50, 8]), n: 1024 }));
    // The SAE's sparse products: d = 128, n = 1024, k = 8 per row.
    const code = (bk: Backend) => ({ index: index(bk, cols, [50, 8]) });
    same('gatherDot', [input([50, 128], 44), input([1024, 128], 45)], code, 128);
    same('gatherCombine', [input([50, 8], 46), input([1024, 128], 47)], code, 8);
    same('scatterOuter', [input([50, 8], 48), input([50, 128], 49)], (bk) => ({ ...code(bk), n: 1024 }), 8);
    // d not a multiple of the vector blocks, repeated indices.
    const odd = (bk: Backend) => ({ index: index(bk, Array.from({ length: 15 }, (_, i) => (i * 7) % 11), [3, 5]) });
    same('gatherDot', [input([3, 37], 50), input([11, 37], 51)], odd, 37);
    same('gatherCombine', [input([3, 5], 52), input([11, 37], 53)], odd, 5);
    same('scatterOuter', [input([3, 5], 54), input([3, 37], 55)], (bk) => ({ ...odd(bk), n: 11 }), 5);
  });

  it('index errors name the op and the bad index, as the reference does', () => {
    const index = (values: number[], shape: number[]) => withBackend(b, () => tensor(values, shape));
    const run = (op: Primitive, inputs: Input[], args: object) =>
      () => withBackend(b, () =>
        apply(op, inputs.map((i) => tensor(i.values, i.shape)), args as PrimitiveArgs[typeof op]));
    expect(run('gatherRows', [input([5, 3], 1)], { index: index([0, 5], [2]) }))
      .toThrow('gatherRows: index 5 is out of range [0, 5)');
    expect(run('scatterAddRows', [input([2, 3], 1)], { index: index([1, -1], [2]), rows: 4 }))
      .toThrow('scatterAddRows: index -1 is out of range [0, 4)');
    expect(run('gatherLast', [input([2, 4], 1)], { index: index([0, 1.5], [2, 1]) }))
      .toThrow('gatherLast: index 1.5 is out of range [0, 4)');
    expect(run('scatterLast', [input([2, 1], 1)], { index: index([0, 4], [2, 1]), n: 4 }))
      .toThrow('scatterLast: index 4 is out of range [0, 4)');
    const code = index([0, 1, 2, NaN], [2, 2]);
    expect(run('gatherDot', [input([2, 3], 1), input([3, 3], 2)], { index: code }))
      .toThrow('gatherDot: index NaN is out of range [0, 3)');
    expect(run('gatherCombine', [input([2, 2], 1), input([3, 3], 2)], { index: code }))
      .toThrow('gatherCombine: index NaN');
    expect(run('scatterOuter', [input([2, 2], 1), input([2, 3], 2)], { index: code, n: 3 }))
      .toThrow('scatterOuter: index NaN');
  });

  it('Adam steps', () => {
    const trajectory = (bk: Backend) => withBackend(bk, () => {
      const p = tensor(input([1000], 50).values).requireGrad();
      const opt = new Adam([p], { lr: 0.01, weightDecay: 0.1 });
      const target = tensor(input([1000], 51).values);
      for (let i = 0; i < 5; i++) {
        opt.zeroGrad();
        sum(mul(p, target)).backward();
        opt.step();
      }
      return p.toArray();
    });
    expectAllClose(trajectory(b), trajectory(ref), 1e-5, 1e-6);
  });

  it('gives bit-identical results when run twice', () => {
    const a = input([300, 200], 60);
    const w = input([200, 100], 61);
    const once = () => runOn(b, 'matmul', [a, w], () => ({ transA: false, transB: false }));
    expect(once()).toEqual(once());
  });
});

