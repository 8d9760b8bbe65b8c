/** The JumpReLU SAE: hand-worked loss, the paper's STE pseudo-gradient for theta, the other gradients, files. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  add, Adam, gt, matmul, mul, normal, Rng, square, sub, sum, tensor, withBackend, type Tensor,
} from '@saelab/tensor';
import { JumpReluSAE, loadSae, makeSae, saveSae, type JumpReluConfig } from '../src/index.js';
import { checkGradients, expectClose, float64, rowNorms, setParams } from './sae-check.js';

/** The paper's loss, densely: mean_b ||x - x_hat||^2 / v + lambda mean_b ||f||_0, f = z H(z - theta). */
function reference(sae: JumpReluSAE, x: Tensor, v = 1): number {
  const z = add(matmul(x, sae.W_enc, { transB: true }), sae.b_enc);
  const h = gt(z, sae.threshold);
  const r = sub(x, add(matmul(mul(z, h), sae.W_dec), sae.b_dec));
  const B = x.shape[0]!;
  return sum(square(r)).item() / (B * v) + sae.cfg.lambda * sum(h).item() / B;
}

describe('JumpReluSAE', () => {
  const cfg: JumpReluConfig = { dIn: 2, dSae: 2, variant: 'jumprelu', lambda: 0.1 };
  const handSae = () => {
    const sae = makeSae(cfg, 1);
    setParams([[sae.W_enc, [[1, 0], [0, 1]]], [sae.b_enc, [0, 0]], [sae.W_dec, [[1, 0], [0, 1]]],
      [sae.b_dec, [0, 0]], [sae.log_threshold, [0, Math.log(0.5)]]]); // theta = [1, 0.5]
    return sae;
  };

  it('computes the hand-worked code and loss (a latent fires only above its threshold)', () => {
    // x1 = [2, 0.4]: z = [2, 0.4], theta = [1, 0.5] -> f = [2, 0], err 0.16, L0 1.
    // x2 = [0.9, 3]: f = [0, 3], err 0.81, L0 1.  loss = (0.16 + 0.81) / 2 + 0.1 * 1.
    const out = handSae().forward(tensor([[2, 0.4], [0.9, 3]]));
    expectClose(out.values.toArray(), [2, 0, 0, 3]);
    expect(out.loss.item()).toBeCloseTo(0.585, 6);
    expect(out.aux.item()).toBeCloseTo(0.1, 6);
  });

  it('gives theta exactly the paper\'s pseudo-gradient (rectangle kernel, bandwidth eps)', async () => {
    withBackend(await float64(), () => {
      const eps = 0.05;
      const B = 64;
      const sae = makeSae({ dIn: 4, dSae: 6, variant: 'jumprelu', lambda: 0.3, bandwidth: eps, initThreshold: 0.2 }, 2);
      const x = normal([B, 4], new Rng(3));
      const v = 1.5;
      sae.forward(x, v).loss.backward();
      const z = add(matmul(x, sae.W_enc, { transB: true }), sae.b_enc).toArray();
      const theta = sae.threshold.toArray();
      const f = Array.from(z, (zi, i) => (zi > theta[i % 6]! ? zi : 0));
      const xHat = add(matmul(tensor(f, [B, 6]), sae.W_dec), sae.b_dec).toArray();
      const W = sae.W_dec.toArray();
      const xs = x.toArray();
      // dL/dtheta_i = sum_b [dL/df_bi * -(theta_i / eps) K(u_bi) + (lambda / B) * -(1 / eps) K(u_bi)],
      // dL/df_bi = -(2 / (B v)) (x_b - x_hat_b) . W_dec,i, u = (z - theta) / eps; then d/dlog(theta) = theta d/dtheta.
      let hits = 0;
      const expected = Array.from({ length: 6 }, (_, i) => {
        let g = 0;
        for (let b = 0; b < B; b++) {
          const u = (z[b * 6 + i]! - theta[i]!) / eps;
          if (!(Math.abs(u) < 0.5)) continue;
          hits++;
          let dot = 0;
          for (let d = 0; d < 4; d++) dot += (xs[b * 4 + d]! - xHat[b * 4 + d]!) * W[i * 4 + d]!;
          g += (-2 / (B * v)) * dot * (-theta[i]! / eps) + (0.3 / B) * (-1 / eps);
        }
        return g * theta[i]!;
      });
      expect(hits).toBeGreaterThan(5); // the kernel is hit, so the check has something to check
      expectClose(sae.log_threshold.grad!.toArray(), expected, 1e-9, 1e-9);
    });
  });

  it('passes no gradient to z through the step: the other parameters get exactly the finite differences', async () => {
    withBackend(await float64(), () => {
      const sae = makeSae({ dIn: 4, dSae: 6, variant: 'jumprelu', lambda: 0.3, initThreshold: 0.2 }, 4);
      setParams([[sae.b_enc, [0.1, -0.2, 0.3, 0.05, 0.2, -0.1]], [sae.b_dec, [0.1, 0.2, -0.1, 0.3]]]);
      const x = normal([5, 4], new Rng(5));
      const z = add(matmul(x, sae.W_enc, { transB: true }), sae.b_enc).toArray();
      const gaps = Array.from(z, (zi, i) => Math.abs(zi - sae.threshold.toArray()[i % 6]!));
      expect(Math.min(...gaps)).toBeGreaterThan(1e-3); // no difference step crosses a jump
      expect(gaps.filter((g, i) => z[i]! > 0.2 && g > 0).length).toBeGreaterThan(3); // some latents fire
      sae.forward(x, 2).loss.backward();
      const others = sae.namedParameters().filter(([n]) => n !== 'log_threshold');
      expect(checkGradients(others, () => reference(sae, x, 2), 8)).toBeGreaterThan(20);
    });
  });

  it('trains: the loss falls, decoder rows stay unit-norm, L0 is the count of nonzero codes', () => {
    const sae = makeSae({ dIn: 8, dSae: 32, variant: 'jumprelu', lambda: 0.01, initThreshold: 0.05, bandwidth: 0.1 },
      6);
    const x = normal([32, 8], new Rng(7));
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    const losses = Array.from({ length: 6 }, () => sae.trainStep(x, opt));
    expect(losses[5]!).toBeLessThan(losses[0]!);
    expectClose(rowNorms(sae.W_dec), new Array(32).fill(1), 1e-6);
    const out = sae.forward(x);
    const nonzero = Array.from(out.values.toArray()).filter((v) => v !== 0).length;
    expect(out.aux.item()).toBeCloseTo(0.01 * nonzero / 32, 6);
    expect(sae.firings.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('writes theta (not its log) as SAELens\'s threshold, with a jumprelu cfg.json, and loads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'saelab-jumprelu-'));
    const sae = makeSae({ dIn: 8, dSae: 16, variant: 'jumprelu', lambda: 0.5 }, 8);
    setParams([[sae.log_threshold, Array.from({ length: 16 }, (_, i) => Math.log(0.01 + i / 40))]]);
    await saveSae(join(dir, 'sae'), sae, { hookName: 'blocks.1.hook_resid_post', seed: 8 });
    expectClose(sae.stateDict().threshold!.data, Array.from({ length: 16 }, (_, i) => 0.01 + i / 40), 1e-7);
    expect(JSON.parse(await readFile(join(dir, 'sae.cfg.json'), 'utf8'))).toMatchObject({
      architecture: 'jumprelu', apply_b_dec_to_input: false, l0_coefficient: 0.5, jumprelu_bandwidth: 0.001 });
    const back = (await loadSae(join(dir, 'sae'))).sae as JumpReluSAE;
    expect(back.cfg).toEqual(sae.cfg);
    expectClose(back.threshold.toArray(), sae.threshold.toArray(), 1e-8);
  });

  it('rejects a bad setting naming the field and the rule', () => {
    expect(() => makeSae({ ...cfg, bandwidth: 0 }, 1)).toThrow('SAE config: bandwidth (0) must be a positive number');
    expect(() => makeSae({ ...cfg, applyBDecToInput: 1 as never }, 1))
      .toThrow('applyBDecToInput (1) must be true or false');
  });
});
