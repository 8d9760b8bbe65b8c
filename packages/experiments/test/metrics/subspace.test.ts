import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '@saelab/tensor';
import { analyticBaseline, analyticBaselineStd, randomDictionary } from '../../src/metrics/baseline.js';
import { pwmcc, type Matrix } from '../../src/metrics/pwmcc.js';
import { principalAxes, type PrincipalAxes } from '../../src/metrics/spectrum.js';
import { projectRows, subspacePwmcc } from '../../src/metrics/subspace.js';

/** The standard basis of R^d as principal directions (the first m coordinates are the top m). */
function standardAxes(d: number): PrincipalAxes {
  const directions = new Float64Array(d * d);
  for (let i = 0; i < d; i++) directions[i * d + i] = 1;
  return { eigenvalues: Array.from({ length: d }, (_, i) => d - i), directions, dim: d };
}

describe('subspace PWMCC', () => {
  it('is 1 for identical dictionaries, in any subspace', () => {
    const rng = new Rng(1);
    const a = randomDictionary(64, 16, rng);
    for (const m of [1, 3, 8, 16]) expect(subspacePwmcc(a, a, standardAxes(16), m)).toBeCloseTo(1, 6);
  });

  it('of random dictionaries is the analytic chance level for dimension m, within 3 standard errors', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 24 }), fc.integer({ min: 16, max: 160 }),
        fc.integer({ min: 0, max: 1e6 }), (m, n, seed) => {
      const d = m + 8;
      const rng = new Rng(seed);
      const value = subspacePwmcc(randomDictionary(n, d, rng), randomDictionary(n, d, rng), standardAxes(d), m);
      // PWMCC averages 2n row maxima; each has the analytic std, so the mean's standard error is about std / sqrt(2n).
      const se = analyticBaselineStd(m, n) / Math.sqrt(2 * n);
      expect(Math.abs(value - analyticBaseline(m, n))).toBeLessThanOrEqual(3 * se + 0.003);
    }), { seed: 42, numRuns: 25 });
  });

  it('scores dictionaries that agree only inside a known subspace high there and near chance in the full space', () => {
    const [d, m, n] = [128, 8, 256];
    const rng = new Rng(7);
    const a = randomDictionary(n, d, rng);
    // b shares a's first m coordinates (what training would have shaped) and has its own random rest (an untrained
    // remainder).
    const b: Matrix = { data: Float32Array.from(randomDictionary(n, d, rng).data), rows: n, cols: d };
    for (let r = 0; r < n; r++) for (let c = 0; c < m; c++) b.data[r * d + c] = a.data[r * d + c]!;
    expect(subspacePwmcc(a, b, standardAxes(d), m)).toBeGreaterThan(0.999);
    expect(pwmcc(a, b)).toBeLessThan(analyticBaseline(d, n) + 0.03);
  });

  it('leaves out rows that keep less than 5% of their norm in the subspace, and counts them', () => {
    const d = 4;
    const dict: Matrix = { data: Float32Array.from([1, 0, 0, 0, 0.04, 1, 0, 0, 0.06, 1, 0, 0, 0, 0, 0, 0]),
      rows: 4, cols: d };
    const { rows, excluded } = projectRows(dict, standardAxes(d), 1);
    expect(excluded).toBe(2); // 0.04 / |row| < 0.05, and the zero row
    expect(Array.from(rows.data)).toEqual([1, Math.fround(0.06)]);
  });

  it("finds the data's own directions: the principal axes of data in a known plane span that plane", () => {
    const rng = new Rng(3);
    const [n, d] = [400, 6];
    const data = new Float32Array(n * d);
    for (let r = 0; r < n; r++) { data[r * d + 1] = 3 * rng.normal(); data[r * d + 4] = rng.normal(); }
    const axes = principalAxes(data, n, d);
    const top = [0, 1].map((i) => Array.from(axes.directions.slice(i * d, (i + 1) * d)).map(Math.abs));
    expect(top[0]![1]).toBeCloseTo(1, 3); // the sample's own correlations tilt them a little
    expect(top[1]![4]).toBeCloseTo(1, 3);
  });
});
