// Tests for the WebAssembly binary and unary kernels (src/backends/wasm/elementwise.ts) against float64 JavaScript.
import { describe, expect, it } from 'vitest';
import { binary, unary } from '../src/backends/wasm/elementwise.js';
// The kernels are embedded in a generated (gitignored) file: the loader builds it if this checkout has not yet.
import { kernelPair } from './wasm-kernels-loader.js';
import { firstDiff, randArray } from './wasm-kernels-data.js';

const [k1] = await kernelPair();

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
          binary(k1, op, full, bc, out, repeat, swapped);
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
    binary(k1, 'div', out, bc, out, 1, false);
    const exp = Float32Array.from(full, (x) => binRef('div', x, 0));
    expect(firstDiff(out, exp)).toBe(-1);
    const mx = new Float32Array(full.length);
    binary(k1, 'maximum', full, new Float32Array([2]), mx, 1, true);
    expect(firstDiff(mx, Float32Array.from(full, (x) => binRef('maximum', 2, x)))).toBe(-1);
  });
});

// ---- unary ---------------------------------------------------------------------------------------------------

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

describe('unary', () => {
  const grid = new Float32Array(24001);
  for (let i = 0; i < grid.length; i++) grid[i] = -6 + (12 * i) / (grid.length - 1);
  const specials = new Float32Array([0, -0, 1e-30, -1e-30, 1e-8, -1e-8, 0.5, 0.84375, 1, 1.25, 2.857, 3.9, 4, 6, 10,
    88, 89, -87, -104, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 1e-45]);
  const xs = new Float32Array(grid.length + specials.length);
  xs.set(grid);
  xs.set(specials, grid.length);

  it('neg, abs, sqrt are exact', () => {
    const exact = [
      ['neg', (x: number) => -x], ['abs', Math.abs], ['sqrt', (x: number) => Math.fround(Math.sqrt(x))],
    ] as const;
    for (const [op, f] of exact) {
      const out = new Float32Array(xs.length);
      unary(k1, op, xs, out);
      expect(firstDiff(out, Float32Array.from(xs, f)), op).toBe(-1);
    }
  });

  for (const [op, f] of [['exp', Math.exp], ['log', Math.log], ['tanh', Math.tanh]] as const) {
    it(`${op} is within 1e-6 relative of float64`, () => {
      const input = op === 'log'
        ? Float32Array.from(xs, (x) => (Number.isNaN(x) ? x : x * x * 7 + (x < 0 ? -0.5 : 0)))
        : xs;
      const out = new Float32Array(input.length);
      unary(k1, op, input, out);
      for (let i = 0; i < input.length; i++) {
        const ref = f(input[i]!), got = out[i]!;
        if (!Number.isFinite(ref) || Math.fround(ref) === 0 || !Number.isFinite(Math.fround(ref))) {
          // Specials (NaN, +-Inf, under/overflow): must match float32-rounded float64.
          const same = Object.is(got, Math.fround(ref)) || (Number.isNaN(got) && Number.isNaN(ref));
          expect(same, `${op}(${input[i]}) = ${got}`).toBe(true);
        } else {
          const close = Math.abs(got - ref) <= 1e-6 * Math.abs(ref) + 1e-38;
          expect(close, `${op}(${input[i]}) = ${got} vs ${ref}`).toBe(true);
        }
      }
    });
  }

  it('erf is within 2e-7 absolute of a float64 erf (series / continued fraction)', () => {
    const out = new Float32Array(xs.length);
    unary(k1, 'erf', xs, out);
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
    unary(k1, 'erf', Float32Array.from(grid, (x) => -x), sym);
    for (let i = 0; i < grid.length; i++) {
      expect(Object.is(sym[i], -out[i]!) || (sym[i] === 0 && out[i] === 0)).toBe(true);
    }
    const sat = new Float32Array(2);
    unary(k1, 'erf', new Float32Array([Infinity, -Infinity]), sat);
    expect(Array.from(sat)).toEqual([1, -1]);
  });

  it('works in place and across chunk boundaries', () => {
    const a = randArray(100000, 5, 4);
    const ref = Float32Array.from(a, (x) => Math.fround(Math.exp(x)));
    unary(k1, 'exp', a, a);
    for (let i = 0; i < a.length; i += 997) expect(Math.abs(a[i]! - ref[i]!) <= 1e-6 * ref[i]!).toBe(true);
  });
});
