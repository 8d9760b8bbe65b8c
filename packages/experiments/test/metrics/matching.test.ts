/** LAPJV against brute force and a plain Kuhn-Munkres; Hungarian matching and the shared fraction. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '@saelab/tensor';
import { cosineMatrix, hungarianMatch, linearAssignment, randomDictionary, sharedFraction,
  type Matrix } from '../../src/metrics/index.js';

function totalCost(cost: ArrayLike<number>, n: number, assignment: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += cost[i * n + assignment[i]!]!;
  return s;
}

function expectPermutation(assignment: Int32Array, n: number): void {
  expect(assignment.length).toBe(n);
  expect([...assignment].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
}

/** The minimum total cost over all n! assignments, enumerated by recursive swaps. */
function bruteForceMin(cost: ArrayLike<number>, n: number): number {
  const perm = Array.from({ length: n }, (_, i) => i);
  let best = Infinity;
  const visit = (k: number): void => {
    if (k === n) {
      best = Math.min(best, totalCost(cost, n, perm));
      return;
    }
    for (let i = k; i < n; i++) {
      [perm[k], perm[i]] = [perm[i]!, perm[k]!];
      visit(k + 1);
      [perm[k], perm[i]] = [perm[i]!, perm[k]!];
    }
  };
  visit(0);
  return best;
}

/**
 * The textbook O(n^3) Hungarian (Kuhn-Munkres) method with row and column potentials u, v:
 * rows are added one at a time, each along a shortest alternating path (the e-maxx formulation).
 * Independent of LAPJV's reductions, so it is a fair referee.
 */
function kuhnMunkres(cost: ArrayLike<number>, n: number): Int32Array {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1); // p[j] = row (1-based) assigned to column j; column 0 is a sentinel
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[(i0 - 1) * n + (j - 1)]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Int32Array(n);
  for (let j = 1; j <= n; j++) assignment[p[j]! - 1] = j - 1;
  return assignment;
}

describe('linearAssignment', () => {
  it('solves a hand-checked 3 x 3 case', () => {
    // Rows pick (0->1: 1), (1->0: 2), (2->2: 2) for a total of 5; every other permutation costs more.
    const cost = Float64Array.from([4, 1, 3, 2, 0, 5, 3, 2, 2]);
    const x = linearAssignment(cost, 3);
    expect(totalCost(cost, 3, x)).toBe(5);
    expect(bruteForceMin(cost, 3)).toBe(5);
  });

  it('handles n = 0 and n = 1, and names bad input', () => {
    expect(linearAssignment(new Float64Array(0), 0).length).toBe(0);
    expect(Array.from(linearAssignment(Float64Array.of(7), 1))).toEqual([0]);
    expect(() => linearAssignment(new Float64Array(5), 2)).toThrow(/5 values; a square 2 x 2 matrix needs 4/);
    expect(() => linearAssignment(Float64Array.of(0, NaN, 1, 2), 2)).toThrow(/cost\[0\]\[1\] is NaN/);
  });

  it('matches brute force over all permutations for n <= 7 (random, tied and integer costs)', () => {
    const value = fc.oneof(
      fc.double({ min: -10, max: 10, noNaN: true }),
      fc.integer({ min: 0, max: 3 }),
      fc.constant(1),
    );
    const problem = fc.integer({ min: 1, max: 7 }).chain((n) =>
      fc.array(value, { minLength: n * n, maxLength: n * n }).map((c) => ({ n, cost: Float64Array.from(c) })));
    fc.assert(fc.property(problem, ({ n, cost }) => {
      const x = linearAssignment(cost, n);
      expectPermutation(x, n);
      expect(totalCost(cost, n, x)).toBeCloseTo(bruteForceMin(cost, n), 9);
    }), { numRuns: 300 });
  });

  it('matches Kuhn-Munkres up to n = 60 on random, degenerate and integer costs', () => {
    const rng = new Rng('lap-vs-km');
    const filled = (n: number, draw: () => number): Float64Array => Float64Array.from({ length: n * n }, draw);
    const kinds: Record<string, (n: number) => Float64Array> = {
      uniform: (n) => filled(n, () => rng.uniform()),
      allEqual: (n) => filled(n, () => 0.5),
      fewValues: (n) => filled(n, () => rng.int(3)),
      integer: (n) => filled(n, () => rng.int(100)),
      largeOffset: (n) => filled(n, () => 1e6 + rng.uniform()),
      negative: (n) => filled(n, () => -50 * rng.uniform()),
      // c[i][j] = a_i b_j: every permutation's cost lies close together, a classic hard case.
      rankOne: (n) => {
        const a = rng.uniformArray(n);
        const b = rng.uniformArray(n);
        return Float64Array.from({ length: n * n }, (_, k) => a[Math.floor(k / n)]! * b[k % n]!);
      },
    };
    for (const [kind, make] of Object.entries(kinds)) {
      for (const n of [2, 5, 13, 31, 60]) {
        const cost = make(n);
        const x = linearAssignment(cost, n);
        expectPermutation(x, n);
        const best = totalCost(cost, n, kuhnMunkres(cost, n));
        expect(totalCost(cost, n, x), `${kind}, n = ${n}`).toBeCloseTo(best, 6);
      }
    }
  });

  it('accepts Float32Array costs', () => {
    const cost = Float32Array.from([0.9, 0.1, 0.2, 0.8]);
    expect(Array.from(linearAssignment(cost, 2))).toEqual([1, 0]);
  });
});

/** b = a with rows permuted (b[perm[i]] = a[i]), some negated and rescaled. */
function scrambled(a: Matrix, rng: Rng): { b: Matrix; perm: number[] } {
  const perm = rng.permutation(a.rows);
  const data = new Float32Array(a.data.length);
  for (let i = 0; i < a.rows; i++) {
    const factor = (rng.uniform() < 0.5 ? -1 : 1) * (0.5 + rng.uniform());
    for (let c = 0; c < a.cols; c++) data[perm[i]! * a.cols + c] = a.data[i * a.cols + c]! * factor;
  }
  return { b: { data, rows: a.rows, cols: a.cols }, perm };
}

describe('hungarianMatch', () => {
  it('recovers a permutation of the same dictionary despite sign flips and scaling', () => {
    const rng = new Rng(11);
    const a = randomDictionary(40, 16, rng);
    const { b, perm } = scrambled(a, rng);
    const m = hungarianMatch(a, b);
    expect(Array.from(m.assignment)).toEqual(perm);
    expect(m.meanMatchedCosine).toBeCloseTo(1, 5);
  });

  it('beats the identity pairing but not each row\'s unconstrained best', () => {
    const rng = new Rng(12);
    const a = randomDictionary(50, 8, rng);
    const b = randomDictionary(50, 8, rng);
    const m = hungarianMatch(a, b);
    expectPermutation(m.assignment, 50);
    const cos = cosineMatrix(a, b);
    let diagonal = 0;
    let rowMax = 0;
    for (let i = 0; i < 50; i++) {
      diagonal += cos[i * 50 + i]! / 50;
      rowMax += Math.max(...cos.subarray(i * 50, (i + 1) * 50)) / 50;
    }
    expect(m.meanMatchedCosine).toBeGreaterThanOrEqual(diagonal);
    expect(m.meanMatchedCosine).toBeLessThanOrEqual(rowMax + 1e-12);
  });

  it('refuses different latent counts', () => {
    const rng = new Rng(13);
    expect(() => hungarianMatch(randomDictionary(4, 3, rng), randomDictionary(5, 3, rng)))
      .toThrow(/equal latent counts, got 4 and 5/);
  });
});

describe('sharedFraction', () => {
  const rng = new Rng(21);
  const dec = randomDictionary(32, 64, rng);
  const enc = randomDictionary(32, 64, rng);

  it('is 1 for the same SAE with its latents reordered', () => {
    const perm = rng.permutation(32);
    const reorder = (m: Matrix): Matrix => {
      const data = new Float32Array(m.data.length);
      perm.forEach((to, from) => data.set(m.data.subarray(from * 64, (from + 1) * 64), to * 64));
      return { data, rows: 32, cols: 64 };
    };
    expect(sharedFraction(dec, reorder(dec), enc, reorder(enc))).toBe(1);
  });

  it('counts only latents that agree on BOTH encoder and decoder', () => {
    // Replace the encoders of latents 0..15 by random ones: their decoders still match (cos 1),
    // but a random encoder in R^64 has |cos| > 0.7 with probability ~1e-8.
    const encB = { data: enc.data.slice(), rows: 32, cols: 64 };
    encB.data.set(randomDictionary(16, 64, rng).data, 0);
    expect(sharedFraction(dec, dec, enc, encB)).toBe(0.5);
  });

  it('treats a joint sign flip as the same latent, and a decoder-only flip as a different one', () => {
    const neg = (m: Matrix): Matrix => ({ data: m.data.map((v) => -v), rows: m.rows, cols: m.cols });
    expect(sharedFraction(dec, neg(dec), enc, neg(enc))).toBe(1);
    expect(sharedFraction(dec, neg(dec), enc, enc)).toBe(0);
  });

  it('respects the threshold', () => {
    const encB = { data: enc.data.slice(), rows: 32, cols: 64 };
    expect(sharedFraction(dec, dec, enc, encB, 0.999)).toBe(1);
    expect(sharedFraction(dec, randomDictionary(32, 64, rng), enc, enc)).toBe(0);
  });

  it('names an encoder that is not in the decoder\'s layout', () => {
    const wrong = randomDictionary(64, 32, rng);
    expect(() => sharedFraction(dec, dec, wrong, wrong))
      .toThrow(/encoder A shape \[64, 32\] must match decoder A shape \[32, 64\]/);
  });
});
