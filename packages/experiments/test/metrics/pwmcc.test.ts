/** PWMCC: hand-built values, the invariances the metric promises, and pairwise summaries. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '@saelab/tensor';
import {
  cosineMatrix, normalizeRows, pwmcc, pwmccFromCosine, pwmccMatrix, randomDictionary, summarisePairs, type Matrix,
} from '../../src/metrics/index.js';

/** A dictionary from nested rows: dict([[1, 0], [0, 1]]) is [2, 2]. */
function dict(rows: number[][]): Matrix {
  return { data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0]!.length };
}

/** Rows of the identity in R^d picked by `which`: basis(4, [2, 3]) = e3, e4. */
function basis(d: number, which: number[]): Matrix {
  return dict(which.map((k) => Array.from({ length: d }, (_, c) => (c === k ? 1 : 0))));
}

/** Applies f(row values, row index) to each row, returning a new dictionary. */
function mapRows(m: Matrix, f: (row: number[], r: number) => number[]): Matrix {
  const rows = Array.from({ length: m.rows }, (_, r) => f(Array.from(m.data.subarray(r * m.cols,
    (r + 1) * m.cols)), r));
  return dict(rows);
}

/** A [rows, cols] dictionary with entries in [-1, 1] whose rows are not (near) zero. */
const dictOf = (rows: number, cols: number): fc.Arbitrary<Matrix> =>
  fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: rows * cols, maxLength: rows * cols })
    .map((v) => mapRows({ data: Float32Array.from(v), rows, cols }, (row, r) => {
      const norm = Math.hypot(...row);
      return norm > 1e-3 ? row : row.map((_, c) => (c === r % cols ? 1 : 0)); // a tiny row becomes a basis vector
    }));

/** Dictionaries with 1-8 latents in R^1..R^6. */
const dictArb = fc.record({ rows: fc.integer({ min: 1, max: 8 }), cols: fc.integer({ min: 1, max: 6 }) })
  .chain(({ rows, cols }) => dictOf(rows, cols));

/** Two dictionaries in the same space, with possibly different latent counts. */
const pairArb = dictArb.chain((a) => fc.integer({ min: 1, max: 8 })
  .chain((rows) => dictOf(rows, a.cols).map((b) => ({ a, b }))));

const runs = { numRuns: 60 };

describe('cosineMatrix', () => {
  it('is |cos| of every pair of rows, [a.rows, b.rows], ignoring norms and signs', () => {
    const a = dict([[3, 0], [0, -2]]);
    const b = dict([[1, 1], [-5, 0], [0, 0]]);
    const c = cosineMatrix(a, b);
    expect(c.length).toBe(6);
    // Row 0 = e1: |cos| with (1,1)/sqrt2, -e1, and the zero row.
    expect(c[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(c[1]).toBe(1);
    expect(c[2]).toBe(0);
    expect(c[3]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(c[4]).toBe(0);
    expect(c[5]).toBe(0);
  });

  it('normalizeRows leaves zero rows at zero', () => {
    const n = normalizeRows(dict([[3, 4], [0, 0]]));
    expect(Array.from(n.data)).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
  });

  it('names a mismatched dIn or a wrong data length', () => {
    expect(() => cosineMatrix(basis(3, [0]), basis(4, [0]))).toThrow(/dIn differs \(3 vs 4\)/);
    expect(() => cosineMatrix({ data: new Float32Array(5), rows: 2, cols: 3 }, basis(3, [0])))
      .toThrow(/5 values.*needs 6/);
  });
});

describe('pwmcc: hand-built values', () => {
  it('is exactly 1 for the identity against a permutation of it', () => {
    expect(pwmcc(basis(4, [0, 1, 2, 3]), basis(4, [2, 0, 3, 1]))).toBe(1);
  });

  it('is exactly 0 for orthogonal sets (e1, e2 vs e3, e4)', () => {
    expect(pwmcc(basis(4, [0, 1]), basis(4, [2, 3]))).toBe(0);
  });

  it('is 1/sqrt(2) for a basis against the same basis turned by 45 degrees', () => {
    // Every |cos| is cos(45 deg) = 1/sqrt2, so every max and both means are 1/sqrt2.
    expect(pwmcc(dict([[1, 0], [0, 1]]), dict([[1, 1], [1, -1]]))).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('averages the two directions of an asymmetric case', () => {
    // a = {e1, e2}, b = {e1}: rows of a reach max 1 and 0 (mean 1/2); the column reaches 1. (1/2 + 1) / 2.
    expect(pwmcc(basis(3, [0, 1]), basis(3, [0]))).toBe(0.75);
    expect(pwmccFromCosine([1, 0.2, 0.3, 0.4], 2, 2)).toBeCloseTo((1 + 0.4 + 1 + 0.4) / 4, 12);
  });
});

describe('pwmcc: properties', () => {
  it('is symmetric', () => {
    fc.assert(fc.property(pairArb, ({ a, b }) => {
      expect(pwmcc(a, b)).toBeCloseTo(pwmcc(b, a), 6);
    }), runs);
  });

  it('lies in [0, 1]', () => {
    fc.assert(fc.property(pairArb, ({ a, b }) => {
      const v = pwmcc(a, b);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }), runs);
  });

  it('is 1 for identical dictionaries (to float32 rounding)', () => {
    fc.assert(fc.property(dictArb, (a) => {
      expect(pwmcc(a, a)).toBeCloseTo(1, 6);
    }), runs);
  });

  it('does not change when latents are reordered, sign-flipped or rescaled', () => {
    const transform = fc.record({
      seed: fc.integer({ min: 0, max: 1_000_000 }),
      scales: fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 8, maxLength: 8 }),
      flips: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    });
    fc.assert(fc.property(pairArb, transform, ({ a, b }, { seed, scales, flips }) => {
      const perm = new Rng(seed).permutation(b.rows);
      const moved = mapRows(b, (_, r) => {
        const src = perm[r]!;
        const row = Array.from(b.data.subarray(src * b.cols, (src + 1) * b.cols));
        return row.map((v) => v * scales[r]! * (flips[r] ? -1 : 1));
      });
      expect(pwmcc(a, moved)).toBeCloseTo(pwmcc(a, b), 5);
    }), runs);
  });
});

describe('pwmccMatrix and summarisePairs', () => {
  it('builds a symmetric matrix with 1 on the diagonal', () => {
    const rng = new Rng(3);
    const dicts = [0, 1, 2].map(() => randomDictionary(16, 8, rng));
    const m = pwmccMatrix(dicts);
    expect(m.map((row, i) => row[i])).toEqual([1, 1, 1]);
    expect(m[0]![1]).toBe(m[1]![0]);
    expect(m[1]![2]).toBeCloseTo(pwmcc(dicts[1]!, dicts[2]!), 12);
  });

  it('names the pair whose shapes disagree', () => {
    expect(() => pwmccMatrix([basis(3, [0]), basis(3, [1]), basis(4, [0])]))
      .toThrow(/dictionaries 0 and 2: .*dIn differs/);
  });

  it('summarises the upper triangle with a population std', () => {
    const m = [
      [1, 0.2, 0.4, 0.6],
      [0.2, 1, 0.3, 0.5],
      [0.4, 0.3, 1, 0.9],
      [0.6, 0.5, 0.9, 1],
    ];
    const s = summarisePairs(m);
    expect(s.pairs.map((p) => [p.i, p.j, p.value])).toEqual([[0, 1, 0.2], [0, 2, 0.4], [0, 3, 0.6], [1, 2, 0.3],
      [1, 3, 0.5], [2, 3, 0.9]]);
    // Values 0.2 0.3 0.4 0.5 0.6 0.9: mean 2.9/6. Sum of squares 1.71, so the sum of squared
    // deviations is 1.71 - 2.9^2/6 = 1.85/6 and the population variance 1.85/36: std sqrt(1.85)/6.
    expect(s.mean).toBeCloseTo(2.9 / 6, 12);
    expect(s.std).toBeCloseTo(Math.sqrt(1.85) / 6, 12);
    expect([s.min, s.max]).toEqual([0.2, 0.9]);
    expect(s.median).toBeCloseTo(0.45, 12);
  });

  it('refuses a matrix with no pairs', () => {
    expect(() => summarisePairs([[1]])).toThrow(/no pairs/);
  });
});
