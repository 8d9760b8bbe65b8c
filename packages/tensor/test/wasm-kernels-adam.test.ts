// Tests for the WebAssembly Adam kernel (src/backends/wasm/elementwise.ts) against a float64 Adam (torch.optim
// semantics).
import { describe, expect, it } from 'vitest';
import { adam } from '../src/backends/wasm/elementwise.js';
// The kernels are embedded in a generated (gitignored) file: the loader builds it if this checkout has not yet.
import { kernelPair } from './wasm-kernels-loader.js';
import { randArray } from './wasm-kernels-data.js';

const [k1, k2] = await kernelPair();

/** float64 Adam/AdamW step, torch.optim semantics. */
function adamRef(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, o: {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number;
}): void {
  for (let i = 0; i < p.length; i++) {
    let gi = g[i]!;
    if (o.decoupled) p[i] = p[i]! * (1 - o.lr * o.weightDecay);
    else if (o.weightDecay) gi += o.weightDecay * p[i]!;
    m[i] = o.beta1 * m[i]! + (1 - o.beta1) * gi;
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi;
    const bc1 = 1 - o.beta1 ** o.step, bc2 = 1 - o.beta2 ** o.step;
    p[i] = p[i]! - (o.lr / bc1) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + o.eps);
  }
}

describe('adam', () => {
  it('constant gradient: each of the first 3 steps moves by lr (hand-worked)', () => {
    // g = 0.5 every step: m_t/bc1 = 0.5 and v_t/bc2 = 0.25 exactly, so p_t = p_{t-1} - lr * 0.5 / (0.5 + eps).
    const p = new Float32Array([1, -2, 0.25, 3, 1, 1, 1]), g = new Float32Array(7).fill(0.5);
    const m = new Float32Array(7), v = new Float32Array(7);
    const traj: number[][] = [];
    for (let step = 1; step <= 3; step++) {
      adam(k1, p, g, m, v, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step });
      traj.push(Array.from(p));
    }
    const expected = [[0.9, -2.1, 0.15, 2.9], [0.8, -2.2, 0.05, 2.8], [0.7, -2.3, -0.05, 2.7]];
    for (let s = 0; s < 3; s++) for (let i = 0; i < 4; i++) expect(traj[s]![i]).toBeCloseTo(expected[s]![i]!, 6);
    expect(m[0]).toBeCloseTo(0.5 * (1 - 0.9 ** 3), 7);
    expect(v[0]).toBeCloseTo(0.25 * (1 - 0.999 ** 3), 9);
    expect(Array.from(g)).toEqual(new Array(7).fill(0.5)); // g is not modified
  });

  const variants = [['Adam', 0, false], ['Adam + L2 weight decay', 0.1, false], ['AdamW', 0.05, true]] as const;
  for (const [name, weightDecay, decoupled] of variants) {
    it(`${name}: 3-step trajectory matches float64`, () => {
      const n = 13; // SIMD body + scalar tail
      const p = randArray(n, 1, 2), m = new Float32Array(n), v = new Float32Array(n);
      const p64 = Float64Array.from(p), m64 = new Float64Array(n), v64 = new Float64Array(n);
      for (let step = 1; step <= 3; step++) {
        const g = randArray(n, 10 + step, 0.3);
        const o = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled, step };
        adam(k1, p, g, m, v, o);
        adamRef(p64, Float64Array.from(g), m64, v64, o);
        for (let i = 0; i < n; i++) {
          expect(Math.abs(p[i]! - p64[i]!), `p[${i}] step ${step}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(p64[i]!)));
          expect(Math.abs(m[i]! - m64[i]!)).toBeLessThan(1e-6 * Math.abs(m64[i]!) + 1e-8); // m can cancel to ~0
          expect(Math.abs(v[i]! - v64[i]!)).toBeLessThan(1e-5 * Math.abs(v64[i]!) + 1e-15);
        }
      }
    });
  }

  it('long vectors (crossing chunks) match the short-vector result', () => {
    const n = 70001;
    const p = randArray(n, 3), g = randArray(n, 4), m = randArray(n, 5, 0.1);
    const v = Float32Array.from(randArray(n, 6), (x) => x * x);
    const idx = [0, 1, 32767, 32768, 65536, 70000];
    const small = idx.map((i) => [p[i]!, g[i]!, m[i]!, v[i]!]);
    const o = { lr: 1e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, decoupled: true, step: 5 };
    adam(k2, p, g, m, v, o);
    for (let t = 0; t < idx.length; t++) {
      const [sp, sg, sm, sv] = small[t]!.map((x) => new Float32Array([x]));
      adam(k1, sp!, sg!, sm!, sv!, o);
      expect(p[idx[t]!]).toBe(sp![0]);
      expect(m[idx[t]!]).toBe(sm![0]);
      expect(v[idx[t]!]).toBe(sv![0]);
    }
  });
});
