/**
 * Metrics against a known dictionary (Sharkey, Braun & Millidge 2022): the truth itself in
 * disguise scores 1, random dictionaries score the analytic chance level, and the invariances hold.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '@saelab/tensor';
import {
  analyticBaseline, analyticBaselineStd, bestCosinePerFeature, bothRecovered, matchedToTruth, mmcs, mmcsReverse,
  randomDictionary, recovered, recoveredFraction, scoreAgainstTruth, type Matrix,
} from '../../src/metrics/index.js';

/** Rows of m in the order `order`, row r multiplied by scale(r). */
function disguise(m: Matrix, order: number[], scale: (r: number) => number): Matrix {
  const data = new Float32Array(order.length * m.cols);
  order.forEach((src, r) => {
    for (let c = 0; c < m.cols; c++) data[r * m.cols + c] = m.data[src * m.cols + c]! * scale(r);
  });
  return { data, rows: order.length, cols: m.cols };
}

/** Row i of m replaced by a mix of itself and noise so its |cos| with the original is exactly `target`. */
function tilt(m: Matrix, i: number, target: number, rng: Rng): Matrix {
  const d = m.cols;
  const f = Array.from(m.data.subarray(i * d, (i + 1) * d));
  const norm = Math.hypot(...f);
  const u = f.map((v) => v / norm);
  const g = Array.from(rng.normalArray(d));
  const dot = g.reduce((s, v, k) => s + v * u[k]!, 0);
  const perp = g.map((v, k) => v - dot * u[k]!); // orthogonal to f
  const pn = Math.hypot(...perp);
  const data = Float32Array.from(m.data);
  for (let k = 0; k < d; k++) data[i * d + k] = target * u[k]! + Math.sqrt(1 - target ** 2) * (perp[k]! / pn);
  return { data, rows: m.rows, cols: d };
}

describe('against the truth itself', () => {
  const truth = randomDictionary(64, 16, new Rng('truth'));
  const rng = new Rng('disguise');
  const order = rng.permutation(64);
  const twin = disguise(truth, order, (r) => (r % 2 ? -1 : 1) * (0.1 + 3 * ((r * 7) % 5)));

  it('a shuffled, sign-flipped, rescaled copy scores MMCS 1, recovery 1 and matched cosine 1', () => {
    expect(mmcs(truth, twin)).toBeCloseTo(1, 6);
    expect(mmcsReverse(truth, twin)).toBeCloseTo(1, 6);
    expect(recoveredFraction(truth, twin, 0.99)).toBe(1);
    const match = matchedToTruth(truth, twin);
    expect(match.meanMatchedCosine).toBeCloseTo(1, 6);
    // The matching undoes the shuffle: feature order[r] is latent r.
    order.forEach((src, r) => expect(match.latentOf[src]).toBe(r));
    expect(scoreAgainstTruth(truth, twin)).toEqual({
      mmcs: expect.closeTo(1, 6), mmcsReverse: expect.closeTo(1, 6), recovered90: 1, recovered99: 1,
      matchedCosine: expect.closeTo(1, 6),
    });
  });

  it('recovery counts a feature exactly when its best cosine reaches the threshold', () => {
    const learned = tilt(tilt(truth, 3, 0.95, new Rng(1)), 7, 0.5, new Rng(2));
    const best = bestCosinePerFeature(truth, learned);
    expect(best[3]).toBeCloseTo(0.95, 5);
    expect(recovered(truth, learned, 0.9)[3]).toBe(true);
    expect(recovered(truth, learned, 0.99)[3]).toBe(false);
    expect(recoveredFraction(truth, learned, 0.99)).toBeCloseTo(62 / 64, 12);
    // Feature 7's best match is no longer its own latent, but still above chance.
    expect(recovered(truth, learned, 0.9)[7]).toBe(false);
  });

  it('bothRecovered is the fraction recovered by each of two SAEs at once', () => {
    const a = tilt(truth, 0, 0.5, new Rng(3)); // misses feature 0
    const b = tilt(tilt(truth, 0, 0.5, new Rng(4)), 1, 0.5, new Rng(5)); // misses features 0 and 1
    const c = tilt(truth, 2, 0.5, new Rng(6)); // misses feature 2
    expect(bothRecovered(truth, a, b, 0.9)).toBeCloseTo(62 / 64, 12);
    expect(bothRecovered(truth, a, c, 0.9)).toBeCloseTo(62 / 64, 12);
    expect(bothRecovered(truth, b, c, 0.9)).toBeCloseTo(61 / 64, 12);
  });
});

describe('matchedToTruth with d_sae != N', () => {
  const truth = randomDictionary(12, 8, new Rng('small'));
  it('an overcomplete SAE holding the truth among extra latents matches every feature at 1', () => {
    const extra = randomDictionary(20, 8, new Rng('extra'));
    const learned: Matrix = { data: Float32Array.from([...extra.data, ...truth.data]), rows: 32, cols: 8 };
    const m = matchedToTruth(truth, learned);
    expect(m.meanMatchedCosine).toBeCloseTo(1, 6);
    m.latentOf.forEach((j, i) => expect(j).toBe(20 + i));
  });

  it('an undercomplete SAE matches each latent to a distinct feature and leaves the rest at -1', () => {
    const learned = disguise(truth, [5, 0, 9], () => -2);
    const m = matchedToTruth(truth, learned);
    expect(m.meanMatchedCosine).toBeCloseTo(1, 6);
    expect([m.latentOf[5], m.latentOf[0], m.latentOf[9]]).toEqual([0, 1, 2]);
    expect(Array.from(m.latentOf).filter((j) => j === -1)).toHaveLength(9);
    expect(m.featureCosine[1]).toBe(0);
  });

  it('one-to-one matching never beats MMCS, which lets latents share a feature', () => {
    for (let t = 0; t < 5; t++) {
      const learned = randomDictionary(30, 8, new Rng(`r${t}`));
      const m = matchedToTruth(truth, learned);
      expect(m.meanMatchedCosine).toBeLessThanOrEqual(mmcs(truth, learned) + 1e-9);
      expect(new Set(m.latentOf).size).toBe(12); // distinct latents
    }
  });
});

describe('a random dictionary scores the chance level', () => {
  it('MMCS of a random [n, d] dictionary against a fixed truth is E[max of n |cos|] within a few SE', () => {
    const d = 32;
    const n = 256;
    const truth = randomDictionary(128, d, new Rng('fixed truth'));
    const values = Array.from({ length: 8 }, (_, t) => mmcs(truth, randomDictionary(n, d, new Rng(`random ${t}`))));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    // Each MMCS averages 128 maxima (nearly independent: different truth rows), each with this std.
    const se = analyticBaselineStd(d, n) / Math.sqrt(128 * values.length);
    expect(Math.abs(mean - analyticBaseline(d, n))).toBeLessThan(4 * se);
  });
});

describe('properties', () => {
  /** A [rows, 6] dictionary of normals from a seed. */
  const dictFrom = (rows: number, seed: number): Matrix => randomDictionary(rows, 6, new Rng(seed));
  const cases = fc.record({
    n: fc.integer({ min: 1, max: 12 }), l: fc.integer({ min: 1, max: 12 }),
    seed: fc.integer({ min: 0, max: 1e6 }), signs: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  });

  it('MMCS is invariant to the order and sign of the latents', () => {
    fc.assert(fc.property(cases, ({ n, l, seed, signs }) => {
      const truth = dictFrom(n, seed);
      const learned = dictFrom(l, seed + 1);
      const order = new Rng(seed).permutation(l);
      const moved = disguise(learned, order, (r) => (signs[r] ? -1 : 1));
      expect(mmcs(truth, moved)).toBeCloseTo(mmcs(truth, learned), 6);
      expect(mmcsReverse(truth, moved)).toBeCloseTo(mmcsReverse(truth, learned), 6);
    }), { numRuns: 50 });
  });

  it('mmcs(a, b) = mmcsReverse(b, a), and both lie in [0, 1]', () => {
    fc.assert(fc.property(cases, ({ n, l, seed }) => {
      const a = dictFrom(n, seed);
      const b = dictFrom(l, seed + 7);
      expect(mmcs(a, b)).toBeCloseTo(mmcsReverse(b, a), 12);
      for (const v of [mmcs(a, b), mmcsReverse(a, b)]) expect(v >= 0 && v <= 1).toBe(true);
    }), { numRuns: 50 });
  });

  it('matched cosine lies between 0 and MMCS of the smaller side', () => {
    fc.assert(fc.property(cases, ({ n, l, seed }) => {
      const truth = dictFrom(n, seed);
      const learned = dictFrom(l, seed + 3);
      const m = matchedToTruth(truth, learned).meanMatchedCosine;
      const bound = n <= l ? mmcs(truth, learned) : mmcsReverse(truth, learned);
      expect(m).toBeGreaterThanOrEqual(0);
      expect(m).toBeLessThanOrEqual(bound + 1e-9);
    }), { numRuns: 50 });
  });
});

describe('errors', () => {
  it('names the problem: different spaces, or a threshold outside [0, 1]', () => {
    const a = randomDictionary(4, 3, new Rng(0));
    const b = randomDictionary(4, 5, new Rng(1));
    expect(() => mmcs(a, b)).toThrow(/dIn differs \(3 vs 5\)/);
    expect(() => recovered(a, a, 1.5)).toThrow(/threshold \(1.5\) must be in \[0, 1\]/);
  });
});
