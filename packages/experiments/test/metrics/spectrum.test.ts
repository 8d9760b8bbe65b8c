/**
 * The activations' PCA spectrum: exact on hand-built data, and a property: data confined to r
 * dimensions never needs more than r components, whatever the dimensions and the variances.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '@saelab/tensor';
import { activationSpectrum } from '../../src/metrics/spectrum.js';

/** `count` rows in `dim` dimensions: sum over the given orthonormal-ish axes of N(0, sd^2) coefficients. */
function inSubspace(count: number, dim: number, sds: number[], rng: Rng): Float32Array {
  // Axes: the first sds.length coordinate axes, rotated by a fixed Householder reflection so no axis is trivial.
  const v = Float64Array.from({ length: dim }, () => rng.normal());
  const norm = Math.hypot(...v);
  for (let i = 0; i < dim; i++) v[i]! /= norm;
  const axis = (a: number, i: number) => (a === i ? 1 : 0) - 2 * v[a]! * v[i]!; // (I - 2vv^T) e_a
  const out = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    for (let a = 0; a < sds.length; a++) {
      const c = sds[a]! * rng.normal();
      for (let i = 0; i < dim; i++) out[r * dim + i]! += c * axis(a, i);
    }
  }
  return out;
}

describe('activationSpectrum', () => {
  it('finds the variances of data built on known axes', () => {
    const sds = [3, 2, 1];
    const s = activationSpectrum(inSubspace(20_000, 8, sds, new Rng(1)), 20_000, 8);
    sds.forEach((sd, i) => expect(s.eigenvalues[i]!).toBeCloseTo(sd * sd, 0));
    expect(s.eigenvalues.slice(3).every((v) => v < 1e-6)).toBe(true);
    // 9 + 4 + 1 = 14: 90% needs the first two (13/14 = 0.93), 99% all three.
    expect(s.componentsFor).toEqual({ '0.9': 2, '0.99': 3, '0.999': 3 });
    expect(s.participationRatio).toBeCloseTo(14 * 14 / (81 + 16 + 1), 1);
  });

  it('counts every dimension of isotropic data', () => {
    const s = activationSpectrum(inSubspace(50_000, 6, [1, 1, 1, 1, 1, 1], new Rng(2)), 50_000, 6);
    expect(s.participationRatio).toBeGreaterThan(5.9);
    expect(s.componentsFor['0.999']).toBe(6);
  });

  it('never needs more components than the data has dimensions', () => {
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 10 }), fc.array(fc.double({ min: 0.1, max: 10, noNaN: true }),
        { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 1e6 }),
      (dim, sdsRaw, seed) => {
        const sds = sdsRaw.slice(0, dim);
        const s = activationSpectrum(inSubspace(300, dim, sds, new Rng(seed)), 300, dim);
        expect(s.componentsFor['0.999']).toBeLessThanOrEqual(sds.length);
        expect(s.participationRatio).toBeLessThanOrEqual(sds.length + 1e-6);
        expect(s.eigenvalues).toHaveLength(dim);
      },
    ), { numRuns: 60 });
  });

  it('rejects data that is not count rows of dim values', () => {
    expect(() => activationSpectrum(new Float32Array(7), 2, 4)).toThrow(/7 values are not 2 rows of 4/);
    expect(() => activationSpectrum(new Float32Array(4), 1, 4)).toThrow(/at least 2 rows/);
  });
});
