// The wasm top-k kernel (assembly/topk.ts, through src/backends/wasm/rows.ts) against a plain JavaScript
// statement of its order, on rows made to break it: quantised values (many ties), zeros and -0 (equal, so
// ordered by index), a few NaN and infinities, rows of one value, sorted rows, subnormals, the SAE training
// shapes, n not a multiple of 4 and k on either side of n / 4 (the threshold path needs n >= 4k). Values are
// compared bit for bit (so -0 and 0 differ), indices exactly, on 1 thread and on 2 (batches large enough to be
// shared out between the threads).
import { describe, expect, it } from 'vitest';
import { topk } from '../src/backends/wasm/rows.js';

import { alloc, kernelPair, workerUnits } from './wasm-kernels-loader.js';

const [k1, k2] = await kernelPair();

/** A deterministic uniform [0, 1) stream. */
function uniform(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A standard normal from u (Box-Muller). */
function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** a before b in the kernel's order: larger value first, NaN above every number, equal values (and NaNs among
 *  themselves) by lower index. tiesReversed: the same with ties to the higher index (the tests must see it). */
function before(va: number, ia: number, vb: number, ib: number, tiesReversed = false): boolean {
  const tie = tiesReversed ? ia > ib : ia < ib;
  if (Number.isNaN(va)) return Number.isNaN(vb) ? tie : true;
  if (Number.isNaN(vb)) return false;
  return va > vb || (va === vb && tie);
}

/** The k first (value, index) pairs of each row in that order, by a full sort: values as float32 bits. */
function reference(x: Float32Array, rows: number, n: number, k: number, tiesReversed = false) {
  const values = new Float32Array(rows * k), indices = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const v = (i: number): number => x[r * n + i]!;
    const order = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => (before(v(a), a, v(b), b, tiesReversed) ? -1 : 1));
    for (let j = 0; j < k; j++) {
      values[r * k + j] = v(order[j]!);
      indices[r * k + j] = order[j]!;
    }
  }
  return { values: new Uint32Array(values.buffer), indices };
}

/** Row generators: each fills a row of n values from u. */
const KINDS: Record<string, (n: number, u: () => number) => number[]> = {
  gaussian: (n, u) => Array.from({ length: n }, () => normal(u)),
  // |pre| * err with the row's chosen entries set to 0: half-normal values and 32 zeros (some of them -0).
  halfNormalZeros: (n, u) => {
    const a = Array.from({ length: n }, () => Math.abs(normal(u)) * Math.abs(1 + 0.5 * normal(u)));
    for (let z = 0; z < 32; z++) a[Math.floor(u() * n)] = u() < 0.5 ? 0 : -0;
    return a;
  },
  quantised: (n, u) => Array.from({ length: n }, () => Math.round(normal(u) * 2) / 2),
  fewValues: (n, u) => Array.from({ length: n }, () => [0, -0, 1, -1, 0.5][Math.floor(u() * 5)]!),
  mostlyZeros: (n, u) => Array.from({ length: n }, () => (u() < 0.04 ? Math.abs(normal(u)) : u() < 0.5 ? 0 : -0)),
  infinities: (n, u) => Array.from({ length: n }, () => (u() < 0.05 ? (u() < 0.5 ? Infinity : -Infinity) : normal(u))),
  someNaN: (n, u) => Array.from({ length: n }, () => (u() < 0.01 ? NaN : Math.round(normal(u) * 4) / 4)),
  oneValue: (n) => Array.from({ length: n }, () => 1.5),
  allMinusInfinity: (n, u) => Array.from({ length: n }, () => (u() < 0.02 ? normal(u) : -Infinity)),
  ascending: (n) => Array.from({ length: n }, (_, i) => i),
  descending: (n) => Array.from({ length: n }, (_, i) => -i),
  subnormals: (n, u) => Array.from({ length: n }, () => normal(u) * 1e-40),
  mixed: (n, u) => Array.from({ length: n }, () => {
    const p = u();
    if (p < 0.1) return 0;
    if (p < 0.2) return -0;
    if (p < 0.24) return -Infinity;
    if (p < 0.26) return Infinity;
    if (p < 0.265) return NaN;
    return Math.round(normal(u) * 8) / 8;
  }),
};
const KIND_NAMES = Object.keys(KINDS);

/** rows random rows of n, each of a kind drawn at random (or the given kind). */
function batch(rows: number, n: number, seed: number, kind?: string): Float32Array {
  const u = uniform(seed);
  const x = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const name = kind ?? KIND_NAMES[Math.floor(u() * KIND_NAMES.length)]!;
    x.set(KINDS[name]!(n, u), r * n);
  }
  return x;
}

/** topk of x on instance k, from resident arrays where shared (the helper thread's path), as bits. */
function run(k: typeof k1, x: Float32Array, rows: number, n: number, kk: number) {
  const [rx, rv, ri] = k === k2 ? [alloc(k, rows * n), alloc(k, rows * kk), alloc(k, rows * kk)]
    : [new Float32Array(rows * n), new Float32Array(rows * kk), new Float32Array(rows * kk)];
  rx.set(x);
  rv.fill(7); ri.fill(-1); // stale outputs: every slot must be written
  topk(k, rx, rows, n, kk, rv, ri);
  const out = {
    values: Uint32Array.from(new Uint32Array(rv.buffer, rv.byteOffset, rv.length)), indices: Float32Array.from(ri),
  };
  if (k === k2) for (const a of [rx, rv, ri]) k.arena.heap.release(a);
  return out;
}

/** Checks 1 and 2 threads against the reference on x; returns how many output slots differ from the reference
 *  with ties reversed (the data must tell the two orders apart). */
function check(x: Float32Array, rows: number, n: number, k: number, label: string): number {
  const want = reference(x, rows, n, k);
  for (const [name, inst] of [['1 thread', k1], ['2 threads', k2]] as const) {
    const got = run(inst, x, rows, n, k);
    for (let r = 0; r < rows; r++) {
      const s = r * k, e = s + k;
      const msg = `${label}, ${name}, row ${r} (n ${n}, k ${k})`;
      expect(Array.from(got.indices.subarray(s, e)), msg).toEqual(Array.from(want.indices.subarray(s, e)));
      expect(Array.from(got.values.subarray(s, e)), msg).toEqual(Array.from(want.values.subarray(s, e)));
    }
  }
  const reversed = reference(x, rows, n, k, true);
  let differ = 0;
  for (let i = 0; i < rows * k; i++) if (reversed.indices[i] !== want.indices[i]) differ++;
  return differ;
}

/** Rows so that rows * n reaches the size from which top-k is shared between threads (64 Ki elements). */
const sharedRows = (n: number): number => Math.ceil((64 * 1024) / n) + 3;

describe('wasm topk against a plain statement of its order', () => {
  it('random adversarial rows, n around 4k (both paths), n not a multiple of 4, 1 and 2 threads', () => {
    const before = workerUnits(k2);
    let tieSensitive = 0;
    let seed = 1;
    for (const k of [1, 2, 3, 4, 7, 8, 16, 31, 32, 33]) {
      for (const n of [4 * k - 1, 4 * k, 4 * k + 1, 4 * k + 3, 8 * k + 2, 32 * k + 1]) {
        if (n < k) continue;
        const rows = Math.min(sharedRows(n), 400);
        tieSensitive += check(batch(rows, n, seed++), rows, n, k, `random rows ${seed - 1}`);
      }
    }
    for (const [n, k] of [[1, 1], [5, 5], [17, 17], [1000, 250], [1024, 255], [1024, 256], [1024, 257], [2048, 64]]) {
      const rows = sharedRows(n!);
      tieSensitive += check(batch(rows, n!, seed++), rows, n!, k!, `random rows ${seed - 1}`);
    }
    expect(tieSensitive, 'outputs that reversed ties would change').toBeGreaterThan(1000);
    expect(workerUnits(k2), 'the helper thread computed no top-k units').toBeGreaterThan(before);
  });

  it('the SAE training step: [256, 1024], k 32, on pre-activations and on half-normal rows with 32 zeros', () => {
    for (const kind of ['gaussian', 'halfNormalZeros', 'quantised', 'mostlyZeros'] as const) {
      for (const seed of [1, 2]) check(batch(256, 1024, seed, kind), 256, 1024, 32, `${kind} ${seed}`);
    }
    for (const n of [1021, 1023, 1025]) check(batch(128, n, n), 128, n, 32, 'SAE-like rows, odd n');
  });
});
