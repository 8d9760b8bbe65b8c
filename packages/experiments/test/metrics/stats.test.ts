/**
 * Statistics on hand-computed examples. Expected values were worked by hand and cross-checked with
 * scipy 1.17 (stats.norm, stats.ttest_ind(equal_var=False), stats.ttest_1samp); the p-values are
 * also checked against jStat-free formulas (erf for the normal, closed forms for t with df 2).
 */
import { describe, expect, it } from 'vitest';
import { erfScalar, Rng } from '@saelab/tensor';
import {
  bootstrapMeanPwmcc, mean, median, normalTwoSidedP, oneSampleTTest, populationStd, quantile, sampleStd,
  trainedVsRandom,
  welchTTest, zTest, zTestFromSummary,
} from '../../src/metrics/index.js';

/** 2 (1 - Phi(|z|)) from the error function: Phi(z) = (1 + erf(z / sqrt 2)) / 2. */
const normalP = (z: number): number => 1 - erfScalar(Math.abs(z) / Math.SQRT2);

/** Two-sided p of Student t with 2 df, in closed form: 1 - |t| / sqrt(2 + t^2). */
const studentP2 = (t: number): number => 1 - Math.abs(t) / Math.sqrt(2 + t * t);

describe('descriptive helpers', () => {
  const x = [2, 4, 4, 4, 5, 5, 7, 9]; // mean 5, squared deviations sum to 32

  it('mean, population std (ddof 0), sample std (ddof 1), median, quantile', () => {
    expect(mean(x)).toBe(5);
    expect(populationStd(x)).toBe(2); // sqrt(32 / 8)
    expect(sampleStd(x)).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(median(x)).toBe(4.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(quantile([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 14); // numpy: position 0.4 between 1 and 2
  });

  it('names empty or too-short input', () => {
    expect(() => mean([])).toThrow(/mean: needs at least 1/);
    expect(() => sampleStd([1])).toThrow(/sampleStd: needs at least 2/);
  });
});

describe('zTest (the original\'s test)', () => {
  it('gives p = 0.05 at z = 1.96', () => {
    expect(normalTwoSidedP(1.96)).toBeCloseTo(0.0499958, 6);
    expect(normalTwoSidedP(1.96)).toBeCloseTo(normalP(1.96), 12);
  });

  it('reproduces the report from its published summaries (modular 0.309 +/- 0.023 vs copy 0.306 +/- 0.001, '
    + 'n = 10 each)', () => {
    // se = sqrt(0.023^2/10 + 0.001^2/10) = 0.0072801; z = 0.003 / se = 0.412; the report: z 0.41,
    // p 0.68, d 0.18, CI [-0.011, 0.017].
    const r = zTestFromSummary({ mean: 0.309, std: 0.023, n: 10 }, { mean: 0.306, std: 0.001, n: 10 });
    expect(r.z).toBeCloseTo(0.41, 2);
    expect(r.p).toBeCloseTo(0.68, 2);
    expect(r.cohensD).toBeCloseTo(0.18, 2);
    expect(r.ci[0]).toBeCloseTo(-0.011, 3);
    expect(r.ci[1]).toBeCloseTo(0.017, 3);
  });

  it('matches a hand computation with population stds', () => {
    // x = [1, 2, 3]: mean 2, s1^2 = 2/3 (ddof 0). y = [1, 1, 2, 2]: mean 1.5, s2^2 = 1/4.
    // diff 0.5; se = sqrt((2/3)/3 + (1/4)/4) = sqrt(0.2847222) = 0.5335937; z = 0.9370426;
    // p = 0.3487367; d = 0.5 / sqrt((2/3 + 1/4) / 2) = 0.7385489; CI = 0.5 -/+ 1.96 se.
    const r = zTest([1, 2, 3], [1, 1, 2, 2]);
    expect(r.diff).toBe(0.5);
    expect(r.se).toBeCloseTo(0.5335937, 7);
    expect(r.z).toBeCloseTo(0.9370426, 7);
    expect(r.p).toBeCloseTo(0.3487367, 7);
    expect(r.p).toBeCloseTo(normalP(r.z), 12);
    expect(r.cohensD).toBeCloseTo(0.7385489, 7);
    expect(r.ci[0]).toBeCloseTo(-0.5458436, 7);
    expect(r.ci[1]).toBeCloseTo(1.5458436, 7);
  });

  it('keeps the sign in diff and the CI, not in z', () => {
    const r = zTest([1, 1, 2, 2], [1, 2, 3]);
    expect(r.diff).toBe(-0.5);
    expect(r.z).toBeGreaterThan(0);
    expect(r.ci[1]).toBeLessThan(1);
  });

  it('reads equal constant groups as z = 0, p = 1 and different ones as z = Infinity, p = 0', () => {
    expect(zTest([0.3, 0.3], [0.3, 0.3])).toMatchObject({ z: 0, p: 1, cohensD: 0 });
    expect(zTest([0.4, 0.4], [0.3, 0.3])).toMatchObject({ z: Infinity, p: 0 });
  });
});

describe('welchTTest and oneSampleTTest', () => {
  it('matches scipy on unequal sizes and variances', () => {
    // x = [1, 2, 3, 4]: mean 2.5, s^2 = 5/3; y = [2, 4, 6]: mean 4, s^2 = 4.
    // vx = 5/12, vy = 4/3, se = sqrt(1.75); t = -1.5 / 1.3228757 = -1.1338934;
    // df = 1.75^2 / ((5/12)^2 / 3 + (4/3)^2 / 2) = 3.0625 / 0.9467593 = 3.2347188; p = 0.3338237.
    const r = welchTTest([1, 2, 3, 4], [2, 4, 6]);
    expect(r.diff).toBe(-1.5);
    expect(r.se).toBeCloseTo(Math.sqrt(1.75), 12);
    expect(r.t).toBeCloseTo(-1.1338934, 7);
    expect(r.df).toBeCloseTo(3.2347188, 7);
    expect(r.p).toBeCloseTo(0.3338237, 6);
  });

  it('agrees with the closed form for 2 degrees of freedom', () => {
    // x = [0, 2], y = [3, 5]: both s^2 = 2, se = sqrt(2), t = -3 / sqrt 2, df = 2^2 / (1 + 1) = 2.
    const r = welchTTest([0, 2], [3, 5]);
    expect(r.t).toBeCloseTo(-3 / Math.SQRT2, 12);
    expect(r.df).toBeCloseTo(2, 12);
    expect(r.p).toBeCloseTo(studentP2(r.t), 9); // 0.1679497
  });

  it('one-sample: [1, 2, 3] against 0 gives t = 2 sqrt 3 with 2 df', () => {
    // mean 2, s = 1, se = 1/sqrt 3.
    const r = oneSampleTTest([1, 2, 3], 0);
    expect(r.t).toBeCloseTo(2 * Math.sqrt(3), 12);
    expect(r.df).toBe(2);
    expect(r.p).toBeCloseTo(studentP2(r.t), 9); // 0.0741799
  });
});

describe('bootstrapMeanPwmcc', () => {
  /** A symmetric 5 x 5 matrix with 1 on the diagonal and the given 10 upper-triangle values. */
  function matrixOf(values: number[]): number[][] {
    const m: number[][] = Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, j) => (i === j ? 1 : 0)));
    let k = 0;
    for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) m[i]![j] = m[j]![i] = values[k++]!;
    return m;
  }
  const values = [0.30, 0.31, 0.29, 0.33, 0.30, 0.28, 0.32, 0.31, 0.30, 0.29];

  it('is deterministic for a seed', () => {
    const a = bootstrapMeanPwmcc(matrixOf(values), new Rng(7), 2000);
    const b = bootstrapMeanPwmcc(matrixOf(values), new Rng(7), 2000);
    expect(a).toEqual(b);
    // 5 seeds: CIs may coincide, se will not
    expect(bootstrapMeanPwmcc(matrixOf(values), new Rng(8), 2000)).not.toEqual(a);
  });

  it('reports the observed mean, inside its CI', () => {
    const r = bootstrapMeanPwmcc(matrixOf(values), new Rng(1));
    expect(r.iterations).toBe(10_000);
    expect(r.mean).toBeCloseTo(mean(values), 14);
    expect(r.ci95[0]).toBeLessThan(r.mean);
    expect(r.ci95[1]).toBeGreaterThan(r.mean);
    expect(r.se).toBeGreaterThan(0);
  });

  it('narrows as the values become equal, to zero width when they are', () => {
    const m = mean(values);
    const width = (shrink: number): number => {
      const r = bootstrapMeanPwmcc(matrixOf(values.map((v) => m + shrink * (v - m))), new Rng(3), 2000);
      return r.ci95[1] - r.ci95[0];
    };
    // Same seed, same resamples: shrinking deviations by 10 shrinks the CI by 10.
    expect(width(0.1)).toBeCloseTo(width(1) / 10, 12);
    const flat = bootstrapMeanPwmcc(matrixOf(values.map(() => 0.3)), new Rng(3), 2000);
    expect(flat.ci95).toEqual([0.3, 0.3]);
    expect(flat.se).toBe(0);
  });

  it('never compares a seed with itself: with 2 seeds every resample is the one pair', () => {
    const r = bootstrapMeanPwmcc([[1, 0.4], [0.4, 1]], new Rng(0), 500);
    expect(r.ci95).toEqual([0.4, 0.4]);
  });

  it('names a matrix that is not square', () => {
    expect(() => bootstrapMeanPwmcc([[1, 0.3], [0.3]], new Rng(0))).toThrow(/row 1 has 1 entries/);
  });
});

describe('trainedVsRandom', () => {
  const trained = [0.50, 0.52, 0.48, 0.51, 0.49];
  const random = [0.298, 0.300, 0.299, 0.297, 0.301];

  it('reports the gap, Welch\'s test and the gap in random-std units', () => {
    const r = trainedVsRandom(trained, random);
    expect(r.trainedMean).toBeCloseTo(0.5, 12);
    expect(r.randomMean).toBeCloseTo(0.299, 12);
    expect(r.diff).toBeCloseTo(0.201, 12);
    expect(r.welch).toEqual(welchTTest(trained, random));
    expect(r.welch.p).toBeLessThan(1e-4);
    // random: deviations -1, 1, 0, -2, 2 (x 1e-3), sample std = sqrt(10e-6 / 4) = 1.5811e-3.
    expect(r.diffInRandomStds).toBeCloseTo(0.201 / Math.sqrt(2.5e-6), 6);
    expect(r.analytic).toBeUndefined();
  });

  it('adds one-sample tests against the analytic baseline when given', () => {
    const r = trainedVsRandom(trained, random, 0.2988);
    expect(r.analytic?.baseline).toBe(0.2988);
    expect(r.analytic?.trained).toEqual(oneSampleTTest(trained, 0.2988));
    expect(r.analytic?.trained.p).toBeLessThan(1e-4);
    expect(r.analytic?.random.p).toBeGreaterThan(0.05); // the random control sits at chance
  });
});
