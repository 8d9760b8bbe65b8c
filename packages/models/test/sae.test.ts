/** TopK SAEs: hand-worked losses, the sparse path against a dense one, and the decoder constraints. */
import { describe, expect, it } from 'vitest';
import {
  abs, Adam, add, matmul, mean, mul, noGrad, normal, ones, Rng, scatterLast, square, sub, sum, tensor, topk,
  type Tensor,
} from '@saelab/tensor';
import { makeSae, type SaeConfigOf, type TopKSAE } from '../src/index.js';

function setWeights(sae: TopKSAE, w: { enc: number[][]; bEnc: number[]; dec: number[][] }): void {
  sae.W_enc.assign(tensor(w.enc));
  sae.b_enc.assign(tensor(w.bEnc));
  sae.W_dec.assign(tensor(w.dec));
}

const rowNorms = (t: Tensor) => {
  const [n, d] = t.shape as [number, number];
  const v = t.toArray();
  return Array.from({ length: n }, (_, r) => Math.hypot(...Array.from(v.slice(r * d, (r + 1) * d))));
};

/** The husai loss written densely, as the original PyTorch code does: a [B, d_sae] code. */
function denseHusaiLoss(sae: TopKSAE, x: Tensor): Tensor {
  const pre = add(matmul(x, sae.W_enc, { transB: true }), sae.b_enc); // [B, n]
  const idx = noGrad(() => topk(pre, sae.cfg.k).indices);
  const mask = noGrad(() => scatterLast(ones(idx.shape), idx, sae.cfg.dSae));
  const xHat = matmul(mul(pre, mask), sae.W_dec); // [B, n] @ [n, d]
  const err = sum(square(sub(x, xHat)), -1, true);
  const auxAll = mul(mul(err, abs(pre)), sub(1, mask));
  const aux = mul(sum(topk(auxAll, sae.cfg.k).values), 1 / (sae.cfg.k * x.shape[0]!));
  return add(mean(square(sub(x, xHat))), aux);
}

describe('TopKSAE (husai)', () => {
  const tinyCfg: SaeConfigOf<'husai'> = { dIn: 2, dSae: 3, k: 1, variant: 'husai' };
  const hand = { enc: [[1, 0], [0, 1], [1, 1]], bEnc: [0, 0, -0.5], dec: [[1, 0], [0, 1], [0.6, 0.8]] };

  it('computes the hand-worked MSE and auxiliary loss', () => {
    const sae = makeSae(tinyCfg, 1);
    setWeights(sae, hand);
    // x1 = [2, -1]: pre = [2, -1, 0.5], keeps latent 0 -> x_hat [2, 0], residual [0, -1], err 1;
    //   aux candidates err*|pre|*(1-mask) = [0, 1, 0.5] -> largest 1.
    // x2 = [0, 3]: pre = [0, 3, 2.5], keeps latent 1 -> x_hat [0, 3], err 0, aux 0.
    // mse = (0 + 1 + 0 + 0) / 4 = 0.25; aux = (1/k) * mean(1, 0) = 0.5.
    const out = sae.forward(tensor([[2, -1], [0, 3]]));
    expect(out.mse.item()).toBeCloseTo(0.25, 6);
    expect(out.aux.item()).toBeCloseTo(0.5, 6);
    expect(out.loss.item()).toBeCloseTo(0.75, 6);
    expect(Array.from(out.indices.toArray())).toEqual([0, 1]);
    expect(Array.from(out.values.toArray())).toEqual([2, 3]);
  });

  it('keeps exactly k distinct latents per sample (L0 = k), raw values that may be negative', () => {
    const sae = makeSae({ dIn: 16, dSae: 64, k: 8, variant: 'husai' }, 2);
    const { indices, values } = sae.encode(normal([10, 16], new Rng(3)));
    const idx = indices.toArray();
    for (let b = 0; b < 10; b++) expect(new Set(idx.slice(b * 8, (b + 1) * 8)).size).toBe(8);
    expect(Array.from(values.toArray()).every((v) => v !== 0)).toBe(true);
  });

  it('gives the dense implementation\'s loss and gradients through its sparse kernels', () => {
    const cfg: SaeConfigOf<'husai'> = { dIn: 8, dSae: 32, k: 4, variant: 'husai' };
    const x = normal([6, 8], new Rng(4));
    const grads = (lossOf: (sae: TopKSAE) => Tensor) => {
      const sae = makeSae(cfg, 5);
      const loss = lossOf(sae);
      loss.backward();
      return { loss: loss.item(), g: [sae.W_enc, sae.b_enc, sae.W_dec].map((p) => Array.from(p.grad!.toArray())) };
    };
    const sparse = grads((sae) => sae.forward(x).loss);
    const dense = grads((sae) => denseHusaiLoss(sae, x));
    expect(sparse.loss).toBeCloseTo(dense.loss, 5);
    sparse.g.forEach((g, k) => g.forEach((v, i) => expect(Math.abs(v - dense.g[k]![i]!))
      .toBeLessThan(1e-5 * (1 + Math.abs(v)))));
  });

  it('keeps decoder rows at unit norm through training steps, and b_dec fixed at zero', () => {
    const sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'husai' }, 6);
    expect(rowNorms(sae.W_dec).every((n) => Math.abs(n - 1) < 1e-6)).toBe(true);
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    expect(sae.parameters()).not.toContain(sae.b_dec);
    const x = normal([32, 8], new Rng(7));
    const losses = Array.from({ length: 5 }, () => sae.trainStep(x, opt));
    expect(losses[4]!).toBeLessThan(losses[0]!);
    expect(rowNorms(sae.W_dec).every((n) => Math.abs(n - 1) < 1e-6)).toBe(true);
    expect(Array.from(sae.b_dec.toArray()).every((v) => v === 0)).toBe(true);
    expect(Array.from(sae.firings).reduce((a, b) => a + b, 0)).toBe(5 * 32 * 4); // k latents per sample per step
  });

  it('trainStep shows the loss to checkLoss before anything changes, so a diverged step can stop the run', () => {
    const sae = makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'husai' }, 6);
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    const before = sae.parameters().map((p) => Array.from(p.toArray()));
    expect(() => sae.trainStep(normal([32, 8], new Rng(7)), opt, 1, () => { throw new Error('diverged'); }))
      .toThrow('diverged');
    expect(sae.parameters().map((p) => Array.from(p.toArray()))).toEqual(before);
    expect(opt.stepCount).toBe(0);
  });

  it('rejects k > d_sae with both numbers in the message', () => {
    expect(() => makeSae({ dIn: 128, dSae: 1024, k: 2048, variant: 'husai' }, 1))
      .toThrow('k (2048) must be <= d_sae (1024)');
  });
});

describe('TopKSAE (openai)', () => {
  const cfg: SaeConfigOf<'openai'> = { dIn: 8, dSae: 32, k: 4, variant: 'openai', auxK: 4, deadAfter: 100 };

  it('ties the encoder to the decoder, sets b_dec to the data mean and ReLUs the code', () => {
    const mu = [1, 2, 3, 4, 5, 6, 7, 8];
    const sae = makeSae(cfg, 8, mu);
    expect(Array.from(sae.W_enc.toArray())).toEqual(Array.from(sae.W_dec.toArray()));
    expect(Array.from(sae.b_dec.toArray())).toEqual(mu);
    const { values } = sae.encode(normal([20, 8], new Rng(9)));
    expect(Array.from(values.toArray()).every((v) => v >= 0)).toBe(true);
  });

  it('removes the gradient component parallel to each decoder row', () => {
    const sae = makeSae(cfg, 10, new Array(8).fill(0));
    sae.forward(normal([16, 8], new Rng(11))).loss.backward();
    sae.constrainDecoder('beforeStep');
    const g = sae.W_dec.grad!;
    const dots = sum(mul(g, sae.W_dec), -1).toArray();
    const gNorm = Math.sqrt(sum(square(g)).item());
    expect(gNorm).toBeGreaterThan(0);
    expect(Array.from(dots).every((d) => Math.abs(d) < 1e-6)).toBe(true);
  });

  it('trains dead latents through AuxK', () => {
    const sae = makeSae(cfg, 12, new Array(8).fill(0));
    const x = normal([16, 8], new Rng(13));
    expect(sae.forward(x).aux.item()).toBe(0); // nothing dead yet
    // Every latent outside this batch's code has been unfired for 1000 samples: dead.
    const chosen = new Set(Array.from(sae.encode(x).indices.toArray()));
    for (let l = 0; l < 32; l++) sae.sinceFired[l] = chosen.has(l) ? 0 : 1000;
    const out = sae.forward(x);
    expect(out.aux.item()).toBeGreaterThan(0);
    out.loss.backward();
    // Latents outside the top-k code get encoder gradient only through AuxK.
    const gEnc = sae.W_enc.grad!.toArray();
    const reached = Array.from({ length: 32 }, (_, l) => l)
      .filter((l) => !chosen.has(l) && gEnc.slice(l * 8, l * 8 + 8).some((v) => v !== 0));
    expect(reached.length).toBeGreaterThan(0);
  });

  it('records firings and resets the dead clock of latents that fire', () => {
    const sae = makeSae(cfg, 14, new Array(8).fill(0));
    const { indices, values } = sae.encode(normal([16, 8], new Rng(15)));
    sae.recordFirings(indices, values);
    const fired = new Set(Array.from(indices.toArray()).filter((_, i) => values.toArray()[i]! > 0));
    for (let l = 0; l < 32; l++) expect(sae.sinceFired[l]).toBe(fired.has(l) ? 0 : 16);
    expect(sae.firings.reduce((a, b) => a + b, 0)).toBe(Array.from(values.toArray()).filter((v) => v > 0).length);
  });
});
