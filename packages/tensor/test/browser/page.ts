/**
 * The page side of browser.test.ts, bundled by esbuild and loaded into Chromium: runs every gpujs
 * kernel family in the WebGL mode asked for, and the same computations on the reference
 * backend, and trains a small MLP on both. Returns the numbers for the test to judge.
 */
import {
  Adam, Linear, Module, Rng, add, gatherRows, gelu, gt, layerNorm, loadBackend, logSoftmax, matmul, max, mseLoss,
  normal, pad, permute, scatterLast, slice, softmax, sum, tanh, tensor, topk, where, withBackend, gatherDot,
  gatherCombine,
  type Backend, type Tensor,
} from '../../src/index.js';
import { createGpujsBackend } from '../../src/backends/gpujs.js';

/** One computation per kernel family, each from seeded inputs made on the backend it runs on. */
const CASES: Record<string, () => Tensor> = {
  'matmul, every transpose form': () => {
    const a = normal([2, 33, 17], new Rng(1));
    const b = normal([17, 9], new Rng(2));
    return add(sum(matmul(a, b)), sum(matmul(a, matmul(a, b), { transA: true }), 0));
  },
  'broadcasting, where, max': () => {
    const x = normal([4, 5, 6], new Rng(3));
    return where(gt(normal([5, 1], new Rng(4)), 0), add(x, normal([6], new Rng(5))), max(x, 1, true));
  },
  'permute, slice, pad': () => {
    const x = permute(normal([3, 4, 5], new Rng(6)), [2, 0, 1]);
    return pad(slice(x, { 1: [1, 3] }), [1, 0, 2], [0, 1, 1]);
  },
  'long sums, softmax, logSoftmax': () => {
    const columns = sum(softmax(normal([300, 70], new Rng(7))), 0);
    return add(columns, sum(logSoftmax(normal([70, 300], new Rng(8))), 1).reshape([1, 70]));
  },
  'layer norm, GELU, tanh': () => tanh(gelu(layerNorm(normal([16, 32], new Rng(9), 0, 3)))),
  'top-k and the sparse products': () => {
    const x = normal([8, 64], new Rng(10));
    const w = normal([64, 64], new Rng(11));
    const { indices } = topk(x, 5);
    return add(gatherDot(x, w, indices), gatherCombine(gatherDot(x, w, indices), indices, w).sum(-1, true));
  },
  'gathers and scatters': () => {
    const table = normal([10, 4], new Rng(12));
    const idx = tensor([3, 1, 4, 1, 5, 9, 2, 6], [2, 4]);
    return add(scatterLast(gatherRows(table, idx).sum(-1), idx, 10), 1);
  },
};

class MLP extends Module {
  readonly hidden: Linear;
  readonly out: Linear;
  constructor(rng: Rng) {
    super();
    this.hidden = new Linear(1, 16, rng);
    this.out = new Linear(16, 1, rng);
  }
  forward(x: Tensor): Tensor {
    return this.out.forward(tanh(this.hidden.forward(x))); // [N, 1] -> [N, 16] -> [N, 1]
  }
}

/** Adam on y = sin(3x), 30 full-batch steps: the losses. */
function train(b: Backend): number[] {
  return withBackend(b, () => {
    const xs = Array.from({ length: 32 }, (_, i) => -1 + (2 * i) / 31);
    const x = tensor(xs, [32, 1]);
    const y = tensor(xs.map((v) => Math.sin(3 * v)), [32, 1]);
    const model = new MLP(new Rng(0));
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    return Array.from({ length: 30 }, () => {
      opt.zeroGrad();
      const loss = mseLoss(model.forward(x), y);
      loss.backward();
      opt.step();
      return loss.item();
    });
  });
}

export interface PageResult {
  mode: string;
  /** Per case: the gpujs values and the reference values. */
  cases: Record<string, { got: number[]; want: number[] }>;
  losses: { got: number[]; want: number[] };
}

async function run(mode: string): Promise<PageResult> {
  const gpujs = await createGpujsBackend(mode);
  const ref = await loadBackend('reference');
  const values = (b: Backend, f: () => Tensor) => Array.from(withBackend(b, () => f().toArray()));
  const cases = Object.fromEntries(Object.entries(CASES)
    .map(([name, f]) => [name, { got: values(gpujs, f), want: values(ref, f) }]));
  const losses = { got: train(gpujs), want: train(ref) };
  gpujs.dispose();
  return { mode: gpujs.mode, cases, losses };
}

(globalThis as unknown as { runGpujs: typeof run }).runGpujs = run;
