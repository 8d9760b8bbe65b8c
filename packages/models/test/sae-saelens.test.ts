/**
 * Files a SAELens user can load: every architecture is trained a little, saved, and scripts/check_saelens.py
 * (numpy) recomputes x_hat from the files with SAELens's formulas and compares it with ours. Skipped where
 * /usr/bin/python3 with numpy is missing, unless SAELAB_REQUIRE_PYTHON=1, which makes that a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, noGrad, normal, Rng, tensor, type Tensor } from '@saelab/tensor';
import {
  BatchTopKSAE, JumpReluSAE, loadSae, makeSae, saveSae, saveSafetensors, type NamedTensor, type SaeConfig,
} from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const script = new URL('../scripts/check_saelens.py', import.meta.url).pathname;
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const required = process.env.SAELAB_REQUIRE_PYTHON === '1';

const dIn = 8;
const configs: Record<string, SaeConfig> = {
  standard: { dIn, dSae: 32, variant: 'standard', lambda: 0.05 },
  standard_uncentred: { dIn, dSae: 32, variant: 'standard', lambda: 0.05, applyBDecToInput: false },
  gated: { dIn, dSae: 32, variant: 'gated', lambda: 0.05 },
  jumprelu: { dIn, dSae: 32, variant: 'jumprelu', lambda: 0.01 },
  batchtopk: { dIn, dSae: 32, k: 4, variant: 'batchtopk' },
  openai: { dIn, dSae: 32, k: 4, variant: 'openai' },
};

const host = (t: Tensor): NamedTensor => ({ shape: [...t.shape], data: Float32Array.from(t.toArray()) });

describe('SAELens reads our files as we do', () => {
  it.runIf(hasNumpy || required)('check_saelens.py recomputes every architecture\'s x_hat within 1e-4', async () => {
    if (!hasNumpy) {
      throw new Error(`SAELAB_REQUIRE_PYTHON=1, but ${PYTHON} with numpy is missing: install python3-numpy`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'saelab-saelens-'));
    const x = normal([64, dIn], new Rng(1));
    const inputs: Record<string, NamedTensor> = { x: host(x) };
    for (const [name, cfg] of Object.entries(configs)) {
      const sae = makeSae(cfg, 2, new Array(dIn).fill(0.2));
      const opt = new Adam(sae.parameters(), { lr: 1e-2 });
      for (let s = 0; s < 3; s++) sae.trainStep(normal([32, dIn], new Rng(10 + s)), opt); // b_dec, r_mag, ... move
      // Thresholds that bite: JumpReLU's per latent, BatchTopK's one.
      if (sae instanceof JumpReluSAE) {
        noGrad(() => sae.log_threshold.assign(tensor(Array.from({ length: 32 }, (_, i) => Math.log(0.05 + i / 30)))));
      }
      if (sae instanceof BatchTopKSAE) sae.threshold = Math.fround(0.4);
      await saveSae(join(dir, name), sae, { hookName: 'blocks.1.hook_resid_post', seed: 2 });
      const { sae: loaded } = await loadSae(join(dir, name)); // x_hat at inference, from the file
      const { indices, values } = noGrad(() => loaded.encode(x));
      const active = Array.from(values.toArray()).filter((v) => v !== 0).length;
      expect(active, `${name}: some latents active`).toBeGreaterThan(0);
      expect(active, `${name}: some latents inactive`).toBeLessThan(64 * 32);
      inputs[`x_hat.${name}`] = host(noGrad(() => loaded.decode(indices, values)));
    }
    await saveSafetensors(join(dir, 'inputs.safetensors'), inputs);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ saes: Object.keys(configs), tolerance: 1e-4 }));
    const run = spawnSync(PYTHON, [script, dir], { encoding: 'utf8' });
    const report = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
      ok: boolean; results: Record<string, { architecture: string; max_abs_diff: number; problems: string[] }>;
    };
    expect(run.stderr).toBe('');
    expect(Object.keys(report.results)).toEqual(Object.keys(configs));
    for (const [name, r] of Object.entries(report.results)) {
      expect(r.problems, name).toEqual([]);
      expect(r.max_abs_diff, name).toBeLessThan(1e-4);
    }
    expect(report.results.batchtopk!.architecture).toBe('jumprelu'); // SAELens's inference form of BatchTopK
    expect(report.ok).toBe(true);
    expect(run.status).toBe(0);
  });
});
