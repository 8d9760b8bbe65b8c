/** The dense SAEs' L0 controller: lambda follows the step's L0 towards a target, and files and checkpoints keep it. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Adam, normal, Rng, setBackend } from '@saelab/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { L0_CONTROLLER_GAIN, L0_CONTROLLER_RANGE } from '../src/sae/shared.js';
import { loadSae, makeSae, saeSparsity, saveSae, StandardSAE } from '../src/index.js';

describe('L0 controller', () => {
  beforeAll(() => setBackend('reference'));
  const x = normal([32, 8], new Rng(3));

  it('multiplies lambda by (L0 / target)^gain after a step, from the step\'s own firings', () => {
    const sae = makeSae({ dIn: 8, dSae: 16, variant: 'standard', lambda: 0.1, lambdaWarmup: 0, targetL0: 2 }, 1);
    const opt = new Adam(sae.parameters(), { lr: 1e-3 });
    const before = Array.from(sae.firings).reduce((a, b) => a + b, 0);
    sae.trainStep(x, opt);
    const l0 = (Array.from(sae.firings).reduce((a, b) => a + b, 0) - before) / 32;
    expect(l0).toBeGreaterThan(2); // a fresh ReLU SAE fires about half its latents
    expect((sae as StandardSAE).lambdaReached).toBeCloseTo(0.1 * (l0 / 2) ** L0_CONTROLLER_GAIN, 12);
    expect(sae.trainingState()).toEqual({ lambdaScale: (l0 / 2) ** L0_CONTROLLER_GAIN });
  });

  it('takes its gain from l0Gain, which cfg.json records where it is not the default', async () => {
    const sae = makeSae({ dIn: 8, dSae: 16, variant: 'gated', lambda: 0.1, targetL0: 2, l0Gain: 0.005 }, 1);
    const before = Array.from(sae.firings).reduce((a, b) => a + b, 0);
    sae.trainStep(x, new Adam(sae.parameters(), { lr: 1e-3 }));
    const l0 = (Array.from(sae.firings).reduce((a, b) => a + b, 0) - before) / 32;
    expect(sae.trainingState()).toEqual({ lambdaScale: (l0 / 2) ** 0.005 });
    const dir = await mkdtemp(join(tmpdir(), 'saelab-l0-'));
    await saveSae(join(dir, 'slow'), sae, { hookName: 'synthetic', seed: 1 });
    expect(JSON.parse(await readFile(join(dir, 'slow.cfg.json'), 'utf8'))).toMatchObject({ l0_controller_gain: 0.005 });
    expect((await loadSae(join(dir, 'slow'))).sae.cfg).toMatchObject({ l0Gain: 0.005 });
    const usual = makeSae({ dIn: 8, dSae: 16, variant: 'gated', targetL0: 2 }, 1);
    await saveSae(join(dir, 'usual'), usual, { hookName: 'synthetic', seed: 1 });
    expect(JSON.parse(await readFile(join(dir, 'usual.cfg.json'), 'utf8'))).not.toHaveProperty('l0_controller_gain');
    expect(() => makeSae({ dIn: 8, dSae: 16, variant: 'jumprelu', l0Gain: 0 }, 1))
      .toThrow('SAE config: l0Gain (0) must be a number in (0, 1]');
  });

  it('keeps lambda within L0_CONTROLLER_RANGE of its configured value when the L0 does not follow', () => {
    const sae = makeSae({ dIn: 8, dSae: 16, variant: 'standard', lambda: 1e-9, lambdaWarmup: 0, targetL0: 0.001 }, 1);
    const opt = new Adam(sae.parameters(), { lr: 1e-6 });
    for (let i = 0; i < 400; i++) sae.trainStep(x, opt);
    expect(sae.trainingState()).toEqual({ lambdaScale: L0_CONTROLLER_RANGE });
  });

  it('waits for the warm-up, and does nothing without a target', () => {
    const warming = makeSae({ dIn: 8, dSae: 16, variant: 'standard', lambdaWarmup: 0.5, targetL0: 2 }, 1);
    warming.setProgress(0.25);
    warming.trainStep(x, new Adam(warming.parameters(), { lr: 1e-3 }));
    expect(warming.trainingState()).toEqual({ lambdaScale: 1 });
    const fixed = makeSae({ dIn: 8, dSae: 16, variant: 'gated' }, 1);
    fixed.trainStep(x, new Adam(fixed.parameters(), { lr: 1e-3 }));
    expect(fixed.trainingState()).toEqual({});
  });

  it('writes the lambda it reached and its target into cfg.json, and reads them back', async () => {
    const sae = makeSae({ dIn: 8, dSae: 16, variant: 'jumprelu', targetL0: 3 }, 1);
    const opt = new Adam(sae.parameters(), { lr: 1e-3 });
    for (let i = 0; i < 3; i++) sae.trainStep(x, opt);
    const dir = await mkdtemp(join(tmpdir(), 'saelab-l0-'));
    await saveSae(join(dir, 'sae'), sae, { hookName: 'synthetic', seed: 1 });
    const cfg = JSON.parse(await readFile(join(dir, 'sae.cfg.json'), 'utf8')) as Record<string, unknown>;
    const reached = (sae as unknown as { lambdaReached: number }).lambdaReached;
    expect(reached).not.toBe(1);
    expect([cfg.l0_coefficient, cfg.target_l0]).toEqual([reached, 3]);
    const back = (await loadSae(join(dir, 'sae'))).sae as unknown as { cfg: { lambda: number; targetL0: number } };
    expect([back.cfg.lambda, back.cfg.targetL0]).toEqual([reached, 3]);
  });

  it('is how the dense architectures set sparsity; TopK and BatchTopK count k', () => {
    expect(['husai', 'openai', 'batchtopk', 'standard', 'gated', 'jumprelu'].map(saeSparsity))
      .toEqual(['k', 'k', 'k', 'coefficient', 'coefficient', 'coefficient']);
    expect(() => makeSae({ dIn: 8, dSae: 16, variant: 'standard', targetL0: -1 }, 1))
      .toThrow('SAE config: targetL0 (-1) must be a number >= 0');
  });
});
