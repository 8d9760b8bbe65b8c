/** The gated SAE: hand-worked loss, gradients with the frozen decoder, unit-norm decoder, SAELens's names. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  add, Adam, exp, gt, matmul, mul, noGrad, normal, reshape, Rng, square, sub, sum, tensor, where, withBackend,
  type Tensor,
} from '@saelab/tensor';
import { GatedSAE, loadSae, makeSae, saveSae, type GatedConfig } from '../src/index.js';
import { checkGradients, expectClose, float64, rowNorms, setParams } from './sae-check.js';

const relu = (t: Tensor) => where(gt(t, 0), t, 0);

/**
 * The paper's loss, densely: ||x - x_hat||^2 + lambda ||ReLU(pi_gate)||_1 + ||x - x_hat_frozen(ReLU(pi_gate))||^2,
 * the frozen decoder being `frozen`, a copy of W_dec and b_dec taken before, that the differences do not move.
 */
function reference(sae: GatedSAE, x: Tensor, frozen: { W: Tensor; b: Tensor }, v = 1): number {
  const xc = sub(x, sae.b_dec);
  const piGate = add(matmul(xc, sae.W_enc, { transB: true }), sae.b_gate);
  const piMag = add(matmul(xc, mul(sae.W_enc, reshape(exp(sae.r_mag), [-1, 1])), { transB: true }), sae.b_mag);
  const f = mul(gt(piGate, 0), relu(piMag));
  const B = x.shape[0]!;
  const rec = sum(square(sub(x, add(matmul(f, sae.W_dec), sae.b_dec)))).item();
  const aux = sum(square(sub(x, add(matmul(relu(piGate), frozen.W), frozen.b)))).item();
  return (rec + aux) / (B * v) + sae.cfg.lambda * sum(relu(piGate)).item() / (B * Math.sqrt(v));
}

describe('GatedSAE', () => {
  const cfg: GatedConfig = { dIn: 2, dSae: 2, variant: 'gated', lambda: 0.5 };

  it('computes the hand-worked gate, magnitudes and the three loss terms', () => {
    const sae = makeSae(cfg, 1);
    setParams([[sae.W_enc, [[1, 0], [0, 1]]], [sae.b_gate, [0, -1]], [sae.r_mag, [Math.log(2), 0]],
      [sae.b_mag, [-1, 0.5]], [sae.W_dec, [[1, 0], [0, 1]]], [sae.b_dec, [0, 0]]]);
    // x1 = [2, 0.5]: pi_gate = [2, -0.5] (gate [1, 0]); W_mag = [[2, 0], [0, 1]], pi_mag = [3, 1] -> f = [3, 0],
    //   x_hat = [3, 0], err 1.25; ReLU(pi_gate) = [2, 0]: L1 2, via the gate [2, 0], aux err 0.25.
    // x2 = [-1, 3]: pi_gate = [-1, 2] (gate [0, 1]), pi_mag = [-3, 3.5] -> f = [0, 3.5], x_hat = [0, 3.5],
    //   err 1.25; ReLU(pi_gate) = [0, 2]: L1 2, via the gate [0, 2], aux err 1 + 1 = 2.
    // loss = 1.25 + 0.5 * 2 + (0.25 + 2) / 2 = 3.375; aux = 1 + 1.125.
    const out = sae.forward(tensor([[2, 0.5], [-1, 3]]));
    expectClose(out.values.toArray(), [3, 0, 0, 3.5]);
    expect(out.loss.item()).toBeCloseTo(3.375, 5);
    expect(out.aux.item()).toBeCloseTo(2.125, 5);
    expect(out.mse.item()).toBeCloseTo(0.625, 6);
  });

  it('has the gradient of finite differences of the dense reference, the frozen decoder held still', async () => {
    withBackend(await float64(), () => {
      const sae = makeSae({ dIn: 4, dSae: 6, variant: 'gated', lambda: 0.3 }, 2);
      setParams([[sae.b_gate, [0.1, -0.2, 0.3, 0.05, 0.2, -0.1]], [sae.b_dec, [0.1, 0.2, -0.1, 0.3]],
        [sae.r_mag, [0.2, -0.1, 0, 0.3, -0.2, 0.1]], [sae.b_mag, [0.05, 0.1, -0.1, 0, 0.2, 0.1]]]);
      const frozen = noGrad(() => ({ W: tensor(sae.W_dec.toArray(), sae.W_dec.shape),
        b: tensor(sae.b_dec.toArray(), sae.b_dec.shape) }));
      const x = normal([5, 4], new Rng(3));
      sae.forward(x, 2).loss.backward();
      expect(checkGradients(sae.namedParameters(), () => reference(sae, x, frozen, 2), 8)).toBeGreaterThan(30);
    });
  });

  it('keeps decoder rows at unit norm through training, and trains the gate through the auxiliary term', () => {
    const sae = makeSae({ dIn: 8, dSae: 32, variant: 'gated', lambda: 0.01 }, 4);
    expectClose(rowNorms(sae.W_dec), new Array(32).fill(1), 1e-6);
    const x = normal([32, 8], new Rng(5));
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    const losses = Array.from({ length: 6 }, () => sae.trainStep(x, opt));
    expect(losses[5]!).toBeLessThan(losses[0]!);
    expectClose(rowNorms(sae.W_dec), new Array(32).fill(1), 1e-6);
    // b_gate moves only through the L1 and auxiliary terms (the gate's step has no gradient).
    expect(Array.from(sae.b_gate.toArray()).some((b) => b !== 0)).toBe(true);
    expect(sae.firings.reduce((a, b) => a + b, 0))
      .toBeGreaterThan(0);
  });

  it('writes SAELens\'s gated state dict (b_gate, r_mag, b_mag; no b_enc) and cfg.json, and loads it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'saelab-gated-'));
    const sae = makeSae({ dIn: 8, dSae: 16, variant: 'gated', lambda: 0.2 }, 6);
    setParams([[sae.r_mag, Array.from({ length: 16 }, (_, i) => i / 20)], [sae.b_mag, new Array(16).fill(0.3)]]);
    await saveSae(join(dir, 'sae'), sae, { hookName: 'blocks.1.hook_resid_post', seed: 6 });
    expect(Object.keys(sae.stateDict()).sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_gate', 'b_mag', 'r_mag']);
    expect(JSON.parse(await readFile(join(dir, 'sae.cfg.json'), 'utf8'))).toMatchObject({
      architecture: 'gated', variant: 'gated', apply_b_dec_to_input: true, l1_coefficient: 0.2 });
    const back = (await loadSae(join(dir, 'sae'))).sae as GatedSAE;
    expect(back.cfg).toEqual(sae.cfg);
    expect(Array.from(back.r_mag.toArray())).toEqual(Array.from(sae.r_mag.toArray()));
    const x = normal([4, 8], new Rng(7));
    expect(Array.from(back.forward(x).xHat.toArray())).toEqual(Array.from(sae.forward(x).xHat.toArray()));
  });

  it('rejects a bad setting naming the field and the rule', () => {
    expect(() => makeSae({ ...cfg, lambda: Number.NaN }, 1)).toThrow('SAE config: lambda (NaN) must be a finite');
    expect(() => makeSae({ ...cfg, dSae: 0 }, 1)).toThrow('SAE config: dSae (0) must be a positive integer');
  });
});
