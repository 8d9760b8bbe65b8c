// Tests for the WebAssembly kernels (src/backends/wasm/kernels.ts) against naive float64 JavaScript references.
import { describe, expect, it } from 'vitest';

// The kernels are embedded in a generated (gitignored) file: build it if this checkout has not yet.
import { kernelPair, loadWasmKernels, type WasmKernels } from './wasm-kernels-loader.js';

// ---- helpers -------------------------------------------------------------------------------------------------

/** Tiny deterministic LCG in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  };
}
function randArray(n: number, seed: number, scale = 1): Float32Array {
  const r = lcg(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * scale;
  return out;
}
function bitsEqual(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length) return false;
  const a = new Uint32Array(x.buffer, x.byteOffset, x.length), b = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
/** First index where two float arrays differ bitwise (NaN == NaN), or -1. */
function firstDiff(x: Float32Array, y: Float32Array): number {
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!, q = y[i]!;
    if (!(Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q)))) return i;
  }
  return -1;
}

/** float64 reference: out[b] = op(A[b]) @ op(B[b or 0]); also returns sum |a||b| per element for tolerances. */
function refMatmul(a: Float32Array, b: Float32Array, batch: number, M: number, K: number, N: number,
                   tA: boolean, tB: boolean, bBatched: boolean): { out: Float64Array; mag: Float64Array } {
  const out = new Float64Array(batch * M * N), mag = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    const ao = t * M * K, bo = bBatched ? t * K * N : 0, co = t * M * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0, m = 0;
        for (let k = 0; k < K; k++) {
          const av = a[ao + (tA ? k * M + i : i * K + k)]!;
          const bv = b[bo + (tB ? j * K + k : k * N + j)]!;
          s += av * bv;
          m += Math.abs(av * bv);
        }
        out[co + i * N + j] = s;
        mag[co + i * N + j] = m;
      }
    }
  }
  return { out, mag };
}

// float64 erf for the test: Maclaurin series for |x| < 3 (alternating, ~1e-13 accurate there in float64) and the
// Laplace continued fraction for erfc beyond (evaluated backwards, 300 terms).
function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax, sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else if (ax === Infinity) {
    r = 1;
  } else {
    let f = ax;
    for (let n = 300; n >= 1; n--) f = ax + n / 2 / f;
    r = 1 - Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  }
  return x < 0 ? -r : r;
}

// ---- setup ---------------------------------------------------------------------------------------------------

const [k1, k2] = await kernelPair();

// ---- matmul --------------------------------------------------------------------------------------------------

const TRANS: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

/** Runs a matmul on 1 and 2 threads, checks both against float64 and against each other (bit-identical). */
function checkMatmul(batch: number, M: number, K: number, N: number, tA: boolean, tB: boolean, bBatched: boolean, seed: number): void {
  const a = randArray(batch * M * K, seed);
  const b = randArray((bBatched ? batch : 1) * K * N, seed + 1);
  const o1 = new Float32Array(batch * M * N).fill(NaN);
  const o2 = new Float32Array(batch * M * N).fill(NaN);
  k1.matmul(a, b, o1, batch, M, K, N, tA, tB, bBatched);
  k2.matmul(a, b, o2, batch, M, K, N, tA, tB, bBatched);
  const { out, mag } = refMatmul(a, b, batch, M, K, N, tA, tB, bBatched);
  let worst = 0, worstAt = -1;
  for (let i = 0; i < out.length; i++) {
    const err = Math.abs(o1[i]! - out[i]!);
    const tol = 1e-6 * Math.sqrt(Math.max(K, 1)) * mag[i]! + 1e-30;
    if (!(err <= tol)) { worstAt = i; break; }
    worst = Math.max(worst, err / tol);
  }
  const label = `batch=${batch} M=${M} K=${K} N=${N} tA=${tA} tB=${tB} bBatched=${bBatched}`;
  expect(worstAt, `${label}: element ${worstAt} = ${o1[worstAt]} vs ${out[worstAt]}`).toBe(-1);
  expect(firstDiff(o1, o2), `${label}: 1 vs 2 threads differ`).toBe(-1);
}

describe('matmul', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1], [1, 7, 1], [1, 3, 8], [3, 5, 7], [5, 8, 9], [7, 17, 33], [8, 1, 8], [9, 33, 17], [17, 129, 5],
    [33, 64, 129], [129, 17, 33], [6, 9, 16], [10, 2, 24], [16, 300, 40],
  ];
  for (const [tA, tB] of TRANS) {
    it(`odd sizes around the 4x8 tile edges, transA=${tA} transB=${tB}`, () => {
      let seed = 100;
      for (const [M, K, N] of sizes) checkMatmul(1, M, K, N, tA, tB, false, seed++);
    });
    it(`batched, B per batch and B shared, transA=${tA} transB=${tB}`, () => {
      for (const bBatched of [true, false]) {
        checkMatmul(3, 7, 9, 13, tA, tB, bBatched, 7);
        checkMatmul(2, 17, 33, 9, tA, tB, bBatched, 8);
        checkMatmul(5, 1, 4, 3, tA, tB, bBatched, 9);
      }
    });
    it(`large enough to use both threads (row and column splits, K blocking), transA=${tA} transB=${tB}`, () => {
      // (all above the 6e6-flop threshold for using the worker)
      checkMatmul(1, 201, 130, 129, tA, tB, false, 11); // rows mode
      checkMatmul(1, 45, 150, 700, tA, tB, false, 12); // columns mode
      checkMatmul(1, 40, 1500, 70, tA, tB, false, 13); // K > KC_MAX: k-blocked accumulation
      checkMatmul(4, 65, 128, 97, tA, tB, true, 14); // batched, B per batch
      checkMatmul(3, 85, 100, 120, tA, tB, false, 15); // batched, shared B
    });
  }

  it('the worker thread took part in the large matmuls above', () => {
    expect((k2 as unknown as { workerUnits: number }).workerUnits).toBeGreaterThan(0);
  });

  it('K = 1 and K = 0', () => {
    for (const [tA, tB] of TRANS) checkMatmul(2, 9, 1, 17, tA, tB, true, 21);
    const out = new Float32Array(6).fill(7);
    k2.matmul(new Float32Array(0), new Float32Array(0), out, 1, 2, 0, 3, false, false, false);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('is bit-identical across thread counts and repeated calls on a range of shapes', () => {
    const shapes: [number, number, number, number][] = [
      [1, 256, 128, 1024], [1, 1000, 64, 100], [1, 64, 512, 3000], [2, 300, 257, 301], [1, 2000, 3, 600],
    ];
    for (const [batch, M, K, N] of shapes) {
      const a = randArray(batch * M * K, M + K), b = randArray(batch * K * N, N + 3);
      const o1 = new Float32Array(batch * M * N), o2 = new Float32Array(batch * M * N), o3 = new Float32Array(batch * M * N);
      k1.matmul(a, b, o1, batch, M, K, N, false, true, true);
      k2.matmul(a, b, o2, batch, M, K, N, false, true, true);
      k2.matmul(a, b, o3, batch, M, K, N, false, true, true);
      expect(bitsEqual(o1, o2), `${batch}x${M}x${K}x${N}`).toBe(true);
      expect(bitsEqual(o2, o3)).toBe(true);
    }
  });

  it('reads only the needed prefix of longer inputs and rejects short ones', () => {
    const a = randArray(3 * 4 + 5, 1), b = randArray(4 * 2 + 9, 2), out = new Float32Array(3 * 2 + 1).fill(-1);
    k1.matmul(a, b, out, 1, 3, 4, 2, false, false, false);
    const { out: ref } = refMatmul(a, b, 1, 3, 4, 2, false, false, false);
    for (let i = 0; i < 6; i++) expect(out[i]).toBeCloseTo(ref[i]!, 5);
    expect(out[6]).toBe(-1);
    expect(() => k1.matmul(a, b, new Float32Array(5), 1, 3, 4, 2, false, false, false)).toThrow(RangeError);
  });
});

// ---- binary --------------------------------------------------------------------------------------------------

const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'maximum', 'cmpgt', 'cmpeq'] as const;
function binRef(op: (typeof BINARY_OPS)[number], x: number, y: number): number {
  switch (op) {
    case 'add': return Math.fround(x + y);
    case 'sub': return Math.fround(x - y);
    case 'mul': return Math.fround(x * y);
    case 'div': return Math.fround(x / y);
    case 'maximum': return Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y);
    case 'cmpgt': return x > y ? 1 : 0;
    case 'cmpeq': return x === y ? 1 : 0;
  }
}

describe('binary', () => {
  // [n, bcLen, repeat]: same shape, scalar, trailing broadcast [.., D], leading broadcast [N, 1] over D.
  const patterns: [string, number, number, number][] = [
    ['same shape', 1003, 1003, 1],
    ['scalar', 1003, 1, 1],
    ['trailing dims [N, D] op [D]', 37 * 11, 11, 1],
    ['leading dims [N, D] op [N, 1]', 37 * 11, 37, 11],
    ['leading dims, 3-d [B, N, D] op [N, 1]', 3 * 5 * 9, 5, 9],
    ['long same shape (crosses chunks)', 100003, 100003, 1],
    ['long trailing (crosses chunks)', 70001 * 3, 3, 1],
    ['long leading (crosses chunks)', 5 * 30011, 5, 30011],
    ['long, odd period (crosses chunks)', 100003, 7, 13],
  ];
  for (const [name, n, bcLen, repeat] of patterns) {
    it(`${name}: all ops, both operand orders, exact float32 results`, () => {
      const full = randArray(n, n + bcLen, 3);
      const bc = randArray(bcLen, bcLen + 5, 3);
      // Some exact ties for the comparisons, and divisors away from 0 only via randomness.
      for (let i = 0; i < n; i += 7) full[i] = bc[Math.floor(i / repeat) % bcLen]!;
      for (const op of BINARY_OPS) {
        for (const swapped of [false, true]) {
          const out = new Float32Array(n);
          k1.binary(op, full, bc, out, repeat, swapped);
          const exp = new Float32Array(n);
          for (let i = 0; i < n; i++) {
            const y = bc[Math.floor(i / repeat) % bcLen]!;
            exp[i] = swapped ? binRef(op, y, full[i]!) : binRef(op, full[i]!, y);
          }
          expect(firstDiff(out, exp), `${op} swapped=${swapped}`).toBe(-1);
        }
      }
    });
  }

  it('works in place (out === full) and with special values', () => {
    const full = new Float32Array([1, -0, 0, Infinity, -Infinity, NaN, 3, 2, 5]);
    const bc = new Float32Array([0]);
    const out = Float32Array.from(full);
    k1.binary('div', out, bc, out, 1, false);
    const exp = Float32Array.from(full, (x) => binRef('div', x, 0));
    expect(firstDiff(out, exp)).toBe(-1);
    const mx = new Float32Array(full.length);
    k1.binary('maximum', full, new Float32Array([2]), mx, 1, true);
    expect(firstDiff(mx, Float32Array.from(full, (x) => binRef('maximum', 2, x)))).toBe(-1);
  });
});

// ---- unary ---------------------------------------------------------------------------------------------------

describe('unary', () => {
  const grid = new Float32Array(24001);
  for (let i = 0; i < grid.length; i++) grid[i] = -6 + (12 * i) / (grid.length - 1);
  const specials = new Float32Array([0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 0.5, 0.84375, 1, 1.25, 2.857, 3.9, 4, 6, 10, 88, 89, -87, -104,
    Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 1e-45]);
  const xs = new Float32Array(grid.length + specials.length);
  xs.set(grid);
  xs.set(specials, grid.length);

  it('neg, abs, sqrt are exact', () => {
    for (const [op, f] of [['neg', (x: number) => -x], ['abs', Math.abs], ['sqrt', (x: number) => Math.fround(Math.sqrt(x))]] as const) {
      const out = new Float32Array(xs.length);
      k1.unary(op, xs, out);
      expect(firstDiff(out, Float32Array.from(xs, f)), op).toBe(-1);
    }
  });

  for (const [op, f] of [['exp', Math.exp], ['log', Math.log], ['tanh', Math.tanh]] as const) {
    it(`${op} is within 1e-6 relative of float64`, () => {
      const input = op === 'log' ? Float32Array.from(xs, (x) => (Number.isNaN(x) ? x : x * x * 7 + (x < 0 ? -0.5 : 0))) : xs;
      const out = new Float32Array(input.length);
      k1.unary(op, input, out);
      for (let i = 0; i < input.length; i++) {
        const ref = f(input[i]!), got = out[i]!;
        if (!Number.isFinite(ref) || Math.fround(ref) === 0 || !Number.isFinite(Math.fround(ref))) {
          // Specials (NaN, +-Inf, under/overflow): must match float32-rounded float64.
          expect(Object.is(got, Math.fround(ref)) || (Number.isNaN(got) && Number.isNaN(ref)), `${op}(${input[i]}) = ${got}`).toBe(true);
        } else {
          expect(Math.abs(got - ref) <= 1e-6 * Math.abs(ref) + 1e-38, `${op}(${input[i]}) = ${got} vs ${ref}`).toBe(true);
        }
      }
    });
  }

  it('erf is within 2e-7 absolute of a float64 erf (series / continued fraction)', () => {
    const out = new Float32Array(xs.length);
    k1.unary('erf', xs, out);
    let worst = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!, ref = erf64(x), got = out[i]!;
      if (Number.isNaN(x)) { expect(got).toBeNaN(); continue; }
      worst = Math.max(worst, Math.abs(got - ref));
      expect(Math.abs(got - ref) <= 2e-7, `erf(${x}) = ${got} vs ${ref}`).toBe(true);
    }
    expect(worst).toBeLessThan(2e-7);
    // odd symmetry, exact small-argument behaviour and saturation
    const sym = new Float32Array(grid.length);
    k1.unary('erf', Float32Array.from(grid, (x) => -x), sym);
    for (let i = 0; i < grid.length; i++) expect(Object.is(sym[i], -out[i]!) || (sym[i] === 0 && out[i] === 0)).toBe(true);
    const sat = new Float32Array(2);
    k1.unary('erf', new Float32Array([Infinity, -Infinity]), sat);
    expect(Array.from(sat)).toEqual([1, -1]);
  });

  it('works in place and across chunk boundaries', () => {
    const a = randArray(100000, 5, 4);
    const ref = Float32Array.from(a, (x) => Math.fround(Math.exp(x)));
    k1.unary('exp', a, a);
    for (let i = 0; i < a.length; i += 997) expect(Math.abs(a[i]! - ref[i]!) <= 1e-6 * ref[i]!).toBe(true);
  });
});

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
      k1.reduce('sum', a, sum, outer, n, inner);
      k1.reduce('max', a, mx, outer, n, inner);
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
    k1.reduce('max', a, out, 1, 9, 1);
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
      k1.topk(x, rows, n, k, values, indices);
      const ref = refTopk(x, rows, n, k);
      expect(Array.from(indices)).toEqual(ref.indices);
      expect(Array.from(values)).toEqual(ref.values.map(Math.fround));
    });
  }
  it('rejects k > n', () => {
    expect(() => k1.topk(new Float32Array(4), 1, 4, 5, new Float32Array(5), new Float32Array(5))).toThrow(RangeError);
  });
});

// ---- adam ----------------------------------------------------------------------------------------------------

/** float64 Adam/AdamW step, torch.optim semantics. */
function adamRef(p: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array,
                 o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; decoupled: boolean; step: number }): void {
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
      k1.adam(p, g, m, v, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step });
      traj.push(Array.from(p));
    }
    const expected = [[0.9, -2.1, 0.15, 2.9], [0.8, -2.2, 0.05, 2.8], [0.7, -2.3, -0.05, 2.7]];
    for (let s = 0; s < 3; s++) for (let i = 0; i < 4; i++) expect(traj[s]![i]).toBeCloseTo(expected[s]![i]!, 6);
    expect(m[0]).toBeCloseTo(0.5 * (1 - 0.9 ** 3), 7);
    expect(v[0]).toBeCloseTo(0.25 * (1 - 0.999 ** 3), 9);
    expect(Array.from(g)).toEqual(new Array(7).fill(0.5)); // g is not modified
  });

  for (const [name, weightDecay, decoupled] of [['Adam', 0, false], ['Adam + L2 weight decay', 0.1, false], ['AdamW', 0.05, true]] as const) {
    it(`${name}: 3-step trajectory matches float64`, () => {
      const n = 13; // SIMD body + scalar tail
      const p = randArray(n, 1, 2), m = new Float32Array(n), v = new Float32Array(n);
      const p64 = Float64Array.from(p), m64 = new Float64Array(n), v64 = new Float64Array(n);
      for (let step = 1; step <= 3; step++) {
        const g = randArray(n, 10 + step, 0.3);
        const o = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled, step };
        k1.adam(p, g, m, v, o);
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
    const p = randArray(n, 3), g = randArray(n, 4), m = randArray(n, 5, 0.1), v = Float32Array.from(randArray(n, 6), (x) => x * x);
    const idx = [0, 1, 32767, 32768, 65536, 70000];
    const small = idx.map((i) => [p[i]!, g[i]!, m[i]!, v[i]!]);
    const o = { lr: 1e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, decoupled: true, step: 5 };
    k2.adam(p, g, m, v, o);
    for (let t = 0; t < idx.length; t++) {
      const [sp, sg, sm, sv] = small[t]!.map((x) => new Float32Array([x]));
      k1.adam(sp!, sg!, sm!, sv!, o);
      expect(p[idx[t]!]).toBe(sp![0]);
      expect(m[idx[t]!]).toBe(sm![0]);
      expect(v[idx[t]!]).toBe(sv![0]);
    }
  });
});

// ---- loader --------------------------------------------------------------------------------------------------

describe('loader', () => {
  it('reports its thread count, honours SAELAB_WASM_THREADS and the threads option', async () => {
    expect(k1.threads).toBe(1);
    expect(k2.threads).toBe(2);
    const saved = process.env.SAELAB_WASM_THREADS;
    try {
      process.env.SAELAB_WASM_THREADS = '1';
      const k = await loadWasmKernels();
      expect(k.threads).toBe(1);
      k.dispose();
      const k3 = await loadWasmKernels({ threads: 2 }); // explicit option wins over the variable
      expect(k3.threads).toBe(2);
      k3.dispose();
    } finally {
      if (saved === undefined) delete process.env.SAELAB_WASM_THREADS;
      else process.env.SAELAB_WASM_THREADS = saved;
    }
  });

  it('default is 2 threads in Node and grows its memory for big calls', async () => {
    const saved = process.env.SAELAB_WASM_THREADS;
    delete process.env.SAELAB_WASM_THREADS;
    const k = await loadWasmKernels();
    try {
      expect(k.threads).toBe(2);
      const n = 6_000_000; // 24 MB operand, beyond the initial memory
      const a = new Float32Array(n).fill(2), out = new Float32Array(n);
      k.binary('mul', a, new Float32Array([1.5]), out, 1, false);
      expect(out[n - 1]).toBe(3);
      const M = 1500, K = 1000, N = 8; // 6 MB A + packed copy
      const A = randArray(M * K, 77), B = randArray(K * N, 78), C = new Float32Array(M * N), C1 = new Float32Array(M * N);
      k.matmul(A, B, C, 1, M, K, N, false, false, false);
      k1.matmul(A, B, C1, 1, M, K, N, false, false, false);
      expect(bitsEqual(C, C1)).toBe(true);
    } finally {
      k.dispose();
      if (saved !== undefined) process.env.SAELAB_WASM_THREADS = saved;
    }
  });

  it('without SharedArrayBuffer: the single-threaded module on a plain memory, identical results', async () => {
    const g = globalThis as { SharedArrayBuffer?: unknown };
    const saved = g.SharedArrayBuffer;
    let k: WasmKernels;
    try {
      delete g.SharedArrayBuffer;
      k = await loadWasmKernels({ threads: 2 });
    } finally {
      g.SharedArrayBuffer = saved;
    }
    try {
      expect(k.threads).toBe(1);
      const [M, K, N] = [70, 1100, 45];
      const a = randArray(M * K, 1), b = randArray(K * N, 2), o1 = new Float32Array(M * N), o2 = new Float32Array(M * N);
      k.matmul(a, b, o1, 1, M, K, N, true, false, false);
      k2.matmul(a, b, o2, 1, M, K, N, true, false, false);
      expect(bitsEqual(o1, o2)).toBe(true);
      const e1 = new Float32Array(1000), e2 = new Float32Array(1000);
      k.unary('erf', randArray(1000, 3, 3), e1);
      k2.unary('erf', randArray(1000, 3, 3), e2);
      expect(bitsEqual(e1, e2)).toBe(true);
    } finally {
      k.dispose();
    }
  });

  it('throws after dispose', async () => {
    const k = await loadWasmKernels({ threads: 2 });
    k.dispose();
    expect(() => k.unary('neg', new Float32Array(4), new Float32Array(4))).toThrow(/dispose/);
  });
});
