// Storage that lives in the wasm kernels' memory (src/backends/wasm/heap.ts): kernels use it in place and must
// give exactly the bits they give on ordinary arrays (copied in and out), and released blocks are reused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { WasmHeap } from '../src/backends/wasm/heap.js';
import { loadWasmKernels, type WasmKernels } from './wasm-kernels-loader.js';

let k: WasmKernels;
beforeAll(async () => {
  k = await loadWasmKernels({ threads: 2 });
});
afterAll(() => k?.dispose());

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
  const r = k.alloc(a.length);
  if (!r) throw new Error('no resident storage here (the memory is not shared?)');
  r.set(a);
  return r;
}

describe('resident storage', () => {
  it('lives in the memory on Node with threads, and its block is reused once freed', () => {
    const a = k.alloc(5000)!;
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(5000);
    const at = a.byteOffset;
    expect(k.free(a)).toBe(true);
    // A second release is ignored: the block is handed out once, and the view is not the caller's to pool.
    expect(k.free(a)).toBe(true);
    const [b1, b2] = [k.alloc(5000)!, k.alloc(5000)!];
    expect(b1.byteOffset).toBe(at);
    expect(b2.byteOffset).not.toBe(at);
    expect(k.free(new Float32Array(5000))).toBe(false); // an ordinary array: the caller may pool it
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
    const plain = new Float32Array(M * N), inPlace = k.alloc(M * N)!;
    k.matmul(a, b, plain, 1, M, K, N, false, false, false, bias);
    k.matmul(resident(a), resident(b), inPlace, 1, M, K, N, false, false, false, resident(bias));
    expect(inPlace).toEqual(plain);

    const x = values(200_000, 4), y = values(200_000, 5);
    for (const op of ['add', 'div', 'maximum'] as const) {
      const p = new Float32Array(x.length), r = k.alloc(x.length)!;
      k.binary(op, x, y, p, 1, false);
      k.binary(op, resident(x), resident(y), r, 1, false);
      expect(r).toEqual(p);
    }
    for (const op of ['gelu', 'exp', 'sqrt'] as const) {
      const p = new Float32Array(x.length), r = k.alloc(x.length)!;
      k.unary(op, x, p);
      k.unary(op, resident(x), r);
      expect(r).toEqual(p);
    }
    const [rows, d] = [400, 500];
    const p = new Float32Array(rows * d), r = k.alloc(rows * d)!;
    k.layerNorm(x.subarray(0, rows * d), rows, d, 1e-5, p);
    k.layerNorm(resident(x.subarray(0, rows * d)), rows, d, 1e-5, r);
    expect(r).toEqual(p);
    const sums = new Float32Array(d), rSums = k.alloc(d)!;
    k.reduce('sum', x.subarray(0, rows * d), sums, 1, rows, d);
    k.reduce('sum', resident(x.subarray(0, rows * d)), rSums, 1, rows, d);
    expect(rSums).toEqual(sums);

    const [B, kk, dd, n] = [64, 8, 32, 100];
    const idx = Float32Array.from({ length: B * kk }, (_, i) => (i * 37) % n);
    const v = values(B * kk, 6), xs = values(B * dd, 7), w = values(n * dd, 8);
    const g1 = new Float32Array(B * dd), g2 = k.alloc(B * dd)!;
    k.gatherCombine(v, w, idx, B, kk, dd, n, g1);
    k.gatherCombine(resident(v), resident(w), resident(idx), B, kk, dd, n, g2);
    expect(g2).toEqual(g1);
    const s1 = new Float32Array(n * dd), s2 = k.alloc(n * dd)!;
    const ridx = resident(idx);
    k.scatterOuter(v, xs, idx, B, kk, dd, n, s1);
    k.scatterOuter(resident(v), resident(xs), ridx, B, kk, dd, n, s2);
    expect(s2).toEqual(s1);
    expect(ridx).toEqual(idx); // an index is checked in a copy, never converted in place

    const o = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 3 };
    const [pp, gg, mm] = [values(10_000, 9), values(10_000, 10), values(10_000, 11)];
    const vv = values(10_000, 12).map(Math.abs);
    const [rp, rg, rm, rv] = [resident(pp), resident(gg), resident(mm), resident(vv)];
    k.adam(pp, gg, mm, vv, o);
    k.adam(rp, rg, rm, rv, o);
    expect([rp, rm, rv]).toEqual([pp, mm, vv]);
  });
});
