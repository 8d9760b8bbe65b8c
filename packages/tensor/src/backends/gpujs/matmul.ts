/**
 * Batched matmul in every transpose form, one output element per thread:
 * out[p, i, j] = sum_k op(A)[p, i, k] * op(B)[p or 0, k, j].
 *
 * Transposes cost nothing: op(A)[i, k] is A at i * aRow + k * aCol, with (aRow, aCol) = (K, 1)
 * for A stored [M, K] and (1, M) for A stored [K, M]. WebGL 1 has no shared memory, so there is
 * no tiling to do in a fragment shader; the GPU's texture cache does what it can.
 */
import type { GpuStorage, Runtime } from './runtime.js';

/** The kernel, with a bias [N] added to every row when `bias` (a Linear layer's matmul). */
const matmulSource = (bias: boolean) => `function (a, b${bias ? ', bias' : ''}) {
  const p = idiv(this.thread.x, this.constants.MN);
  const r = this.thread.x - p * this.constants.MN;
  const i = idiv(r, this.constants.N);
  const j = r - i * this.constants.N;
  const a0 = p * this.constants.aBatch + i * this.constants.aRow;
  const b0 = p * this.constants.bBatch + j * this.constants.bCol;
  let acc = 0;
  for (let k = 0; k < this.constants.K; k++) {
    acc += a[a0 + k * this.constants.aCol] * b[b0 + k * this.constants.bRow];
  }
  return ${bias ? 'acc + bias[j]' : 'acc'};
}`;
const MATMUL = matmulSource(false);
const MATMUL_BIAS = matmulSource(true);

/** out [batch, M, N] = op(A) @ op(B) (+ bias [N] on every row); B is shared across the batch unless bBatched. */
export function matmul(rt: Runtime, a: GpuStorage, b: GpuStorage, batch: number, M: number, K: number, N: number,
  transA: boolean, transB: boolean, bBatched: boolean, bias?: GpuStorage): GpuStorage {
  const [aRow, aCol] = transA ? [1, M] : [K, 1];
  const [bRow, bCol] = transB ? [1, K] : [N, 1];
  const constants = { MN: M * N, N, K, aRow, aCol, bRow, bCol, aBatch: M * K, bBatch: bBatched ? K * N : 0 };
  const size = batch * M * N;
  return bias
    ? rt.run({ source: MATMUL_BIAS, size, constants }, a, b, bias)
    : rt.run({ source: MATMUL, size, constants }, a, b);
}
