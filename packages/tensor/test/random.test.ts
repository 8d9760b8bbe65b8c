/** Seeded randomness: same seed, same numbers, bit for bit. */
import { describe, expect, it } from 'vitest';
import { kaimingUniform, normal, Rng, withBackend } from '../src/index.js';
import { backend, backendNames } from './helpers.js';

describe('Rng', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 20 }, () => a.uniform());
    expect(Array.from({ length: 20 }, () => b.uniform())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.uniform())).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws normals with mean 0 and variance 1', () => {
    const xs = new Rng(1).normalArray(20000);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    // Standard errors: 1/sqrt(n) = 0.007 for the mean, sqrt(2/n) = 0.01 for the variance.
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
  });

  it('makes permutations of 0..n-1 and integers in range', () => {
    const rng = new Rng('perm');
    const p = rng.permutation(50);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (let i = 0; i < 100; i++) {
      const k = rng.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
  });

  it('forks into independent, reproducible streams', () => {
    const x = new Rng(5).fork('init').uniform();
    expect(new Rng(5).fork('init').uniform()).toBe(x);
    expect(new Rng(5).fork('shuffle').uniform()).not.toBe(x);
  });
});

describe.each(backendNames())('initialisers on %s', (name) => {
  it('give bit-identical tensors for the same seed', async () => {
    const b = await backend(name);
    withBackend(b, () => {
      const a = normal([64, 32], new Rng(7), 0, 0.07).toArray();
      expect(normal([64, 32], new Rng(7), 0, 0.07).toArray()).toEqual(a);
      const k = Array.from(kaimingUniform([128, 1024], 128, new Rng(9)).toArray());
      const bound = Math.fround(Math.sqrt(6 / 128)); // U(-sqrt(6 / fan_in), sqrt(6 / fan_in)), stored in float32
      const hi = k.reduce((m, x) => Math.max(m, x), -Infinity);
      const lo = k.reduce((m, x) => Math.min(m, x), Infinity);
      expect(hi).toBeLessThanOrEqual(bound);
      expect(lo).toBeGreaterThanOrEqual(-bound);
      expect(hi).toBeGreaterThan(0.99 * bound);
    });
  });
});
