// Tests for the WebAssembly matmul kernel (src/backends/wasm/gemm.ts) against a naive float64 JavaScript matmul.
import { describe, expect, it } from 'vitest';
import { matmul } from '../src/backends/wasm/gemm.js';
// The kernels are embedded in a generated (gitignored) file: the loader builds it if this checkout has not yet.
import { kernelPair, workerUnits } from './wasm-kernels-loader.js';
import { bitsEqual, firstDiff, randArray } from './wasm-kernels-data.js';

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

const [k1, k2] = await kernelPair();

const TRANS: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

/** Runs a matmul on 1 and 2 threads, checks both against float64 and against each other (bit-identical). */
function checkMatmul(batch: number, M: number, K: number, N: number, tA: boolean, tB: boolean, bBatched: boolean,
  seed: number): void {
  const a = randArray(batch * M * K, seed);
  const b = randArray((bBatched ? batch : 1) * K * N, seed + 1);
  const o1 = new Float32Array(batch * M * N).fill(NaN);
  const o2 = new Float32Array(batch * M * N).fill(NaN);
  matmul(k1, a, b, o1, batch, M, K, N, tA, tB, bBatched);
  matmul(k2, a, b, o2, batch, M, K, N, tA, tB, bBatched);
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
    expect(workerUnits(k2)).toBeGreaterThan(0);
  });

  it('K = 1 and K = 0', () => {
    for (const [tA, tB] of TRANS) checkMatmul(2, 9, 1, 17, tA, tB, true, 21);
    const out = new Float32Array(6).fill(7);
    matmul(k2, new Float32Array(0), new Float32Array(0), out, 1, 2, 0, 3, false, false, false);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('is bit-identical across thread counts and repeated calls on a range of shapes', () => {
    const shapes: [number, number, number, number][] = [
      [1, 256, 128, 1024], [1, 1000, 64, 100], [1, 64, 512, 3000], [2, 300, 257, 301], [1, 2000, 3, 600],
    ];
    for (const [batch, M, K, N] of shapes) {
      const a = randArray(batch * M * K, M + K), b = randArray(batch * K * N, N + 3);
      const size = batch * M * N;
      const o1 = new Float32Array(size), o2 = new Float32Array(size), o3 = new Float32Array(size);
      matmul(k1, a, b, o1, batch, M, K, N, false, true, true);
      matmul(k2, a, b, o2, batch, M, K, N, false, true, true);
      matmul(k2, a, b, o3, batch, M, K, N, false, true, true);
      expect(bitsEqual(o1, o2), `${batch}x${M}x${K}x${N}`).toBe(true);
      expect(bitsEqual(o2, o3)).toBe(true);
    }
  });

  it('reads only the needed prefix of longer inputs and rejects short ones', () => {
    const a = randArray(3 * 4 + 5, 1), b = randArray(4 * 2 + 9, 2), out = new Float32Array(3 * 2 + 1).fill(-1);
    matmul(k1, a, b, out, 1, 3, 4, 2, false, false, false);
    const { out: ref } = refMatmul(a, b, 1, 3, 4, 2, false, false, false);
    for (let i = 0; i < 6; i++) expect(out[i]).toBeCloseTo(ref[i]!, 5);
    expect(out[6]).toBe(-1);
    expect(() => matmul(k1, a, b, new Float32Array(5), 1, 3, 4, 2, false, false, false)).toThrow(RangeError);
  });
});
