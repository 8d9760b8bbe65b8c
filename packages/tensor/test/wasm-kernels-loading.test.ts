// Tests for loading the WebAssembly kernels (src/backends/wasm/loader.ts): thread counts, memory growth, the module
// without SharedArrayBuffer, dispose (the backend's, src/backends/wasm.ts).
import { describe, expect, it } from 'vitest';
import { binary, unary } from '../src/backends/wasm/elementwise.js';
import { matmul } from '../src/backends/wasm/gemm.js';
// The kernels are embedded in a generated (gitignored) file: the loader builds it if this checkout has not yet.
import {
  createWasmBackend, disposeInstance, instantiate, kernelPair, threadsOf, type Instance,
} from './wasm-kernels-loader.js';
import { bitsEqual, randArray } from './wasm-kernels-data.js';

const [k1, k2] = await kernelPair();

describe('loader', () => {
  it('reports its thread count, honours SAELAB_WASM_THREADS and the threads option', async () => {
    expect(threadsOf(k1)).toBe(1);
    expect(threadsOf(k2)).toBe(2);
    const saved = process.env.SAELAB_WASM_THREADS;
    try {
      process.env.SAELAB_WASM_THREADS = '1';
      const k = await instantiate();
      expect(threadsOf(k)).toBe(1);
      disposeInstance(k);
      const k3 = await instantiate({ threads: 2 }); // explicit option wins over the variable
      expect(threadsOf(k3)).toBe(2);
      disposeInstance(k3);
    } finally {
      if (saved === undefined) delete process.env.SAELAB_WASM_THREADS;
      else process.env.SAELAB_WASM_THREADS = saved;
    }
  });

  it('default is 2 threads in Node and grows its memory for big calls', async () => {
    const saved = process.env.SAELAB_WASM_THREADS;
    delete process.env.SAELAB_WASM_THREADS;
    const k = await instantiate();
    try {
      expect(threadsOf(k)).toBe(2);
      const n = 6_000_000; // 24 MB operand, beyond the initial memory
      const a = new Float32Array(n).fill(2), out = new Float32Array(n);
      binary(k, 'mul', a, new Float32Array([1.5]), out, 1, false);
      expect(out[n - 1]).toBe(3);
      const M = 1500, K = 1000, N = 8; // 6 MB A + packed copy
      const A = randArray(M * K, 77), B = randArray(K * N, 78);
      const C = new Float32Array(M * N), C1 = new Float32Array(M * N);
      matmul(k, A, B, C, 1, M, K, N, false, false, false);
      matmul(k1, A, B, C1, 1, M, K, N, false, false, false);
      expect(bitsEqual(C, C1)).toBe(true);
    } finally {
      disposeInstance(k);
      if (saved !== undefined) process.env.SAELAB_WASM_THREADS = saved;
    }
  });

  it('without SharedArrayBuffer: the single-threaded module on a plain memory, identical results', async () => {
    const g = globalThis as { SharedArrayBuffer?: unknown };
    const saved = g.SharedArrayBuffer;
    let k: Instance;
    try {
      delete g.SharedArrayBuffer;
      k = await instantiate({ threads: 2 });
    } finally {
      g.SharedArrayBuffer = saved;
    }
    try {
      expect(threadsOf(k)).toBe(1);
      const [M, K, N] = [70, 1100, 45];
      const a = randArray(M * K, 1), b = randArray(K * N, 2);
      const o1 = new Float32Array(M * N), o2 = new Float32Array(M * N);
      matmul(k, a, b, o1, 1, M, K, N, true, false, false);
      matmul(k2, a, b, o2, 1, M, K, N, true, false, false);
      expect(bitsEqual(o1, o2)).toBe(true);
      const e1 = new Float32Array(1000), e2 = new Float32Array(1000);
      unary(k, 'erf', randArray(1000, 3, 3), e1);
      unary(k2, 'erf', randArray(1000, 3, 3), e2);
      expect(bitsEqual(e1, e2)).toBe(true);
    } finally {
      disposeInstance(k);
    }
  });

  it('the backend reports its threads, and throws after dispose', async () => {
    const b = await createWasmBackend({ threads: 2 });
    expect(b.threads).toBe(2);
    b.dispose();
    expect(() => b.unary('neg', new Float32Array(4), 4)).toThrow(/dispose/);
    b.dispose(); // a second dispose does nothing
  });
});
