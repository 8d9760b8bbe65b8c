/** The BatchTopK SAE: the batch's top k * B, the sparse path against a dense one, the inference threshold. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  add, Adam, gt, matmul, mean, mul, noGrad, normal, Rng, square, sub, tensor, where, withBackend, type Tensor,
} from '@saelab/tensor';
import { BatchTopKSAE, loadSae, makeSae, saveSafetensors, saveSae } from '../src/index.js';
import { checkGradients, expectClose, float64, rowNorms, setParams } from './sae-check.js';

const relu = (t: Tensor) => where(gt(t, 0), t, 0);

/** The batch's k * B largest ReLU'd pre-activations, found by sorting them all: the dense mask [B, d_sae]. */
function batchMask(pre: number[], keep: number): number[] {
  const order = pre.map((v, i) => [Math.max(v, 0), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const mask = new Array<number>(pre.length).fill(0);
  for (const [v, i] of order.slice(0, keep)) if (v > 0) mask[i] = 1;
  return mask;
}

/** The loss densely: f = ReLU(pre) * mask, mse / v (no latent dead yet, so no AuxK). */
function denseLoss(sae: BatchTopKSAE, x: Tensor, mask: number[], v: number): Tensor {
  const pre = add(matmul(sub(x, sae.b_dec), sae.W_enc, { transB: true }), sae.b_enc);
  const f = mul(relu(pre), tensor(mask, pre.shape));
  return mul(mean(square(sub(x, add(matmul(f, sae.W_dec), sae.b_dec)))), 1 / v);
}

describe('BatchTopKSAE', () => {
  const hand = () => {
    const sae = makeSae({ dIn: 2, dSae: 3, k: 1, variant: 'batchtopk' }, 1);
    setParams([[sae.W_enc, [[1, 0], [0, 1], [1, 1]]], [sae.b_enc, [0, 0, 0]],
      [sae.W_dec, [[1, 0], [0, 1], [0.6, 0.8]]], [sae.b_dec, [0, 0]]]);
    return sae;
  };
  const X = [[2, -1], [0.5, 0.3]];

  it('keeps the k * B largest activations of the batch, so samples get different numbers of latents', () => {
    // pre = [2, -1, 1] and [0.5, 0.3, 0.8]; k * B = 2: the batch's two largest are both x1's (2 and 1).
    const out = hand().forward(tensor(X));
    expect(out.indices.shape).toEqual([2, 2]); // m = the most latents any row has
    expect(Array.from(out.indices.toArray()).slice(0, 2)).toEqual([0, 2]);
    expectClose(out.values.toArray(), [2, 1, 0, 0]);
    expectClose(out.xHat.toArray(), [2.6, 0.8, 0, 0]);
    expect(out.loss.item()).toBeCloseTo((0.36 + 3.24 + 0.25 + 0.09) / 4, 6);
  });

  it('encodes at inference by the threshold alone, which training estimates as a running average', () => {
    const sae = hand();
    sae.threshold = 0.9;
    expectClose(sae.encode(tensor(X)).values.toArray(), [2, 1, 0, 0]);
    sae.threshold = 0.4;
    const { indices, values } = sae.encode(tensor(X));
    expect(Array.from(indices.toArray())).toEqual([0, 2, 2, 0]);
    expectClose(values.toArray(), [2, 1, 0.8, 0.5]);
    // One step: theta <- 0.99 theta + 0.01 * (the smallest kept activation, 1).
    sae.trainStep(tensor(X), new Adam(sae.parameters(), { lr: 1e-3 }));
    expect(sae.threshold).toBe(Math.fround(0.99 * 0.4 + 0.01 * 1));
  });

  it('gives the dense implementation\'s loss and gradients through its sparse kernels', () => {
    const x = normal([6, 8], new Rng(4));
    const grads = (lossOf: (sae: BatchTopKSAE) => Tensor) => {
      const sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'batchtopk' }, 5, new Array(8).fill(0.1));
      const loss = lossOf(sae);
      loss.backward();
      return { loss: loss.item(), g: sae.parameters().map((p) => Array.from(p.grad!.toArray())) };
    };
    let nonzero = 0;
    const sparse = grads((sae) => {
      const out = sae.forward(x, 1.7);
      nonzero = Array.from(out.values.toArray()).filter((v) => v !== 0).length;
      return out.loss;
    });
    const dense = grads((sae) => {
      const pre = noGrad(() => add(matmul(sub(x, sae.b_dec), sae.W_enc, { transB: true }), sae.b_enc));
      return denseLoss(sae, x, batchMask(Array.from(pre.toArray()), 4 * 6), 1.7);
    });
    expect(nonzero).toBe(4 * 6); // L0 averages k over the batch
    expect(sparse.loss).toBeCloseTo(dense.loss, 5);
    sparse.g.forEach((g, k) => expectClose(g, dense.g[k]!, 1e-5, 1e-4, `parameter ${k}`));
  });

  it('has the gradient of finite differences of the dense loss (float64, the batch\'s choice held)', async () => {
    withBackend(await float64(), () => {
      const sae = makeSae({ dIn: 4, dSae: 8, k: 2, variant: 'batchtopk' }, 6, [0.1, -0.1, 0.2, 0]);
      const x = normal([5, 4], new Rng(7));
      const pre = noGrad(() => add(matmul(sub(x, sae.b_dec), sae.W_enc, { transB: true }), sae.b_enc));
      const mask = batchMask(Array.from(pre.toArray()), 2 * 5);
      sae.forward(x, 2).loss.backward();
      expect(checkGradients(sae.namedParameters(), () => denseLoss(sae, x, mask, 2).item(), 8)).toBeGreaterThan(20);
    });
  });

  it('trains with unit-norm decoder rows, and AuxK reaches dead latents', () => {
    const sae = makeSae({ dIn: 8, dSae: 32, k: 2, variant: 'batchtopk', deadAfter: 16 }, 8, new Array(8).fill(0));
    const x = normal([16, 8], new Rng(9));
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    const losses = Array.from({ length: 5 }, () => sae.trainStep(x, opt));
    expect(losses[4]!).toBeLessThan(losses[0]!);
    expectClose(rowNorms(sae.W_dec), new Array(32).fill(1), 1e-6);
    expect(sae.firings.reduce((a, b) => a + b, 0)).toBe(5 * 2 * 16); // k * B firings per step
    expect(sae.threshold).toBeGreaterThan(0);
    expect(sae.forward(x).aux.item()).toBeGreaterThan(0); // latents unfired for 16 samples are dead
  });

  it('saves as SAELens saves it, a JumpReLU SAE with threshold theta everywhere, and loads back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'saelab-batchtopk-'));
    const sae = makeSae({ dIn: 8, dSae: 16, k: 3, variant: 'batchtopk', thresholdLr: 0.05 }, 10);
    sae.threshold = Math.fround(0.123);
    await saveSae(join(dir, 'sae'), sae, { hookName: 'blocks.1.hook_resid_post', seed: 10 });
    const { sae: back, cfg } = await loadSae(join(dir, 'sae'));
    expect(cfg).toMatchObject({ architecture: 'jumprelu', variant: 'batchtopk', k: 3, activation_fn: 'relu',
      apply_b_dec_to_input: true, topk_threshold_lr: 0.05 });
    expect(cfg).not.toHaveProperty('activation_fn_kwargs'); // SAELens would read it as a TopK SAE
    expect(back.cfg).toEqual(sae.cfg);
    expect((back as BatchTopKSAE).threshold).toBe(sae.threshold);
    const tensors = sae.stateDict();
    tensors.threshold!.data[3] = 0.5;
    await saveSafetensors(join(dir, 'sae.safetensors'), tensors);
    await expect(loadSae(join(dir, 'sae'))).rejects.toThrow('threshold is one number for every latent');
  });

  it('rejects a bad setting naming the field and the rule', () => {
    expect(() => makeSae({ dIn: 8, dSae: 16, k: 4, variant: 'batchtopk', thresholdLr: 0 }, 1))
      .toThrow('SAE config: thresholdLr (0) must be a number in (0, 1]');
    expect(() => makeSae({ dIn: 8, dSae: 16, k: 17, variant: 'batchtopk' }, 1)).toThrow('k (17) must be <= d_sae (16)');
  });
});
