/** The rectangular assignment equals brute force on small problems and the padded square LAPJV on larger ones. */
import { describe, expect, it } from 'vitest';
import { linearAssignment } from '../../src/metrics/matching.js';
import { rectangularAssignment } from '../../src/metrics/rectangular.js';
import { Rng } from '@saelab/tensor';

const randomCost = (n: number, m: number, rng: Rng) => Float64Array.from({ length: n * m }, () => rng.uniform());
const total = (cost: Float64Array, m: number, a: Int32Array) => a.reduce((s, j, i) => s + cost[i * m + j]!, 0);

/** The optimum by trying every injective map of n rows into m columns. */
function bruteForce(cost: Float64Array, n: number, m: number): number {
  let best = Infinity;
  const used = new Array<boolean>(m).fill(false);
  const go = (i: number, sum: number) => {
    if (i === n) { best = Math.min(best, sum); return; }
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, sum + cost[i * m + j]!);
      used[j] = false;
    }
  };
  go(0, 0);
  return best;
}

/** The same problem padded to m x m with dummy rows of cost 1, solved by the square LAPJV (the former method). */
function padded(cost: Float64Array, n: number, m: number): Int32Array {
  const square = new Float64Array(m * m).fill(1);
  square.set(cost);
  return linearAssignment(square, m).slice(0, n);
}

describe('rectangularAssignment', () => {
  it('finds the optimum of every small problem, each row to a distinct column', () => {
    const rng = new Rng('rect-small');
    for (let t = 0; t < 40; t++) {
      const n = 1 + (t % 4);
      const m = n + (t % 3);
      const cost = randomCost(n, m, rng);
      const a = rectangularAssignment(cost, n, m);
      expect(new Set(a).size).toBe(n);
      expect(a.every((j) => j >= 0 && j < m)).toBe(true);
      expect(total(cost, m, a)).toBeCloseTo(bruteForce(cost, n, m), 12);
    }
  });

  it('gives the padded square LAPJV\'s assignment on larger random problems (a unique optimum)', () => {
    const rng = new Rng('rect-large');
    for (const [n, m] of [[30, 120], [64, 64], [100, 101], [7, 300]] as const) {
      const cost = randomCost(n, m, rng);
      expect(Array.from(rectangularAssignment(cost, n, m))).toEqual(Array.from(padded(cost, n, m)));
    }
  });

  it('handles ties and the empty problem, and names bad input', () => {
    expect(Array.from(rectangularAssignment(new Float64Array(6).fill(1), 2, 3)).sort()).toHaveLength(2);
    expect(rectangularAssignment(new Float64Array(0), 0, 4)).toHaveLength(0);
    expect(() => rectangularAssignment(new Float64Array(6), 3, 2)).toThrow(/n \(3\) <= m \(2\); transpose/);
    expect(() => rectangularAssignment(new Float64Array(5), 2, 3)).toThrow(/cost has 5 values; a 2 x 3 matrix/);
    expect(() => rectangularAssignment(Float64Array.from([0, NaN]), 1, 2)).toThrow(/cost\[0\]\[1\] is NaN/);
  });
});
