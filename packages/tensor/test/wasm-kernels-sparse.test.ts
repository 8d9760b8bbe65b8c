// Tests for the WebAssembly indexing kernels (assembly/sparse.ts through src/backends/wasm/indexing.ts) against
// plain JavaScript definitions that round to float32 (Math.fround) after every operation, in the kernels' order:
// outputs must match bit for bit, on 1 thread and on 2, and a bad index must be reported at its exact position.
import { describe, expect, it } from 'vitest';
import {
  gatherCombine, gatherDot, gatherLast, gatherRows, scatterAddRows, scatterLast, scatterOuter,
} from '../src/backends/wasm/indexing.js';
// The kernels are embedded in a generated (gitignored) file: the loader builds it if this checkout has not yet.
import { kernelPair } from './wasm-kernels-loader.js';
import { firstDiff, lcg, randArray } from './wasm-kernels-data.js';

const f = Math.fround;
const [k1, k2] = await kernelPair();
const kernels = [['1 thread', k1], ['2 threads', k2]] as const;

/** count indices in [0, n), seeded (repeats allowed, and likely where count > n). */
function randIndex(count: number, n: number, seed: number): Float32Array {
  const r = lcg(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.min(n - 1, Math.floor(((r() + 1) / 2) * n));
  return out;
}

/** x . y over d floats in dot()'s order: four 4-lane accumulators over 16-float chunks, 4-float chunks into the
 *  first, lanes combined as ((a0 + a1) + (a2 + a3)) then (l0 + l2) + (l1 + l3), then the scalar tail. */
function refDot(x: Float32Array, xo: number, y: Float32Array, yo: number, d: number): number {
  const a = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
  let c = 0;
  for (; c + 16 <= d; c += 16) {
    for (let q = 0; q < 4; q++) {
      for (let l = 0; l < 4; l++) {
        const i = c + 4 * q + l;
        a[q]![l] = f(a[q]![l]! + f(x[xo + i]! * y[yo + i]!));
      }
    }
  }
  for (; c + 4 <= d; c += 4) {
    for (let l = 0; l < 4; l++) a[0]![l] = f(a[0]![l]! + f(x[xo + c + l]! * y[yo + c + l]!));
  }
  const v = [0, 1, 2, 3].map((l) => f(f(a[0]![l]! + a[1]![l]!) + f(a[2]![l]! + a[3]![l]!)));
  let s = f(f(v[0]! + v[2]!) + f(v[1]! + v[3]!));
  for (; c < d; c++) s = f(s + f(x[xo + c]! * y[yo + c]!));
  return s;
}

function refGatherDot(x: Float32Array, w: Float32Array, idx: Float32Array, B: number, k: number,
  d: number): Float32Array {
  const out = new Float32Array(B * k);
  for (let b = 0; b < B; b++) for (let j = 0; j < k; j++) out[b * k + j] = refDot(x, b * d, w, idx[b * k + j]! * d, d);
  return out;
}

function refGatherCombine(v: Float32Array, w: Float32Array, idx: Float32Array, B: number, k: number,
  d: number): Float32Array {
  const out = new Float32Array(B * d);
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let j = 0; j < k; j++) s = f(s + f(v[b * k + j]! * w[idx[b * k + j]! * d + c]!));
      out[b * d + c] = s;
    }
  }
  return out;
}

/** Each output element sums its contributions in (b, j) order, from 0. */
function refScatterOuter(a: Float32Array, x: Float32Array, idx: Float32Array, B: number, k: number, d: number,
  n: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < k; j++) {
      const r = idx[b * k + j]!;
      for (let c = 0; c < d; c++) out[r * d + c] = f(out[r * d + c]! + f(a[b * k + j]! * x[b * d + c]!));
    }
  }
  return out;
}

function expectBits(got: Float32Array, want: Float32Array, label: string): void {
  const at = firstDiff(got, want);
  expect(at, `${label}: element ${at} is ${got[at]}, expected ${want[at]}`).toBe(-1);
}

// [B, k, d, n]: the SAE step's shape (shared between threads), one more shared one with every size odd, then
// d not a multiple of 16 or 4, k = 1, B = 1, and tiny ones.
const SHAPES: [number, number, number, number][] = [
  [256, 32, 128, 1024], [130, 33, 67, 301], [7, 5, 19, 11], [9, 3, 20, 40], [5, 1, 36, 3], [1, 7, 33, 50],
  [1, 1, 1, 1], [3, 4, 4, 2], [2, 6, 130, 5], [4, 32, 128, 64],
];

describe('sparse products', () => {
  for (const [B, k, d, n] of SHAPES) {
    it(`B=${B} k=${k} d=${d} n=${n}`, () => {
      const seed = B * 7 + k * 13 + d * 17 + n;
      const x = randArray(B * d, seed), w = randArray(n * d, seed + 1), v = randArray(B * k, seed + 2);
      const idx = randIndex(B * k, n, seed + 3);
      if (idx.length > 2) idx[1] = -0; // -0 is accepted, as 0
      const want = {
        dot: refGatherDot(x, w, idx, B, k, d),
        combine: refGatherCombine(v, w, idx, B, k, d),
        outer: refScatterOuter(v, x, idx, B, k, d, n),
      };
      for (const [name, inst] of kernels) {
        const label = `${name} B=${B} k=${k} d=${d} n=${n}`;
        const dot = new Float32Array(B * k).fill(NaN);
        gatherDot(inst, x, w, idx, B, k, d, n, dot);
        expectBits(dot, want.dot, `gatherDot ${label}`);
        const comb = new Float32Array(B * d).fill(NaN);
        gatherCombine(inst, v, w, idx, B, k, d, n, comb);
        expectBits(comb, want.combine, `gatherCombine ${label}`);
        const outer = new Float32Array(n * d).fill(NaN);
        scatterOuter(inst, v, x, idx, B, k, d, n, outer);
        expectBits(outer, want.outer, `scatterOuter ${label}`);
      }
    });
  }
});

describe('row and column gathers and scatters', () => {
  // [count, cols, rows]: the SAE's bias lookups (8,192 indices into 1,024 rows), short and odd ones.
  const CASES: [number, number, number][] = [[8192, 1, 1024], [8192, 3, 1024], [37, 16, 5], [13, 21, 4], [1, 1, 1],
    [9, 7, 100]];
  for (const [count, cols, rows] of CASES) {
    it(`count=${count} cols=${cols} rows=${rows}`, () => {
      const seed = count + cols * 3 + rows * 5;
      const table = randArray(rows * cols, seed), src = randArray(count * cols, seed + 1);
      const idx = randIndex(count, rows, seed + 2);
      const gathered = new Float32Array(count * cols), added = new Float32Array(rows * cols);
      for (let i = 0; i < count; i++) {
        for (let c = 0; c < cols; c++) {
          gathered[i * cols + c] = table[idx[i]! * cols + c]!;
          added[idx[i]! * cols + c] = f(added[idx[i]! * cols + c]! + src[i * cols + c]!);
        }
      }
      for (const [name, inst] of kernels) {
        const g = new Float32Array(count * cols).fill(NaN);
        gatherRows(inst, table, rows, cols, idx, count, g);
        expectBits(g, gathered, `gatherRows ${name}`);
        const s = new Float32Array(rows * cols).fill(NaN);
        scatterAddRows(inst, src, count, cols, idx, rows, s);
        expectBits(s, added, `scatterAddRows ${name}`);
      }
    });
  }
  // [outer, n, k]: the SAE's [256, 1024] pre-activations with k = 32, and odd ones.
  const LAST: [number, number, number][] = [[256, 1024, 32], [3, 10, 7], [5, 3, 1], [1, 1, 1], [2, 9, 13]];
  for (const [outer, n, k] of LAST) {
    it(`gatherLast / scatterLast outer=${outer} n=${n} k=${k}`, () => {
      const seed = outer * 11 + n + k;
      const x = randArray(outer * n, seed), src = randArray(outer * k, seed + 1);
      const idx = randIndex(outer * k, n, seed + 2);
      const gathered = new Float32Array(outer * k), added = new Float32Array(outer * n);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < k; j++) {
          const q = o * k + j, p = o * n + idx[q]!;
          gathered[q] = x[p]!;
          added[p] = f(added[p]! + src[q]!);
        }
      }
      for (const [name, inst] of kernels) {
        const g = new Float32Array(outer * k).fill(NaN);
        gatherLast(inst, x, outer, n, idx, k, g);
        expectBits(g, gathered, `gatherLast ${name}`);
        const s = new Float32Array(outer * n).fill(NaN);
        scatterLast(inst, src, outer, k, idx, n, s);
        expectBits(s, added, `scatterLast ${name}`);
      }
    });
  }
});

describe('index checks', () => {
  const limit = 50;
  const BAD = [NaN, -1, limit, 2.5, Infinity, -Infinity, -0.5, limit + 0.5, 1e10, 49.999];
  // Counts: a multiple of 8, one with a tail of 5, one shorter than a group; positions at the start, in the middle
  // of a vector, at a group's last lane, just past a group, and in the tail.
  const COUNTS = [64, 45, 5];
  for (const count of COUNTS) {
    for (const bad of BAD) {
      it(`count=${count}: index ${bad}`, () => {
        const positions = [...new Set([0, 1, 2, 3, 5, 7, 8, 13, 17, 31, count - 5, count - 2, count - 1])]
          .filter((p) => p >= 0 && p < count);
        for (const [at, later] of positions.flatMap((p) => [[p, false], [p, true]] as const)) {
          const idx = randIndex(count, limit, count + at);
          idx[at] = bad;
          if (later && at + 1 < count) idx[at + 1] = NaN; // a later bad one must not be the one named
          if (later && at + 3 < count) idx[at + 3] = -7;
          if (later && at + 9 < count) idx[at + 9] = 0.5;
          const src = randArray(count, at), out = new Float32Array(count);
          for (const [name, inst] of kernels) {
            expect(() => gatherRows(inst, randArray(limit, 1), limit, 1, idx, count, out), `${name} at ${at}`)
              .toThrow(`gatherRows: index ${f(bad)} is out of range [0, ${limit})`);
            expect(() => scatterAddRows(inst, src, count, 1, idx, limit, out), `${name} at ${at}`)
              .toThrow(`scatterAddRows: index ${f(bad)} is out of range [0, ${limit})`);
          }
        }
      });
    }
  }

  it('accepts every integer in [0, limit), and -0 as 0, at every position of a group', () => {
    const count = 8 * 9 + 3;
    const table = randArray(limit, 2);
    for (const [name, inst] of kernels) {
      for (let at = 0; at < count; at++) {
        const idx = randIndex(count, limit, at);
        idx[at] = at % 3 === 0 ? -0 : at % 3 === 1 ? limit - 1 : 0;
        const out = new Float32Array(count);
        gatherRows(inst, table, limit, 1, idx, count, out);
        const want = Float32Array.from(idx, (i) => table[i === 0 ? 0 : i]!);
        expectBits(out, want, `${name} at ${at}`);
      }
    }
  });

  it('names the first bad index in the sparse products too', () => {
    const [B, k, d, n] = [256, 32, 128, 1024];
    const x = randArray(B * d, 1), w = randArray(n * d, 2), v = randArray(B * k, 3);
    for (const at of [0, 4099, B * k - 1]) {
      const idx = randIndex(B * k, n, at);
      idx[at] = n;
      for (const [, inst] of kernels) {
        expect(() => gatherDot(inst, x, w, idx, B, k, d, n, new Float32Array(B * k)))
          .toThrow(`gatherDot: index ${n} is out of range [0, ${n})`);
        expect(() => gatherCombine(inst, v, w, idx, B, k, d, n, new Float32Array(B * d)))
          .toThrow(`gatherCombine: index ${n} is out of range [0, ${n})`);
        expect(() => scatterOuter(inst, v, x, idx, B, k, d, n, new Float32Array(n * d)))
          .toThrow(`scatterOuter: index ${n} is out of range [0, ${n})`);
      }
    }
  });
});
