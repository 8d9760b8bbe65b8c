// The kernels that the helper thread shares (row-wise ops, reductions, Adam, scatterOuter): at sizes big enough to
// be shared, with operands in the kernels' memory (the only way the sharing runs), 2 threads give the bits that 1
// thread gives, the helper really took units, and column sums equal a plain float64 sum taken in row order.
import { describe, expect, it } from 'vitest';
import { adam } from '../src/backends/wasm/elementwise.js';
import { scatterOuter } from '../src/backends/wasm/indexing.js';
import { layerNorm, layerNormGrad, reduce, softmax, softmaxGrad } from '../src/backends/wasm/rows.js';

import { alloc, kernelPair, workerUnits, type Instance } from './wasm-kernels-loader.js';

const [k1, k2] = await kernelPair();

/** n deterministic values in [lo, hi). */
function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s / 4294967296) * (hi - lo);
  });
}

/** A copy of a living in k's memory. */
function resident(k: Instance, a: Float32Array): Float32Array {
  const r = alloc(k, a.length);
  r.set(a);
  return r;
}

/** Runs f on k1 and on k2 with resident copies of the inputs; returns both outputs as plain arrays. */
function both(inputs: Float32Array[], outLen: number,
  f: (k: Instance, xs: Float32Array[], out: Float32Array) => void): [Float32Array, Float32Array] {
  return [k1, k2].map((k) => {
    const out = alloc(k, outLen);
    f(k, inputs.map((x) => resident(k, x)), out);
    return Float32Array.from(out);
  }) as [Float32Array, Float32Array];
}

/** Runs fn (its checks included) until the helper thread has taken units in it, at most 20 times: a single call
 *  may legitimately be finished by the main thread alone, but the sharing must happen. */
function sharedBy(fn: () => void): void {
  const units = () => workerUnits(k2);
  const before = units();
  for (let i = 0; i < 20 && units() === before; i++) fn();
  expect(units(), 'the helper thread took no units in 20 tries').toBeGreaterThan(before);
}

describe('wasm kernels shared between threads', () => {
  it('layer norm and its gradient, softmax and its gradient: 1 and 2 threads agree bit for bit', () => {
    const [rows, d] = [5376, 128];
    const x = values(rows * d, 1, -3, 3), g = values(rows * d, 2);
    sharedBy(() => {
      const [a, b] = both([x], rows * d, (k, [xs], out) => layerNorm(k, xs!, rows, d, 1e-5, out));
      expect(b).toEqual(a);
      const [c, e] = both([x, g], rows * d, (k, [xs, gs], out) => layerNormGrad(k, xs!, gs!, rows, d, 1e-5, out));
      expect(e).toEqual(c);
      const [r, n] = [rows * 4, 21];
      const [s1, s2] = both([x.subarray(0, r * n)], r * n, (k, [xs], out) => softmax(k, xs!, r, n, out));
      expect(s2).toEqual(s1);
      const [t1, t2] = both([s1, g.subarray(0, r * n)], r * n,
        (k, [ys, gs], out) => softmaxGrad(k, ys!, gs!, r, n, out));
      expect(t2).toEqual(t1);
    });
  });

  it('column and row sums: 1 and 2 threads agree, and equal a float64 sum in row order, rounded once', () => {
    for (const [outer, n, inner] of [[1, 5376, 512], [1, 2560, 512], [3, 777, 533], [2, 5000, 1]] as const) {
      const a = values(outer * n * inner, outer + n + inner, -2, 2);
      const [s1, s2] = both([a], outer * inner, (k, [as], out) => reduce(k, 'sum', as!, out, outer, n, inner));
      expect(s2).toEqual(s1);
      const plain = new Float32Array(outer * inner);
      reduce(k1, 'sum', a, plain, outer, n, inner); // ordinary arrays: streamed through the arena in row groups
      expect(plain).toEqual(s1);
      for (let o = 0; o < outer; o++) {
        for (const j of [0, 1, 15, 16, inner - 1]) {
          if (j >= inner) continue;
          let s = 0; // a JavaScript number is a float64
          for (let i = 0; i < n; i++) s += a[(o * n + i) * inner + j]!;
          expect(s1[o * inner + j], `outer ${o} column ${j} of [${outer}, ${n}, ${inner}]`).toBe(Math.fround(s));
        }
      }
    }
    sharedBy(() => {
      const a = values(5376 * 512, 9);
      both([a], 512, (k, [as], out) => reduce(k, 'sum', as!, out, 1, 5376, 512));
    });
  });

  it('Adam over 263k parameters: 1 and 2 threads agree bit for bit', () => {
    const n = 263168;
    const o = { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 7 };
    const [p, g, m, v] = [values(n, 3), values(n, 4), values(n, 5, -0.1, 0.1), values(n, 6, 0, 0.01)];
    sharedBy(() => {
      const results = [k1, k2].map((k) => {
        const [rp, rg, rm, rv] = [p, g, m, v].map((a) => resident(k, a)) as
          [Float32Array, Float32Array, Float32Array, Float32Array];
        adam(k, rp, rg, rm, rv, o);
        return [rp, rm, rv].map((a) => Float32Array.from(a));
      });
      results[1]!.forEach((a, i) => expect(a).toEqual(results[0]![i]));
      const plain = [p, m, v].map((a) => Float32Array.from(a)) as [Float32Array, Float32Array, Float32Array];
      adam(k1, plain[0], g, plain[1], plain[2], o); // ordinary arrays, in chunks
      plain.forEach((a, i) => expect(a).toEqual(results[0]![i]));
    });
  });

  it('scatterOuter (the SAE\'s weight gradients): 1 and 2 threads agree bit for bit', () => {
    const [B, k, d, n] = [256, 32, 128, 1024];
    const idx = Float32Array.from({ length: B * k }, (_, i) => (i * 7919 + (i >> 5) * 31) % n);
    const a = values(B * k, 7), x = values(B * d, 8);
    sharedBy(() => {
      const [s1, s2] = both([a, x, idx], n * d,
        (kk, [as, xs, is], out) => scatterOuter(kk, as!, xs!, is!, B, k, d, n, out));
      expect(s2).toEqual(s1);
      // Against a direct scatter in (b, j) order.
      const direct = new Float32Array(n * d);
      for (let q = 0; q < B * k; q++) {
        const r = idx[q]!, b = Math.floor(q / k);
        for (let c = 0; c < d; c++) {
          direct[r * d + c] = Math.fround(direct[r * d + c]! + Math.fround(a[q]! * x[b * d + c]!));
        }
      }
      expect(s1).toEqual(direct);
    });
  });
});
