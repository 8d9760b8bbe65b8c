/** The composite nn functions on every backend: hand-worked values and gradient checks. */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  crossEntropy, gelu, layerNorm, logSoftmax, mean, normalize, relu, softmax, tensor, topk, mseLoss, oneHot,
  concat, minimum, geluComposite, layerNormComposite, softmaxComposite, sum, mul, withBackend,
  type Backend, type Tensor,
} from '../src/index.js';
import { backend, backendNames, expectAllClose, gradcheck, input, run } from './helpers.js';

describe.each(backendNames())('nn functions on %s', (name) => {
  let b: Backend;
  beforeAll(async () => {
    b = await backend(name);
  });

  it('relu zeroes negatives and passes gradient only where x > 0', async () => {
    expectAllClose(run(b, () => relu(tensor([-1, 0, 2]))), [0, 0, 2]);
    await gradcheck(b, (x) => relu(x!), [input([3, 4], 1)]);
  });

  it('gelu is the exact erf form', async () => {
    // 0.5 x (1 + erf(x / sqrt 2)) at x = 1, -1, 2 (values from the definition in float64).
    const want = [0.8413447460685429, -0.15865525393145707, 1.9544997361036416, 0];
    expectAllClose(run(b, () => gelu(tensor([1, -1, 2, 0]))), want, 1e-6, 1e-6);
    await gradcheck(b, (x) => gelu(x!), [input([2, 5], 2, -3, 3)]);
  });

  it('the fused gelu, layerNorm and softmax primitives equal their compositions, values and gradients', () => {
    const x = input([6, 16], 14, -3, 3);
    const pairs = [
      [gelu, geluComposite], [(t: Tensor) => layerNorm(t), (t: Tensor) => layerNormComposite(t)],
      [(t: Tensor) => softmax(t), (t: Tensor) => softmaxComposite(t)],
    ] as const;
    for (const [fused, composite] of pairs) {
      const outs = [fused, composite].map((f) => withBackend(b, () => {
        const t = tensor(x.values, x.shape).requireGrad();
        const y = f(t);
        sum(mul(y, y)).backward();
        return [Array.from(y.toArray()), Array.from(t.grad!.toArray())];
      }));
      expectAllClose(outs[0]![0]!, outs[1]![0]!, 1e-5, 1e-6);
      expectAllClose(outs[0]![1]!, outs[1]![1]!, 1e-4, 1e-5);
    }
  });

  it('softmax and logSoftmax agree with the definition', async () => {
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = e[0]! + e[1]! + e[2]!;
    expectAllClose(run(b, () => softmax(tensor([[1, 2, 3]]))), e.map((v) => v / z));
    expectAllClose(run(b, () => logSoftmax(tensor([[1, 2, 3]]))), e.map((v) => Math.log(v / z)));
    // Large logits do not overflow: the max is subtracted first.
    expectAllClose(run(b, () => softmax(tensor([[1000, 1000]]))), [0.5, 0.5]);
    await gradcheck(b, (x) => softmax(x!, 1), [input([2, 3, 2], 3)]);
    await gradcheck(b, (x) => logSoftmax(x!), [input([3, 4], 4)]);
  });

  it('crossEntropy is the mean negative log-probability of the targets', async () => {
    const logits = [[2, 0, 0], [0, 0, 1]];
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const expected = -((2 - lse(logits[0]!)) + (1 - lse(logits[1]!))) / 2;
    expectAllClose(run(b, () => crossEntropy(tensor(logits), tensor([0, 2]))), [expected]);
    await gradcheck(b, (x) => crossEntropy(x!, tensor([1, 0, 3, 3, 2, 0], [2, 3])), [input([2, 3, 4], 5)]);
  });

  it('layerNorm normalises the last axis with the biased variance', async () => {
    // Row [1, 2, 3]: mean 2, variance 2/3.
    const s = Math.sqrt(2 / 3 + 1e-5);
    expectAllClose(run(b, () => layerNorm(tensor([[1, 2, 3]]))), [-1 / s, 0, 1 / s], 1e-5, 1e-6);
    const y = run(b, () => layerNorm(tensor([[1, 2, 3]]), tensor([2, 2, 2]), tensor([1, 1, 1])));
    expectAllClose(y, [1 - 2 / s, 1, 1 + 2 / s], 1e-5, 1e-6);
    await gradcheck(b, (x, w, c) => layerNorm(x!, w, c), [input([3, 5], 6), input([5], 7), input([5], 8)]);
  });

  it('normalize scales rows to unit norm', async () => {
    expectAllClose(run(b, () => normalize(tensor([[3, 4], [0, 2]]))), [0.6, 0.8, 0, 1]);
    await gradcheck(b, (x) => normalize(x!, 0), [input([4, 3], 9)]);
  });

  it('topk values carry gradient into the kept entries only', async () => {
    expectAllClose(run(b, () => topk(tensor([[0.1, 0.9, 0.5, 0.7]]), 2).values), [0.9, 0.7]);
    await gradcheck(b, (x) => topk(x!, 3).values, [input([4, 7], 10)]);
  });

  it('mseLoss, oneHot, minimum, concat, mean', async () => {
    expectAllClose(run(b, () => mseLoss(tensor([1, 2]), tensor([0, 4]))), [2.5]);
    expectAllClose(run(b, () => oneHot(tensor([2, 0]), 3)), [0, 0, 1, 1, 0, 0]);
    expectAllClose(run(b, () => minimum(tensor([1, 5]), 3)), [1, 3]);
    expectAllClose(run(b, () => concat([tensor([[1], [2]]), tensor([[3, 4], [5, 6]])], 1)), [1, 3, 4, 2, 5, 6]);
    expectAllClose(run(b, () => mean(tensor([[1, 2], [3, 6]]), 0)), [2, 4]);
    await gradcheck(b, (x, y) => concat([x!, y!], 1), [input([2, 1], 11), input([2, 3], 12)]);
    await gradcheck(b, (x) => mean(x!, [0, 2]), [input([2, 3, 2], 13)]);
  });

  it('rejects bad shapes with messages that name the op and both shapes', () => {
    expect(() => run(b, () => tensor([1, 2, 3]).add(tensor([1, 2]))))
      .toThrow(/add: shapes \[3\] and \[2\] cannot be broadcast/);
    expect(() => run(b, () => tensor([[1, 2]]).matmul(tensor([[1, 2]]))))
      .toThrow(/matmul: inner dimensions differ.*\[1, 2\], \[1, 2\]/);
    expect(() => run(b, () => topk(tensor([[1, 2]]), 3).values)).toThrow(/k \(3\) must be an integer in 1\.\.2/);
    expect(() => run(b, () => tensor([1, 2, 3]).reshape([2, 2]))).toThrow(/reshape: cannot reshape \[3\]/);
  });
});
