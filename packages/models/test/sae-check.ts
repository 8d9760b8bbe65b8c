/**
 * Helpers for the SAE architectures' tests: float64 gradient checks against finite differences of a dense
 * reference (as the transformer's test does), and closeness.
 */
import { expect } from 'vitest';
import { loadBackend, noGrad, Rng, tensor, type Backend, type Tensor } from '@saelab/tensor';

export const float64 = (): Promise<Backend> => loadBackend('reference64');

/** Every entry of a and b within atol + rtol |b|. */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-6, rtol = 1e-5, what = ''): void {
  expect(a.length, `${what} length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(Math.abs(a[i]! - b[i]!), `${what}[${i}]: ${a[i]} vs ${b[i]}`)
      .toBeLessThanOrEqual(atol + rtol * Math.abs(b[i]!));
  }
}

/**
 * Checks each parameter's gradient (already accumulated by a backward pass) against central differences of
 * `reference()`, a dense loss written from the paper that reads the same parameters: `samples` entries of each,
 * or all of them for a small one. Run it on the float64 backend.
 */
export function checkGradients(params: [string, Tensor][], reference: () => number, samples = 6,
  h = 1e-6, tol = 1e-6): number {
  const rng = new Rng(17);
  let checked = 0;
  for (const [name, p] of params) {
    const analytic = Array.from(p.grad!.toArray());
    const entries = p.size <= samples ? [...Array(p.size).keys()]
      : Array.from({ length: samples }, () => rng.int(p.size));
    for (const i of entries) {
      const orig = Array.from(p.toArray());
      const at = (delta: number) => {
        const v = [...orig];
        v[i]! += delta;
        noGrad(() => p.assign(tensor(v, p.shape, p.backend)));
        return reference();
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      noGrad(() => p.assign(tensor(orig, p.shape, p.backend)));
      expect(Math.abs(analytic[i]! - numeric), `${name}[${i}]: ${analytic[i]} vs ${numeric}`)
        .toBeLessThan(tol + 1e-5 * Math.abs(numeric));
      checked++;
    }
  }
  return checked;
}

/** Sets parameters from nested arrays, off the tape. */
export function setParams(values: [Tensor, number[] | number[][]][]): void {
  noGrad(() => {
    for (const [p, v] of values) p.assign(tensor(v.flat(), p.shape, p.backend));
  });
}

/** Row norms of a [n, d] tensor. */
export function rowNorms(t: Tensor): number[] {
  const [n, d] = t.shape as [number, number];
  const v = t.toArray();
  return Array.from({ length: n }, (_, r) => Math.hypot(...Array.from(v.slice(r * d, (r + 1) * d))));
}
