/**
 * Backend parity: every fast backend gives the reference backend's answers on random inputs,
 * within 1e-5 relative (scaled by the reduction length for sums and matmuls).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adam, apply, loadBackend, mul, sum, tensor, withBackend, type Backend, type BinaryOp, type Primitive,
  type PrimitiveArgs, type UnaryOp,
} from '../src/index.js';
import { backendNames, expectAllClose, input, type Input } from './helpers.js';

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

  const same = (op: Primitive, inputs: Input[], args?: (bk: Backend) => object, scale = 1) =>
    expectAllClose(runOn(b, op, inputs, args), runOn(ref, op, inputs, args), 1e-5 * scale, 1e-6 * scale);

  it.each(['neg', 'exp', 'log', 'sqrt', 'tanh', 'erf', 'abs', 'gelu', 'geluGrad'] as UnaryOp[])('unary %s', (op) => {
    const positive = op === 'log' || op === 'sqrt';
    same(op, [input([3, 1000], 1, positive ? 0.01 : -4, 4)]);
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
  it.each(['add', 'sub', 'mul', 'div', 'maximum', 'cmpgt', 'cmpeq'] as BinaryOp[])('binary %s in every broadcast layout', (op) => {
    layouts.forEach(([, sa, sb], k) => {
      const a = input(sa, 10 + k);
      // cmpeq needs equal values to find: reuse a's values cyclically.
      const nb = sb.reduce((x, y) => x * y, 1);
      const bb = op === 'div' ? input(sb, 20 + k, 0.5, 2)
        : op === 'cmpeq' ? { shape: sb, values: Array.from({ length: nb }, (_, i) => a.values[i % a.values.length]!) } : input(sb, 20 + k);
      same(op, [a, bb]);
    });
  });

  it('layer norm and its gradient', () => {
    same('layerNorm', [input([300, 128], 32, -3, 5)], () => ({ eps: 1e-5 }), 128);
    same('layerNormGrad', [input([300, 128], 33, -3, 5), input([300, 128], 34)], () => ({ eps: 1e-5 }), 128);
  });

  it('reductions over every axis', () => {
    for (const axis of [0, 1, 2]) {
      same('sum', [input([7, 129, 5], 30)], () => ({ axis }), 129);
      same('max', [input([7, 129, 5], 31)], () => ({ axis }));
    }
  });

  it('matmul in every transpose form, batched and shared, at sizes around the kernel tiles', () => {
    const sizes: [number, number, number][] = [[1, 1, 1], [5, 8, 8], [7, 3, 9], [33, 17, 65], [128, 128, 128], [130, 300, 70]];
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

