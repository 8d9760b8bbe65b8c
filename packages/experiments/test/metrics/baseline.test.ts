/** The random-dictionary baseline: closed forms, the report's 0.2988, and agreement with simulation. */
import { describe, expect, it } from 'vitest';
import jStat from 'jstat';
import { Rng } from '@saelab/tensor';
import {
  absCosineCdf, analyticBaseline, analyticBaselineStd, empiricalBaseline, randomDictionary,
} from '../../src/metrics/index.js';

describe('absCosineCdf', () => {
  it('matches the regularized incomplete beta: |cos|^2 ~ Beta(1/2, (d-1)/2)', () => {
    for (const d of [2, 5, 16, 128]) {
      for (const t of [0.01, 0.1, 0.3, 0.6, 0.95]) {
        expect(absCosineCdf(t, d)).toBeCloseTo(jStat.ibeta(t * t, 0.5, (d - 1) / 2), 7);
      }
    }
  });

  it('is uniform in R^3 (Archimedes) and arcsine-shaped in R^2', () => {
    expect(absCosineCdf(0.37, 3)).toBeCloseTo(0.37, 12);
    // In R^2, |cos| = |cos(phi)| with phi uniform: P(|cos| <= t) = 1 - (2/pi) acos(t).
    expect(absCosineCdf(0.5, 2)).toBeCloseTo(1 - (2 / Math.PI) * Math.acos(0.5), 12);
  });
});

describe('analyticBaseline', () => {
  it('is the report\'s 0.30 for d = 128, n = 1024 (0.2988 to 4 decimals)', () => {
    expect(analyticBaseline(128, 1024)).toBeCloseTo(0.2988, 4);
  });

  it('matches closed forms: E|cos| and, in R^3, the max of n uniforms', () => {
    // E|cos| = Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)): 2/pi in R^2, 1/2 in R^3.
    expect(analyticBaseline(2, 1)).toBeCloseTo(2 / Math.PI, 12);
    // In R^3 |cos| ~ U(0, 1), so the max of n has mean n/(n+1) and variance n / ((n+1)^2 (n+2)).
    for (const n of [1, 2, 7, 100]) {
      expect(analyticBaseline(3, n)).toBeCloseTo(n / (n + 1), 12);
      expect(analyticBaselineStd(3, n)).toBeCloseTo(Math.sqrt(n / ((n + 1) ** 2 * (n + 2))), 10);
    }
    // For even d = 2m, E|cos| = (m-1)! m! 4^m / (pi (2m)!): for d = 8 (m = 4), 6 * 24 * 256 / (pi * 40320).
    expect(analyticBaseline(8, 1)).toBeCloseTo((6 * 24 * 256) / (Math.PI * 40320), 12);
    expect(analyticBaseline(1, 10)).toBe(1); // in R^1 every direction is +-the same one
  });

  it('rises with the number of latents and falls with the dimension', () => {
    expect(analyticBaseline(128, 2048)).toBeGreaterThan(analyticBaseline(128, 1024));
    expect(analyticBaseline(256, 1024)).toBeLessThan(analyticBaseline(128, 1024));
  });

  it('names bad arguments', () => {
    expect(() => analyticBaseline(0, 10)).toThrow(/dimension d \(0\)/);
    expect(() => analyticBaseline(16, 2.5)).toThrow(/number of latents n \(2.5\)/);
  });

  it('agrees with the mean PWMCC of random dictionaries (d = 16, n = 64) within 4 standard errors', () => {
    const trials = 400;
    const sim = empiricalBaseline(16, 64, trials, new Rng('baseline-test'));
    const expected = analyticBaseline(16, 64);
    const stdErr = sim.std / Math.sqrt(trials);
    expect(Math.abs(sim.mean - expected)).toBeLessThan(4 * stdErr);
    // The analytic std is that of one row's max; a PWMCC averages 128 of them, so it varies far less.
    expect(sim.std).toBeLessThan(analyticBaselineStd(16, 64));
  });
});

describe('randomDictionary', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = randomDictionary(4, 3, new Rng(1));
    expect(a.rows).toBe(4);
    expect(a.cols).toBe(3);
    expect(a.data).toEqual(randomDictionary(4, 3, new Rng(1)).data);
    expect(a.data).not.toEqual(randomDictionary(4, 3, new Rng(2)).data);
  });

  it('draws standard normals', () => {
    const { data } = randomDictionary(100, 100, new Rng(5));
    const values = Array.from(data);
    const m = values.reduce((s, v) => s + v, 0) / values.length;
    const v = values.reduce((s, x) => s + (x - m) ** 2, 0) / values.length;
    expect(Math.abs(m)).toBeLessThan(0.05); // 4 standard errors of 1/sqrt(10000)
    expect(Math.abs(v - 1)).toBeLessThan(0.06);
  });
});
