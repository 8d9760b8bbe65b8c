/** Properties over random shapes and values (fast-check), on every backend. */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  add, matmul, pad, permute, reshape, slice, softmax, sum, tensor, topk, withBackend, type Backend,
} from '../src/index.js';
import { backend, backendNames, expectAllClose, stored } from './helpers.js';

const dim = fc.integer({ min: 1, max: 4 });
const shapeArb = fc.array(dim, { minLength: 1, maxLength: 4 });
const valuesFor = (n: number) =>
  fc.array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

/** A shape and a second shape broadcast-compatible with it (some dims set to 1, some leading dims dropped). */
const broadcastPair = shapeArb.chain((out) =>
  fc.tuple(fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    fc.integer({ min: 0, max: out.length - 1 }))
    .map(([ones, drop]) => ({ out, other: out.map((d, i) => (ones[i] ? 1 : d)).slice(drop) })));

const runs = { numRuns: 40 };

describe.each(backendNames())('properties on %s', (name) => {
  let b: Backend;
  beforeAll(async () => {
    b = await backend(name);
  });

  it('broadcasting add equals adding the element each output position names', () => {
    fc.assert(fc.property(broadcastPair.chain((p) => fc.tuple(fc.constant(p),
      valuesFor(p.out.reduce((x, y) => x * y, 1)),
      valuesFor(p.other.reduce((x, y) => x * y, 1)))), ([{ out, other }, av, bv]) => {
      const got = withBackend(b, () => add(tensor(av, out), tensor(bv, other)).toArray());
      // Independent indexing: unravel each output position and clamp broadcast axes to 0.
      const lead = out.length - other.length;
      const expected = av.map((a, flat) => {
        let rem = flat;
        const coord = out.map(() => 0);
        for (let i = out.length - 1; i >= 0; i--) {
          coord[i] = rem % out[i]!;
          rem = Math.floor(rem / out[i]!);
        }
        let j = 0;
        for (let i = 0; i < other.length; i++) j = j * other[i]! + (other[i] === 1 ? 0 : coord[lead + i]!);
        return Math.fround(a + bv[j]!);
      });
      expectAllClose(got, expected, 1e-6, 1e-6);
    }), runs);
  });

  it('reshape round trips and permute then its inverse is the identity', () => {
    const permutations = shapeArb.chain((s) => fc.tuple(fc.constant(s),
      fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length })));
    fc.assert(fc.property(permutations,
      ([s, perm]) => {
        const n = s.reduce((x, y) => x * y, 1);
        const values = Array.from({ length: n }, (_, i) => i);
        withBackend(b, () => {
          const x = tensor(values, s);
          expect(Array.from(reshape(reshape(x, [n]), s).toArray())).toEqual(values);
          const inverse = perm.map((_, i) => perm.indexOf(i));
          const y = permute(x, perm);
          expect(y.shape).toEqual(perm.map((p) => s[p]));
          expect(Array.from(permute(y, inverse).toArray())).toEqual(values);
        });
      }), runs);
  });

  it('pad then slice gives the input back', () => {
    fc.assert(fc.property(shapeArb.chain((s) => fc.tuple(fc.constant(s),
      fc.array(fc.nat(2), { minLength: s.length, maxLength: s.length }),
      fc.array(fc.nat(2), { minLength: s.length, maxLength: s.length }))), ([s, before, after]) => {
      const n = s.reduce((x, y) => x * y, 1);
      const values = Array.from({ length: n }, (_, i) => i + 1);
      withBackend(b, () => {
        const padded = pad(tensor(values, s), before, after);
        expect(sum(padded).item()).toBe(values.reduce((x, y) => x + y, 0));
        const back = slice(padded, Object.fromEntries(s.map((d, i) => [i, [before[i]!, before[i]! + d] as const])));
        expect(Array.from(back.toArray())).toEqual(values);
      });
    }), runs);
  });

  it('topk returns the k largest values of each row, sorted', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (rows, n, seed) =>
      fc.assert(fc.property(valuesFor(rows * n), fc.integer({ min: 1, max: n }), (drawn, k) => {
        // Exact comparisons: inputs as the backend holds them (no subnormals where it flushes them).
        const values = drawn.map((x) => stored(name, x));
        const got = withBackend(b, () => topk(tensor(values, [rows, n]), k));
        const vals = Array.from(got.values.toArray());
        const idx = Array.from(got.indices.toArray());
        for (let r = 0; r < rows; r++) {
          const row = values.slice(r * n, (r + 1) * n);
          const sorted = [...row].sort((x, y) => y - x).slice(0, k);
          expect(vals.slice(r * k, (r + 1) * k)).toEqual(sorted);
          expect(new Set(idx.slice(r * k, (r + 1) * k)).size).toBe(k);
          idx.slice(r * k, (r + 1) * k).forEach((i, j) => expect(row[i]).toBe(sorted[j]));
        }
      }), { numRuns: 3, seed })), { numRuns: 10 });
  });

  it('softmax rows are positive and sum to 1', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 30 }), (rows, n) =>
      fc.assert(fc.property(valuesFor(rows * n), (values) => {
        const p = withBackend(b, () => softmax(tensor(values, [rows, n])).toArray());
        for (let r = 0; r < rows; r++) {
          const row = Array.from(p.slice(r * n, (r + 1) * n));
          expect(row.every((x) => x > 0)).toBe(true);
          expect(Math.abs(row.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(1e-5);
        }
      }), { numRuns: 3 })), { numRuns: 10 });
  });

  it('matmul agrees with the definition for random shapes and transposes', () => {
    const size = fc.integer({ min: 1, max: 9 });
    fc.assert(fc.property(dim, size, size, size,
      fc.boolean(), fc.boolean(), (batch, M, K, N, transA, transB) => {
        const av = Array.from({ length: batch * M * K }, (_, i) => Math.sin(i + 1));
        const bv = Array.from({ length: K * N }, (_, i) => Math.cos(i));
        const got = withBackend(b, () => matmul(tensor(av, transA ? [batch, K, M] : [batch, M, K]),
          tensor(bv, transB ? [N, K] : [K, N]), { transA, transB }).toArray());
        const A = (p: number, i: number, k: number) =>
          Math.fround(av[transA ? p * K * M + k * M + i : p * M * K + i * K + k]!);
        const B = (k: number, j: number) => Math.fround(bv[transB ? j * K + k : k * N + j]!);
        const expected: number[] = [];
        for (let p = 0; p < batch; p++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += A(p, i, k) * B(k, j);
          expected.push(acc);
        }
        expectAllClose(got, expected, 1e-5, 1e-5 * K);
      }), runs);
  });
});
