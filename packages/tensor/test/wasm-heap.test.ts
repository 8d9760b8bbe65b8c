// Storage that lives in the wasm kernels' memory (src/backends/wasm/heap.ts): kernels use it in place and must
// give exactly the bits they give on ordinary arrays (copied in and out), and released blocks are reused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adam, binary, unary } from '../src/backends/wasm/elementwise.js';
import { matmul } from '../src/backends/wasm/gemm.js';
import { gatherCombine, scatterOuter } from '../src/backends/wasm/indexing.js';
import { layerNorm, reduce } from '../src/backends/wasm/rows.js';

import { WasmHeap } from '../src/backends/wasm/heap.js';
import { alloc, createWasmBackend, disposeInstance, instantiate, type Instance } from './wasm-kernels-loader.js';

let k: Instance;
beforeAll(async () => {
  k = await instantiate({ threads: 2 });
});
afterAll(() => k && disposeInstance(k));

/** n deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  });
}

/** A resident copy of a (an array that lives in the kernels' memory). */
function resident(a: Float32Array): Float32Array {
  const r = alloc(k, a.length);
  r.set(a);
  return r;
}

describe('resident storage', () => {
  it('lives in the memory on Node with threads, and its block is reused once released', () => {
    const heap = k.arena.heap;
    const a = heap.view(5000)!;
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(5000);
    expect(heap.addressOf(a)).toBe(a.byteOffset);
    const at = a.byteOffset;
    expect(heap.release(a)).toBe(true);
    expect(heap.release(a)).toBe(false); // a second release is ignored: the block is handed out once
    const [b1, b2] = [heap.view(5000)!, heap.view(5000)!];
    expect(b1.byteOffset).toBe(at);
    expect(b2.byteOffset).not.toBe(at);
    expect(heap.addressOf(new Float32Array(5000))).toBe(-1); // an ordinary array
  });

  it('the backend gives released storage to later outputs: blocks to the memory, ordinary arrays to its pool',
    async () => {
      const b = await createWasmBackend({ threads: 2 });
      try {
        const a = b.zeros(5000);
        expect(a.buffer).toBeInstanceOf(SharedArrayBuffer); // a view of the kernels' shared memory
        const at = a.byteOffset;
        b.release(a);
        b.release(a); // ignored: the block is handed out once, and a view is never pooled
        const [b1, b2] = [b.zeros(5000), b.zeros(5000)];
        expect(b1.byteOffset).toBe(at);
        expect(b2.byteOffset).not.toBe(at);
      } finally {
        b.dispose();
      }
      const g = globalThis as { SharedArrayBuffer?: unknown };
      const saved = g.SharedArrayBuffer;
      let plain: Awaited<ReturnType<typeof createWasmBackend>>;
      try {
        delete g.SharedArrayBuffer; // a memory that cannot hold tensors: storage is ordinary arrays
        plain = await createWasmBackend({ threads: 2 });
      } finally {
        g.SharedArrayBuffer = saved;
      }
      try {
        const z = plain.zeros(5000);
        expect(z.buffer).toBeInstanceOf(ArrayBuffer);
        plain.release(z);
        expect(plain.unary('neg', new Float32Array(5000).fill(2), 5000)).toBe(z); // the output recycles z
      } finally {
        plain.dispose();
      }
    });

  it('asks the garbage collector for blocks only when views pile up unreleased', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true });
    let collections = 0;
    const heap = new WasmHeap(memory, 0, 1024 * 65536, true, () => collections++, 1024 * 65536, 1 << 20);
    for (let i = 0; i < 100; i++) heap.release(heap.view(64 * 1024)!); // 25 MiB out, each view handed back
    expect(collections).toBe(0);
    const held = Array.from({ length: 5 }, () => heap.view(64 * 1024)!); // 1.25 MiB out, none handed back
    expect(collections).toBe(1);
    expect(held.every((v) => v.length === 64 * 1024)).toBe(true);
  });

  it('gives the same bits as ordinary arrays: matmul, elementwise, rows, indexing, Adam', () => {
    const [M, K, N] = [70, 300, 90];
    const a = values(M * K, 1), b = values(K * N, 2), bias = values(N, 3);
    const plain = new Float32Array(M * N), inPlace = alloc(k, M * N);
    matmul(k, a, b, plain, 1, M, K, N, false, false, false, bias);
    matmul(k, resident(a), resident(b), inPlace, 1, M, K, N, false, false, false, resident(bias));
    expect(inPlace).toEqual(plain);

    const x = values(200_000, 4), y = values(200_000, 5);
    for (const op of ['add', 'div', 'maximum'] as const) {
      const p = new Float32Array(x.length), r = alloc(k, x.length);
      binary(k, op, x, y, p, 1, false);
      binary(k, op, resident(x), resident(y), r, 1, false);
      expect(r).toEqual(p);
    }
    for (const op of ['gelu', 'exp', 'sqrt'] as const) {
      const p = new Float32Array(x.length), r = alloc(k, x.length);
      unary(k, op, x, p);
      unary(k, op, resident(x), r);
      expect(r).toEqual(p);
    }
    const [rows, d] = [400, 500];
    const p = new Float32Array(rows * d), r = alloc(k, rows * d);
    layerNorm(k, x.subarray(0, rows * d), rows, d, 1e-5, p);
    layerNorm(k, resident(x.subarray(0, rows * d)), rows, d, 1e-5, r);
    expect(r).toEqual(p);
    const sums = new Float32Array(d), rSums = alloc(k, d);
    reduce(k, 'sum', x.subarray(0, rows * d), sums, 1, rows, d);
    reduce(k, 'sum', resident(x.subarray(0, rows * d)), rSums, 1, rows, d);
    expect(rSums).toEqual(sums);

    const [B, kk, dd, n] = [64, 8, 32, 100];
    const idx = Float32Array.from({ length: B * kk }, (_, i) => (i * 37) % n);
    const v = values(B * kk, 6), xs = values(B * dd, 7), w = values(n * dd, 8);
    const g1 = new Float32Array(B * dd), g2 = alloc(k, B * dd);
    gatherCombine(k, v, w, idx, B, kk, dd, n, g1);
    gatherCombine(k, resident(v), resident(w), resident(idx), B, kk, dd, n, g2);
    expect(g2).toEqual(g1);
    const s1 = new Float32Array(n * dd), s2 = alloc(k, n * dd);
    const ridx = resident(idx);
    scatterOuter(k, v, xs, idx, B, kk, dd, n, s1);
    scatterOuter(k, resident(v), resident(xs), ridx, B, kk, dd, n, s2);
    expect(s2).toEqual(s1);
    expect(ridx).toEqual(idx); // an index is checked in a copy, never converted in place

    const o = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 3 };
    const [pp, gg, mm] = [values(10_000, 9), values(10_000, 10), values(10_000, 11)];
    const vv = values(10_000, 12).map(Math.abs);
    const [rp, rg, rm, rv] = [resident(pp), resident(gg), resident(mm), resident(vv)];
    adam(k, pp, gg, mm, vv, o);
    adam(k, rp, rg, rm, rv, o);
    expect([rp, rm, rv]).toEqual([pp, mm, vv]);
  });
});
