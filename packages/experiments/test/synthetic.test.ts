/**
 * The synthetic-activation generator (Sharkey, Braun & Millidge 2022; Elhage et al. 2022): the
 * normal quantile it relies on, the firing probabilities, firing frequencies within binomial
 * tolerance, the copula's joint firing against its exact value, determinism, and config errors.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Rng } from '@saelab/tensor';
import {
  didFire, firingProbabilities, generateSynthetic, groundTruthDictionary, normalCdf, normalQuantile,
  parseSyntheticData, type SyntheticDataset,
} from '../src/synthetic/index.js';

const sha = (a: Float32Array): string =>
  createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

/** How many samples fired both i and j. */
function jointCount(data: SyntheticDataset, i: number, j: number): number {
  let n = 0;
  for (let s = 0; s < data.fired.samples; s++) if (didFire(data.fired, s, i) && didFire(data.fired, s, j)) n++;
  return n;
}

/** Expects a count out of `trials` to be within 4 binomial sigmas of probability p. */
function expectBinomial(count: number, trials: number, p: number): void {
  const sigma = Math.sqrt(p * (1 - p) / trials);
  expect(Math.abs(count / trials - p)).toBeLessThan(4 * sigma);
}

describe('normalQuantile (AS 241) and normalCdf', () => {
  // Reference values of Phi^{-1}(p) to 16 digits (as R's qnorm gives them).
  const known: [number, number][] = [
    [0.5, 0], [0.75, 0.6744897501960817], [0.8413447460685429, 1], [0.9, 1.2815515655446004],
    [0.95, 1.6448536269514722], [0.975, 1.959963984540054], [0.99, 2.3263478740408408],
    [0.999, 3.090232306167813], [1e-4, -3.719016485455709], [1e-10, -6.361340902404056],
    [1e-20, -9.262340089798408],
  ];
  it('matches known quantiles to 1e-9, symmetric in p and 1 - p', () => {
    for (const [p, z] of known) {
      expect(Math.abs(normalQuantile(p) - z)).toBeLessThan(1e-9 * Math.max(1, Math.abs(z)));
      if (p >= 1e-10) expect(normalQuantile(1 - p)).toBeCloseTo(-z, 6);
    }
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(() => normalQuantile(1.5)).toThrow(/p \(1.5\) must be in \[0, 1\]/);
  });

  it('normalCdf inverts it: to 1e-12 in the body, to a relative 2e-8 in the far tail (Hart\'s accuracy)', () => {
    for (let x = -8; x <= 0; x += 0.137) {
      if (x > -4) expect(Math.abs(normalQuantile(normalCdf(x)) - x)).toBeLessThan(1e-12);
      expect(normalCdf(-x)).toBeCloseTo(1 - normalCdf(x), 15);
    }
    for (const p of [1e-6, 1e-10, 1e-15]) expect(Math.abs(normalCdf(normalQuantile(p)) / p - 1)).toBeLessThan(2e-8);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
  });
});

describe('firingProbabilities', () => {
  it('sums to meanActive, does not increase, and has the documented shapes', () => {
    const exp = firingProbabilities({ features: 512, meanActive: 8, decay: 'exponential' });
    expect(exp.reduce((s, p) => s + p, 0)).toBeCloseTo(8, 12);
    expect(exp[0]! / exp[511]!).toBeCloseTo(Math.exp(511 / 128), 9); // tau = N / 4
    const pow = firingProbabilities({ features: 512, meanActive: 8, decay: 'power' });
    expect(pow.reduce((s, p) => s + p, 0)).toBeCloseTo(8, 12);
    expect(pow[0]! / pow[511]!).toBeCloseTo(512 ** 0.7, 9); // alpha = 0.7
    for (const ps of [exp, pow]) for (let i = 1; i < ps.length; i++) expect(ps[i]!).toBeLessThanOrEqual(ps[i - 1]!);
  });

  it('caps at 1 and redistributes the excess so the sum stays exact', () => {
    const ps = firingProbabilities({ features: 64, meanActive: 30, decay: 'power' });
    const capped = ps.filter((p) => p === 1).length;
    expect(capped).toBeGreaterThan(0);
    expect(ps.every((p) => p <= 1)).toBe(true);
    expect(ps.reduce((s, p) => s + p, 0)).toBeCloseTo(30, 12);
    // Below the cap the shape is untouched: p_i / p_j = q_i / q_j.
    expect(ps[capped]! / ps[63]!).toBeCloseTo((64 / (capped + 1)) ** 0.7, 9);
    expect(firingProbabilities({ features: 5, meanActive: 5, decay: 'exponential' })).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('groundTruthDictionary', () => {
  it('gives N unit rows in R^d, the same for the same seed', () => {
    const t = groundTruthDictionary({ features: 20, d: 7 }, new Rng(3));
    expect([t.rows, t.cols, t.data.length]).toEqual([20, 7, 140]);
    for (let i = 0; i < 20; i++) expect(Math.hypot(...t.data.subarray(i * 7, i * 7 + 7))).toBeCloseTo(1, 6);
    expect(sha(groundTruthDictionary({ features: 20, d: 7 }, new Rng(3)).data)).toBe(sha(t.data));
  });
});

describe('generateSynthetic, independent firing', () => {
  const samples = 60_000;
  const data = generateSynthetic({ d: 16, features: 64, meanActive: 4, samples, dataSeed: 5 });

  it('fires each feature at its p_i within 4 binomial sigmas', () => {
    for (const i of [0, 1, 10, 31, 63]) {
      let count = 0;
      for (let s = 0; s < samples; s++) if (didFire(data.fired, s, i)) count++;
      expect(count).toBe(data.fired.counts[i]);
      expectBinomial(count, samples, data.probabilities[i]!);
    }
  });

  it('has mean L0 = meanActive within 4 standard errors, and records each sample\'s L0', () => {
    const l0 = Array.from(data.fired.active);
    const variance = data.probabilities.reduce((s, p) => s + p * (1 - p), 0); // independent Bernoullis
    expect(Math.abs(l0.reduce((s, v) => s + v, 0) / samples - 4)).toBeLessThan(4 * Math.sqrt(variance / samples));
    let bits = 0;
    for (let i = 0; i < 64; i++) if (didFire(data.fired, 123, i)) bits++;
    expect(bits).toBe(data.fired.active[123]);
  });

  it('fires two frequent features jointly at p_i p_j', () => {
    const [p0, p1] = data.probabilities as [number, number];
    expectBinomial(jointCount(data, 0, 1), samples, p0 * p1);
  });

  it('builds x from the features that fired: a lone feature gives x = a f_i with a in [0, 1]', () => {
    let checked = 0;
    for (let s = 0; s < samples && checked < 50; s++) {
      if (data.fired.active[s] !== 1) continue;
      const i = Array.from({ length: 64 }, (_, k) => k).find((k) => didFire(data.fired, s, k))!;
      const x = data.activations.subarray(s * 16, s * 16 + 16);
      const f = data.truth.data.subarray(i * 16, i * 16 + 16);
      const a = x.reduce((acc, v, c) => acc + v * f[c]!, 0);
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(1);
      x.forEach((v, c) => expect(v).toBeCloseTo(a * f[c]!, 6));
      checked++;
    }
    expect(checked).toBe(50);
  });
});

describe('generateSynthetic, determinism', () => {
  const cfg = { d: 8, features: 32, meanActive: 3, samples: 5000, correlation: 0.4, noise: 0.1, dataSeed: 9 };
  it('gives bit-identical data for the same config, and different data for another seed', () => {
    const a = generateSynthetic(cfg);
    const b = generateSynthetic(cfg);
    expect(sha(b.activations)).toBe(sha(a.activations));
    expect(sha(b.truth.data)).toBe(sha(a.truth.data));
    expect(Array.from(b.fired.bits)).toEqual(Array.from(a.fired.bits));
    expect(sha(generateSynthetic({ ...cfg, dataSeed: 10 }).activations)).not.toBe(sha(a.activations));
  });

  it('keeps the dictionary and grouping when only the firing changes (independent streams)', () => {
    const a = generateSynthetic(cfg);
    const b = generateSynthetic({ ...cfg, correlation: 0, noise: 0 });
    expect(sha(b.truth.data)).toBe(sha(a.truth.data));
    expect(Array.from(b.groups)).toEqual(Array.from(a.groups));
  });
});

describe('generateSynthetic, correlated firing', () => {
  const samples = 60_000;
  const rho = 0.6;
  const data = generateSynthetic({
    d: 8, features: 32, meanActive: 4, samples, correlation: rho, correlationGroups: 4,
  });

  /** P(z_i < t_i and z_j < t_j) for two features of one group: the integral over the shared factor. */
  function exactJoint(pi: number, pj: number): number {
    const cond = (p: number, g: number) => normalCdf((normalQuantile(p) - Math.sqrt(rho) * g) / Math.sqrt(1 - rho));
    let sum = 0;
    const h = 0.002;
    for (let g = -10; g <= 10; g += h) {
      sum += (h * Math.exp(-0.5 * g * g) / Math.sqrt(2 * Math.PI)) * cond(pi, g) * cond(pj, g);
    }
    return sum;
  }

  it('keeps every marginal at p_i', () => {
    for (const i of [0, 5, 20]) expectBinomial(data.fired.counts[i]!, samples, data.probabilities[i]!);
  });

  it('raises joint firing within a group to the copula\'s value, and leaves other groups independent', () => {
    const g = data.groups;
    const same = [1, 2, 3, 4, 5, 6, 7].find((j) => g[j] === g[0])!;
    const other = [1, 2, 3, 4, 5, 6, 7].find((j) => g[j] !== g[0])!;
    const p = data.probabilities;
    const joint = exactJoint(p[0]!, p[same]!);
    expect(joint).toBeGreaterThan(1.5 * p[0]! * p[same]!);
    expectBinomial(jointCount(data, 0, same), samples, joint);
    expectBinomial(jointCount(data, 0, other), samples, p[0]! * p[other]!);
  });

  it('deals the features into equal groups', () => {
    const sizes = [0, 0, 0, 0];
    for (const k of data.groups) sizes[k]!++;
    expect(sizes).toEqual([8, 8, 8, 8]);
  });
});

describe('magnitudes and noise', () => {
  it('exponential magnitudes have mean 1/2; noise adds isotropic Gaussian of the given std', () => {
    const data = generateSynthetic({
      d: 4, features: 16, meanActive: 1, samples: 40_000, magnitudes: 'exponential', noise: 0.3, dataSeed: 2,
    });
    let sq = 0;
    let n = 0;
    for (let s = 0; s < data.fired.samples; s++) {
      if (data.fired.active[s] !== 0) continue;
      for (let c = 0; c < 4; c++) sq += data.activations[s * 4 + c]! ** 2;
      n += 4;
    }
    expect(Math.sqrt(sq / n)).toBeCloseTo(0.3, 2);
    const clean = generateSynthetic({ d: 4, features: 16, meanActive: 1, samples: 40_000, magnitudes: 'exponential' });
    const lone: number[] = [];
    for (let s = 0; s < clean.fired.samples; s++) {
      if (clean.fired.active[s] === 1) lone.push(Math.hypot(...clean.activations.subarray(s * 4, s * 4 + 4)));
    }
    const mean = lone.reduce((a, v) => a + v, 0) / lone.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * 0.5 / Math.sqrt(lone.length)); // exponential: std = mean
  });
});

describe('config validation', () => {
  it('fills the protocol\'s defaults', () => {
    expect(parseSyntheticData({})).toEqual({
      d: 128, features: 512, meanActive: 8, decay: 'exponential', correlation: 0, correlationGroups: 16,
      magnitudes: 'uniform', noise: 0, samples: 200_000, dataSeed: 0,
    });
  });

  it('rejects bad fields, naming the field and its allowed range', () => {
    const bad: [object, RegExp][] = [
      [{ meanActive: 0 }, /meanActive: meanActive must be > 0/],
      [{ features: 16, meanActive: 20 }, /meanActive: meanActive \(20\) must be <= features \(16\)/],
      [{ correlation: 1 }, /correlation: correlation must be in \[0, 1\)/],
      [{ correlation: -0.1 }, /correlation: correlation must be in \[0, 1\)/],
      [{ decay: 'linear' }, /decay: decay must be "exponential" or "power"/],
      [{ magnitudes: 'gaussian' }, /magnitudes: magnitudes must be "uniform" or "exponential"/],
      [{ d: 2.5 }, /d: d must be an integer/],
      [{ samples: 0 }, /samples: samples must be >= 1/],
      [{ noise: -1 }, /noise: noise must be >= 0/],
      [{ features: 8, correlationGroups: 9 }, /correlationGroups \(9\) must be <= features \(8\)/],
    ];
    for (const [cfg, message] of bad) {
      expect(() => parseSyntheticData(cfg)).toThrow(message);
      expect(() => generateSynthetic(cfg)).toThrow(message);
    }
    expect(() => parseSyntheticData({ seed: 1 })).toThrow(/seed/); // unknown keys are typos
  });
});
