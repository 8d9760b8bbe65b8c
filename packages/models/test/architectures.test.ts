/**
 * The SAE registry, and what every registered architecture must do: written once, run on each. A new
 * architecture needs one tiny config below (a missing one is a compile error), and then is tested here.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Adam, mul, normal, Rng } from '@saelab/tensor';
import {
  loadSae, makeSae, saeArchitecture, saeArchitectureNames, saeArchitectures, saveSae, SparseAutoencoder,
  type SaeArchitectureName, type SaeConfig,
} from '../src/index.js';

const tiny: { [N in SaeArchitectureName]: SaeConfig & { variant: N } } = {
  husai: { dIn: 8, dSae: 32, k: 4, variant: 'husai' },
  openai: { dIn: 8, dSae: 32, k: 4, variant: 'openai', deadAfter: 32 }, // dead after one batch: AuxK runs from step 2
  standard: { dIn: 8, dSae: 32, variant: 'standard', lambda: 0.1 },
  gated: { dIn: 8, dSae: 32, variant: 'gated', lambda: 0.1 },
  jumprelu: { dIn: 8, dSae: 32, variant: 'jumprelu', lambda: 0.01, initThreshold: 0.05, bandwidth: 0.1 },
  batchtopk: { dIn: 8, dSae: 32, k: 4, variant: 'batchtopk', deadAfter: 32 },
};

describe('the SAE registry', () => {
  it('names every architecture once, in a tuple a schema can enumerate', () => {
    expect(saeArchitectureNames).toEqual(Object.keys(saeArchitectures));
    expect(saeArchitectureNames).toEqual(['husai', 'openai', 'standard', 'gated', 'jumprelu', 'batchtopk']);
  });

  it('refuses an unknown name, naming it and the known ones', () => {
    const message = "variant 'matryoshka' is not a registered SAE architecture; use one of: husai, openai, standard, "
      + 'gated, jumprelu, batchtopk';
    expect(() => saeArchitecture('matryoshka')).toThrow(message);
    expect(() => makeSae({ dIn: 8, dSae: 32, k: 4, variant: 'matryoshka' } as unknown as SaeConfig, 1))
      .toThrow(message);
    expect(() => saeArchitecture('constructor')).toThrow("variant 'constructor'"); // not an Object.prototype key
  });
});

describe.each(saeArchitectureNames)('the %s architecture', (name) => {
  const cfg = tiny[name];
  const x = normal([32, cfg.dIn], new Rng(3));

  it('is built by makeSae as its registered class, the same from the same seed', () => {
    const sae = makeSae(cfg, 4, new Array(cfg.dIn).fill(0.1));
    expect(sae).toBeInstanceOf(saeArchitectures[name]);
    expect(sae).toBeInstanceOf(SparseAutoencoder);
    expect(sae.cfg.variant).toBe(name);
    const values = (s: SparseAutoencoder) => s.parameters().map((p) => Array.from(p.toArray()));
    expect(values(makeSae(cfg, 4, new Array(cfg.dIn).fill(0.1)))).toEqual(values(sae));
  });

  it('trains: five steps lower the loss, and every firing is counted', () => {
    const sae = makeSae(cfg, 4, new Array(cfg.dIn).fill(0));
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    const losses = Array.from({ length: 5 }, () => sae.trainStep(x, opt));
    expect(losses[4]!).toBeLessThan(losses[0]!);
    expect(losses.every(Number.isFinite)).toBe(true);
    // The code's decode is the forward pass's reconstruction.
    const out = sae.forward(x);
    expect(Array.from(sae.decode(out.indices, out.values).toArray())).toEqual(Array.from(out.xHat.toArray()));
    expect(out.indices.shape).toEqual(out.values.shape);
    expect(sae.firings.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('folds an input scale into its weights: the same code of x as it gave of c x, and x_hat divided by c', () => {
    const sae = makeSae(cfg, 6, new Array(cfg.dIn).fill(0.3));
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    for (let s = 0; s < 3; s++) sae.trainStep(x, opt);
    const c = 2.5;
    const scaled = mul(x, c);
    const before = sae.encode(scaled);
    const xHatBefore = sae.decode(before.indices, before.values).toArray();
    sae.foldInputScale(c);
    const after = sae.encode(x);
    expect(Array.from(after.indices.toArray())).toEqual(Array.from(before.indices.toArray()));
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).forEach((v, i) => {
      expect(Math.abs(v - b[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b[i]!)));
    });
    close(after.values.toArray(), before.values.toArray());
    close(sae.decode(after.indices, after.values).toArray(), Array.from(xHatBefore, (v) => v / c));
    expect(() => sae.foldInputScale(0)).toThrow('foldInputScale: the scale (0) must be a positive number');
  });

  it('saves and loads back the same function, config and parameters', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'saelab-arch-'));
    const sae = makeSae(cfg, 5, new Array(cfg.dIn).fill(0.2));
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    for (let s = 0; s < 2; s++) sae.trainStep(x, opt);
    await saveSae(join(dir, name), sae, { hookName: 'blocks.1.hook_resid_post', seed: 5 });
    const { sae: back, cfg: file } = await loadSae(join(dir, name));
    expect(file.variant).toBe(name);
    expect(back).toBeInstanceOf(saeArchitectures[name]);
    expect(back.cfg).toEqual(sae.cfg);
    expect(back.namedParameters().map(([n]) => n)).toEqual(sae.namedParameters().map(([n]) => n));
    expect(Array.from(back.b_dec.toArray())).toEqual(Array.from(sae.b_dec.toArray()));
    expect(Array.from(back.forward(x).xHat.toArray())).toEqual(Array.from(sae.forward(x).xHat.toArray()));
  });
});
