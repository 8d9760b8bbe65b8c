// The wasm kernels' fast paths, each against a float64 or plain JavaScript statement of the same thing:
// the vector GELU, top-k's threshold path (and its fallback for NaN), top-k and the sparse products shared
// between threads, the unpacked small-matmul path across thread counts, and the axis merging behind the
// strided copies.
import { describe, expect, it } from 'vitest';
import { geluGrad, unary } from '../src/backends/wasm/elementwise.js';
import { matmul } from '../src/backends/wasm/gemm.js';
import { gatherCombine, gatherDot } from '../src/backends/wasm/indexing.js';
import { topk } from '../src/backends/wasm/rows.js';
import { erf } from '../src/math.js';
import { permutePlan, planStrided } from '../src/backends/wasm/strided.js';

import { alloc, kernelPair } from './wasm-kernels-loader.js';

const [k1, k2] = await kernelPair();

/** Deterministic values in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  };
}

// ---- GELU ----------------------------------------------------------------------------------------------------

/** erfc(z), z >= 0, in float64 without cancellation: 1 - erf near 0, the continued fraction beyond. */
function erfc64(z: number): number {
  if (z < 0.5) return 1 - erf(z);
  let t = z;
  for (let n = 200; n >= 1; n--) t = z + n / 2 / t;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / t;
}
const phi64 = (x: number): number => (x < 0 ? 0.5 * erfc64(-x / Math.SQRT2) : 1 - 0.5 * erfc64(x / Math.SQRT2));
const gelu64 = (x: number): number => x * phi64(x);
const geluDeriv64 = (x: number): number => phi64(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);

describe('gelu', () => {
  const xs = Float32Array.from({ length: 200001 }, (_, i) => -14 + (28 * i) / 200000);
  for (const [op, f] of [['gelu', gelu64], ['geluDeriv', geluDeriv64]] as const) {
    it(`${op} is within 8 float32 ulps of float64 where it matters, and relatively close in the far tail`, () => {
      const out = new Float32Array(xs.length);
      unary(k1, op, xs, out);
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i]!, ref = f(x), err = Math.abs(out[i]! - ref);
        // Near 0 (and geluDeriv's root near -0.75) count ulps of 0.25 rather than of a vanishing value.
        const ok = Math.abs(x) < 9
          ? err <= 8 * 2 ** -23 * Math.max(Math.abs(ref), 0.25)
          : err <= 1e-4 * Math.abs(ref) + 1e-37;
        if (!ok) expect.fail(`${op}(${x}) = ${out[i]} vs ${ref}`);
      }
    });
  }

  it('long arrays shared between threads give the single-threaded bits', () => {
    const r = lcg(5);
    const x = Float32Array.from({ length: 300_001 }, () => 6 * r()), g = Float32Array.from({ length: 300_001 }, r);
    for (const op of ['gelu', 'geluDeriv', 'exp', 'erf'] as const) {
      const o1 = new Float32Array(x.length), o2 = new Float32Array(x.length);
      unary(k1, op, x, o1);
      unary(k2, op, x, o2);
      expect(o1.every((v, i) => Object.is(v, o2[i])), op).toBe(true);
    }
    const b1 = new Float32Array(x.length), b2 = new Float32Array(x.length);
    geluGrad(k1, x, g, b1);
    geluGrad(k2, x, g, b2);
    expect(b1.every((v, i) => Object.is(v, b2[i]))).toBe(true);
  });

  it('handles specials and tails of length 1 to 3 identically to full vectors', () => {
    const special = new Float32Array([0, -0, Infinity, -Infinity, NaN, -100, 100, 1e-30]);
    const out = new Float32Array(special.length);
    unary(k1, 'gelu', special, out);
    expect(Array.from(out.subarray(0, 4))).toEqual([0, -0, Infinity, NaN]);
    expect(out[4]).toBeNaN();
    expect(Array.from(out.subarray(5, 7))).toEqual([-0, 100]);
    expect(out[7]! / 0.5e-30).toBeCloseTo(1, 6);
    const x = Float32Array.from({ length: 11 }, (_, i) => -3 + i * 0.7);
    const whole = new Float32Array(11);
    unary(k1, 'geluDeriv', x, whole);
    for (let n = 1; n <= 11; n++) {
      const part = new Float32Array(n);
      unary(k1, 'geluDeriv', x.subarray(0, n), part);
      expect(Array.from(part)).toEqual(Array.from(whole.subarray(0, n)));
    }
  });
});

// ---- top-k ---------------------------------------------------------------------------------------------------

/** The k best (value, index) per row by a full sort: larger first, NaN largest, ties to the lower index. */
function refTopk(x: Float32Array, rows: number, n: number, k: number): number[] {
  const out: number[] = [];
  const key = (v: number): number => (Number.isNaN(v) ? Infinity : v);
  for (let r = 0; r < rows; r++) {
    const v = (i: number): number => x[r * n + i]!;
    const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => {
      const a = v(i), b = v(j);
      if (Number.isNaN(a) !== Number.isNaN(b)) return Number.isNaN(a) ? -1 : 1;
      return key(a) === key(b) || (Number.isNaN(a) && Number.isNaN(b)) ? i - j : key(b) - key(a);
    });
    out.push(...idx.slice(0, k));
  }
  return out;
}

describe('topk threshold path', () => {
  const cases: [string, number, number, (i: number, r: () => number) => number][] = [
    ['SAE-sized rows', 1024, 32, (_i, r) => r()],
    ['n not a multiple of k or 4', 1031, 37, (_i, r) => r()],
    ['a NaN in some rows (heap fallback)', 512, 16, (i, r) => (i % 700 === 3 ? NaN : r())],
    ['all -Infinity but a few', 256, 8, (i) => (i % 97 === 0 ? i : -Infinity)],
    ['heavy ties', 1000, 50, (_i, r) => Math.round(r() * 3)],
    ['signed zeros', 64, 8, (i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : -1)],
    ['descending', 800, 20, (i) => -i],
    ['+Infinity among finite values', 600, 12, (i, r) => (i % 250 === 7 ? Infinity : r())],
    ['a spread of subnormals', 600, 12, (_i, r) => r() * 1e-40],
    ['a spread near the float range', 600, 12, (_i, r) => r() * 3e38],
  ];
  for (const [name, n, k, gen] of cases) {
    it(name, () => {
      const rows = 7;
      const r = lcg(n + k);
      const x = Float32Array.from({ length: rows * n }, (_, i) => gen(i, r));
      const values = new Float32Array(rows * k), indices = new Float32Array(rows * k);
      topk(k1, x, rows, n, k, values, indices);
      expect(Array.from(indices)).toEqual(refTopk(x, rows, n, k));
    });
  }
});

describe('topk shared between threads', () => {
  it('gives the single-threaded answer for SAE-sized batches, from ordinary and resident arrays', () => {
    const rows = 100, n = 1024, k = 32; // rows * n is past the size from which rows are shared out
    const r = lcg(7);
    const x = Float32Array.from({ length: rows * n }, () => r());
    const want = refTopk(x, rows, n, k);
    const values = new Float32Array(rows * k), indices = new Float32Array(rows * k);
    topk(k2, x, rows, n, k, values, indices);
    expect(Array.from(indices)).toEqual(want);
    const [rx, rv, ri] = [alloc(k2, rows * n), alloc(k2, rows * k), alloc(k2, rows * k)];
    rx.set(x);
    topk(k2, rx, rows, n, k, rv, ri);
    expect(Array.from(ri)).toEqual(want);
    expect(Array.from(rv)).toEqual(Array.from(values));
  });
});

describe('sparse products shared between threads', () => {
  it('gatherDot and gatherCombine on SAE-sized codes give the single-threaded bits', () => {
    const [B, k, d, n] = [256, 32, 128, 1024];
    const r = lcg(11);
    const idx = Float32Array.from({ length: B * k }, () => Math.floor((r() + 1) * 512));
    const x = Float32Array.from({ length: B * d }, () => r());
    const v = Float32Array.from({ length: B * k }, () => r());
    const w = Float32Array.from({ length: n * d }, () => r());
    const [dot1, dot2] = [new Float32Array(B * k), new Float32Array(B * k)];
    gatherDot(k1, x, w, idx, B, k, d, n, dot1);
    gatherDot(k2, x, w, idx, B, k, d, n, dot2);
    expect(dot2).toEqual(dot1);
    const [comb1, comb2] = [new Float32Array(B * d), new Float32Array(B * d)];
    gatherCombine(k1, v, w, idx, B, k, d, n, comb1);
    gatherCombine(k2, v, w, idx, B, k, d, n, comb2);
    expect(comb2).toEqual(comb1);
  });
});

// ---- small matmuls -------------------------------------------------------------------------------------------

describe('small batched matmuls (no packing)', () => {
  it('agree with float64 and are bit-identical on 1 and 2 threads', () => {
    const shapes: [number, number, number, number][] = [
      [1024, 21, 32, 21], [1024, 21, 21, 32], [600, 10, 32, 21], [300, 7, 1, 45],
    ];
    for (const [batch, M, K, N] of shapes) {
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
        const r = lcg(batch + M + K + N);
        const a = Float32Array.from({ length: batch * M * K }, r), b = Float32Array.from({ length: batch * K * N }, r);
        const o1 = new Float32Array(batch * M * N), o2 = new Float32Array(batch * M * N);
        matmul(k1, a, b, o1, batch, M, K, N, tA, tB, true);
        matmul(k2, a, b, o2, batch, M, K, N, tA, tB, true);
        const bits1 = new Uint32Array(o1.buffer), bits2 = new Uint32Array(o2.buffer);
        expect(bits1.every((v, i) => v === bits2[i]), `${batch}x${M}x${K}x${N} tA=${tA} tB=${tB}`).toBe(true);
        for (const p of [0, batch - 1]) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let s = 0;
          for (let q = 0; q < K; q++) {
            s += a[p * M * K + (tA ? q * M + i : i * K + q)]! * b[p * K * N + (tB ? j * K + q : q * N + j)]!;
          }
          if (!(Math.abs(o1[p * M * N + i * N + j]! - s) < 1e-5 * K)) expect.fail(`element ${i},${j} of batch ${p}`);
        }
      }
    }
  });
});

describe('matmul with a bias', () => {
  it('adds it once after the whole sum, in every work split, bit-identically on 1 and 2 threads', () => {
    // [batch, M, K, N]: small unpacked, rows split, columns split, k-blocked.
    const shapes: [number, number, number, number][] = [
      [512, 21, 32, 21], [1, 301, 64, 130], [1, 40, 64, 700], [1, 45, 1100, 47],
    ];
    for (const [batch, M, K, N] of shapes) {
      const r = lcg(M + N);
      const a = Float32Array.from({ length: batch * M * K }, r), b = Float32Array.from({ length: K * N }, r);
      const bias = Float32Array.from({ length: N }, () => 10 * r());
      const size = batch * M * N;
      const o1 = new Float32Array(size), o2 = new Float32Array(size), plain = new Float32Array(size);
      matmul(k1, a, b, o1, batch, M, K, N, false, true, false, bias);
      matmul(k2, a, b, o2, batch, M, K, N, false, true, false, bias);
      matmul(k1, a, b, plain, batch, M, K, N, false, true, false);
      const bits1 = new Uint32Array(o1.buffer), bits2 = new Uint32Array(o2.buffer);
      expect(bits1.every((v, i) => v === bits2[i]), `${batch}x${M}x${K}x${N}`).toBe(true);
      // The bias is added to the finished product: exactly what a separate add would give.
      const sumThenAdd = o1.every((v, i) => v === Math.fround(plain[i]! + bias[i % N]!));
      expect(sumThenAdd, `${batch}x${M}x${K}x${N} vs matmul + bias`).toBe(true);
    }
  });
});

// ---- strided copies ------------------------------------------------------------------------------------------

describe('strided copy plans', () => {
  it('turn the attention permute into runs of d_head floats', () => {
    const plan = permutePlan([256, 21, 4, 32], [0, 2, 1, 3]);
    expect(plan).toMatchObject({
      dims: [256, 4, 21], srcStrides: [2688, 32, 128], dstStrides: [2688, 672, 32], run: 32, runStride: 1,
    });
  });

  it('merge axes contiguous in both layouts and drop size-1 axes', () => {
    expect(planStrided([2, 1, 3, 4], [12, 12, 4, 1], [12, 12, 4, 1], 0, 0, true))
      .toMatchObject({ dims: [], run: 24, runStride: 1 });
    expect(permutePlan([3, 4], [1, 0])).toMatchObject({ dims: [4], run: 3, runStride: 4 });
  });
});
