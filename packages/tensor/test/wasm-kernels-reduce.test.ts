// Tests for the WebAssembly reduce and topk kernels (src/backends/wasm/rows.ts) against naive JavaScript.
import { describe, expect, it } from 'vitest';
import { reduce, topk } from '../src/backends/wasm/rows.js';
// The kernels are embedded in a generated (gitignored) file: the loader builds it if this checkout has not yet.
import { kernelPair } from './wasm-kernels-loader.js';
import { lcg, randArray } from './wasm-kernels-data.js';

const [k1] = await kernelPair();

// ---- reduce --------------------------------------------------------------------------------------------------

describe('reduce', () => {
  const cases: [number, number, number][] = [
    [1, 1, 1], [1, 1000, 1], [3, 17, 1], [2, 5, 9], [4, 33, 17], [1, 4096, 64], [7, 3, 300], [2, 7, 4], [5, 2, 16],
    [3, 20000, 1], [100, 50, 20], [2, 9000, 5], [1, 0, 3],
  ];
  for (const [outer, n, inner] of cases) {
    it(`sum and max over the middle axis of [${outer}, ${n}, ${inner}]`, () => {
      const a = randArray(outer * n * inner, outer * 31 + n * 7 + inner, 10);
      const sum = new Float32Array(outer * inner), mx = new Float32Array(outer * inner);
      reduce(k1, 'sum', a, sum, outer, n, inner);
      reduce(k1, 'max', a, mx, outer, n, inner);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) {
          let s = 0, sa = 0, m = -Infinity;
          for (let i = 0; i < n; i++) {
            const v = a[(o * n + i) * inner + j]!;
            s += v; sa += Math.abs(v); m = Math.max(m, v);
          }
          const got = sum[o * inner + j]!;
          expect(Math.abs(got - s) <= 1e-7 * sa + 6e-8 * Math.abs(s), `sum [${o},${j}] ${got} vs ${s}`).toBe(true);
          expect(mx[o * inner + j]).toBe(m);
        }
      }
    });
  }
  it('max propagates NaN', () => {
    const a = new Float32Array([1, NaN, 3, 4, 5, 6, 7, 8, 9]);
    const out = new Float32Array(1);
    reduce(k1, 'max', a, out, 1, 9, 1);
    expect(out[0]).toBeNaN();
  });
});

// ---- topk ----------------------------------------------------------------------------------------------------

function refTopk(x: Float32Array, rows: number, n: number, k: number): { values: number[]; indices: number[] } {
  const values: number[] = [], indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: n }, (_, i) => i);
    const v = (i: number): number => x[r * n + i]!;
    idx.sort((i, j) => (v(i) === v(j) ? i - j : v(j) - v(i)));
    for (let t = 0; t < k; t++) { indices.push(idx[t]!); values.push(v(idx[t]!)); }
  }
  return { values, indices };
}

describe('topk', () => {
  const cases: [string, number, number, number, (i: number, r: () => number) => number][] = [
    ['random', 5, 300, 10, (_i, r) => r()],
    ['many ties', 6, 257, 17, (_i, r) => Math.floor((r() + 1) * 3)],
    ['all equal', 2, 50, 7, () => 1.5],
    ['k = n', 3, 33, 33, (_i, r) => Math.floor(r() * 4)],
    ['k = 1', 4, 100, 1, (_i, r) => Math.floor(r() * 4)],
    ['ascending (worst case)', 2, 4096, 256, (i) => i % 4096],
    ['descending', 2, 1000, 64, (i) => -(i % 1000)],
    ['wide', 8, 4096, 256, (_i, r) => r()],
    ['n = 1', 3, 1, 1, (_i, r) => r()],
    ['infinities and zeros', 2, 40, 12, (i) => [Infinity, -Infinity, 0, -0, 1][i % 5]!],
  ];
  for (const [name, rows, n, k, gen] of cases) {
    it(`${name}: rows=${rows} n=${n} k=${k}`, () => {
      const r = lcg(n * 13 + k);
      const x = Float32Array.from({ length: rows * n }, (_, i) => gen(i, r));
      const values = new Float32Array(rows * k), indices = new Float32Array(rows * k);
      topk(k1, x, rows, n, k, values, indices);
      const ref = refTopk(x, rows, n, k);
      expect(Array.from(indices)).toEqual(ref.indices);
      expect(Array.from(values)).toEqual(ref.values.map(Math.fround));
    });
  }
  it('rejects k > n', () => {
    expect(() => topk(k1, new Float32Array(4), 1, 4, 5, new Float32Array(5), new Float32Array(5))).toThrow(RangeError);
  });
});
