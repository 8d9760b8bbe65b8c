/** The standard SAE (ReLU + L1 weighted by decoder norms): hand-worked loss, gradients, warm-up, files. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Adam, add, gt, matmul, mul, normal, Rng, sqrt, square, sub, sum, tensor, where, withBackend, type Tensor,
} from '@saelab/tensor';
import { loadSae, makeSae, saveSae, StandardSAE, type StandardConfig } from '../src/index.js';
import { checkGradients, expectClose, float64, rowNorms, setParams } from './sae-check.js';

const cfg: StandardConfig = { dIn: 2, dSae: 3, variant: 'standard', lambda: 0.1 };
const hand = (sae: StandardSAE) => setParams([
  [sae.W_enc, [[1, 0], [0, 1], [1, 1]]], [sae.b_enc, [0, 0, -0.5]],
  [sae.W_dec, [[2, 0], [0, 1], [0.6, 0.8]]], [sae.b_dec, [0.5, 0]],
]);
const X = [[2, -1], [0, 3]];

/** The paper's loss written densely from the parameters: mean_b ||x - x_hat||^2 / v + lambda sum f ||W_dec||. */
function reference(sae: StandardSAE, x: Tensor, v = 1): number {
  const pre = add(matmul(sub(x, sae.b_dec), sae.W_enc, { transB: true }), sae.b_enc);
  const f = where(gt(pre, 0), pre, 0);
  const r = sub(x, add(matmul(f, sae.W_dec), sae.b_dec));
  const norms = sqrt(sum(square(sae.W_dec), -1));
  const B = x.shape[0]!;
  return sum(square(r)).item() / (B * v) + (sae.cfg.lambda / Math.sqrt(v)) * sum(mul(f, norms)).item() / B;
}

describe('StandardSAE', () => {
  it('computes the hand-worked code, reconstruction and loss', () => {
    const sae = makeSae(cfg, 1);
    hand(sae);
    // x1 = [2, -1]: x - b_dec = [1.5, -1], pre = [1.5, -1, 0] -> f = [1.5, 0, 0], x_hat = [3.5, 0], err 3.25,
    //   L1 = 1.5 * ||[2, 0]|| = 3.  x2 = [0, 3]: x - b_dec = [-0.5, 3], pre = [-0.5, 3, 2] -> f = [0, 3, 2],
    //   x_hat = [1.7, 4.6], err 2.89 + 2.56 = 5.45, L1 = 3 + 2 = 5.
    // loss = (3.25 + 5.45) / 2 + 0.1 * (3 + 5) / 2 = 4.35 + 0.4; mse = 8.7 / 4.
    const out = sae.forward(tensor(X));
    expectClose(out.values.toArray(), [1.5, 0, 0, 0, 3, 2]);
    expectClose(out.xHat.toArray(), [3.5, 0, 1.7, 4.6]);
    expect(out.loss.item()).toBeCloseTo(4.75, 5);
    expect(out.aux.item()).toBeCloseTo(0.4, 6);
    expect(out.mse.item()).toBeCloseTo(2.175, 6);
    expect(Array.from(out.indices.toArray())).toEqual([0, 1, 2, 0, 1, 2]); // the dense code
    // Scaled by the data's variance v = 4: the reconstruction by 1/v, the L1 term by 1/sqrt(v).
    expect(sae.forward(tensor(X), 4).loss.item()).toBeCloseTo(4.35 / 4 + 0.4 / 2, 5);
  });

  it('warms lambda up linearly over the first 5% of training (setProgress), then keeps it', () => {
    const sae = makeSae(cfg, 1);
    hand(sae);
    const l1At = (p: number) => { sae.setProgress(p); return sae.forward(tensor(X)).aux.item(); };
    expect(l1At(0)).toBe(0);
    expect(l1At(0.025)).toBeCloseTo(0.2, 6);
    expect(l1At(0.05)).toBeCloseTo(0.4, 6);
    expect(l1At(0.7)).toBeCloseTo(0.4, 6);
    expect(() => sae.setProgress(1.5)).toThrow('setProgress: fraction (1.5) must be in [0, 1]');
  });

  it('has the gradient of finite differences of the dense reference (float64, every parameter)', async () => {
    withBackend(await float64(), () => {
      const sae = makeSae({ dIn: 4, dSae: 6, variant: 'standard', lambda: 0.3 }, 2);
      setParams([[sae.b_enc, [0.1, -0.2, 0.3, 0.05, 0.2, -0.1]], [sae.b_dec, [0.1, 0.2, -0.1, 0.3]]]);
      const x = normal([5, 4], new Rng(3));
      sae.forward(x, 2).loss.backward();
      expect(checkGradients(sae.namedParameters(), () => reference(sae, x, 2), 8)).toBeGreaterThan(20);
    });
  });

  it('is the paper\'s loss of the normalised input: x at variance v is x / sqrt(v) at variance 1', () => {
    const s = 3;
    const a = makeSae({ ...cfg, dIn: 4, dSae: 8 }, 4);
    const b = makeSae({ ...cfg, dIn: 4, dSae: 8 }, 4);
    setParams([[a.b_dec, [0.3, -0.3, 0.6, 0]], [a.b_enc, [0.1, 0, -0.1, 0.2, 0, 0, 0.1, 0]]]);
    setParams([
      [b.W_enc, chunk(Array.from(a.W_enc.toArray(), (w) => w / s), 4)], [b.b_enc, Array.from(a.b_enc.toArray())],
      [b.W_dec, chunk(Array.from(a.W_dec.toArray(), (w) => w * s), 4)],
      [b.b_dec, Array.from(a.b_dec.toArray(), (w) => w * s)],
    ]);
    const x = normal([6, 4], new Rng(5));
    expect(b.forward(mul(x, s), s * s).loss.item()).toBeCloseTo(a.forward(x, 1).loss.item(), 5);
  });

  it('decodes its dense code by the dense product, equal to the sparse kernel\'s', () => {
    const sae = makeSae({ dIn: 8, dSae: 32, variant: 'standard' }, 6);
    const { indices, values } = sae.encode(normal([7, 8], new Rng(7)));
    expectClose(sae.decode(indices, values).toArray(), sae.decodeSparse(indices, values).toArray(), 1e-5);
  });

  it('counts a latent as fired where its activation is positive; leaves decoder norms free', () => {
    const sae = makeSae({ dIn: 8, dSae: 32, variant: 'standard', lambda: 0.01 }, 8);
    expectClose(rowNorms(sae.W_dec), new Array(32).fill(0.1), 1e-6); // Anthropic's init: norm 0.1, W_enc = W_dec^T
    expect(Array.from(sae.W_enc.toArray())).toEqual(Array.from(sae.W_dec.toArray()));
    const x = normal([16, 8], new Rng(9));
    const { values } = sae.encode(x);
    const v = values.toArray();
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    sae.trainStep(x, opt);
    for (let l = 0; l < 32; l++) {
      const fired = Array.from({ length: 16 }, (_, b) => v[b * 32 + l]!).filter((a) => a > 0).length;
      expect(sae.firings[l], `latent ${l}`).toBe(fired);
      expect(sae.sinceFired[l]).toBe(fired > 0 ? 0 : 16);
    }
    expect(rowNorms(sae.W_dec).some((n) => Math.abs(n - 0.1) > 1e-4)).toBe(true); // no renormalisation
  });

  it('writes SAELens\'s standard cfg.json and state dict, and loads them back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'saelab-standard-'));
    const sae = makeSae({ dIn: 8, dSae: 16, variant: 'standard', lambda: 2, lambdaWarmup: 0.1 }, 10);
    await saveSae(join(dir, 'sae'), sae, { hookName: 'blocks.1.hook_resid_post', seed: 10 });
    const file = JSON.parse(await readFile(join(dir, 'sae.cfg.json'), 'utf8'));
    expect(file).toMatchObject({ architecture: 'standard', variant: 'standard', activation_fn: 'relu',
      apply_b_dec_to_input: true, l1_coefficient: 2, l1_warm_up_fraction: 0.1, d_in: 8, d_sae: 16 });
    expect(Object.keys(sae.stateDict()).sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_enc']);
    const back = (await loadSae(join(dir, 'sae'))).sae;
    expect(back.cfg).toEqual(sae.cfg);
  });

  it('rejects a bad setting naming the field and the rule, and ignores k', () => {
    expect(() => makeSae({ ...cfg, lambda: -1 }, 1)).toThrow('SAE config: lambda (-1) must be a finite number >= 0');
    expect(() => makeSae({ ...cfg, lambdaWarmup: 2 }, 1)).toThrow('lambdaWarmup (2) must be a fraction');
    expect(() => makeSae({ ...cfg, auxK: 3 } as StandardConfig, 1))
      .toThrow('auxK is not a setting of the standard architecture');
    expect(makeSae({ ...cfg, k: 32 }, 1).cfg).not.toHaveProperty('k');
  });
});

function chunk(v: number[], d: number): number[][] {
  return Array.from({ length: v.length / d }, (_, r) => v.slice(r * d, (r + 1) * d));
}
