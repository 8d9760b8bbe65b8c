/**
 * Gathers and scatters through index tensors (integers stored as floats).
 *
 * A gather is one read per output. A GPU thread cannot add into another thread's output, so a
 * scatter is turned around: each output element loops over the indices and sums the sources
 * that name it. scatterOuter, whose loop would run over every (b, j) for each of n * d outputs,
 * is instead a dense scatter followed by a matmul: out = scatterLast(a)^T @ x.
 */
import { matmul } from './matmul.js';
import type { GpuStorage, Runtime } from './runtime.js';

/** out[i, c] = table[idx[i], c] */
const GATHER_ROWS = `function (table, idx) {
  const i = idiv(this.thread.x, this.constants.cols);
  const c = this.thread.x - i * this.constants.cols;
  return table[idx[i] * this.constants.cols + c];
}`;

/** out[r, c] = sum over i with idx[i] = r of src[i, c] */
const SCATTER_ADD_ROWS = `function (src, idx) {
  const r = idiv(this.thread.x, this.constants.cols);
  const c = this.thread.x - r * this.constants.cols;
  let acc = 0;
  for (let i = 0; i < this.constants.n; i++) {
    if (idx[i] == r) { acc += src[i * this.constants.cols + c]; }
  }
  return acc;
}`;

/** out[o, j] = x[o, idx[o, j]] */
const GATHER_LAST = `function (x, idx) {
  const o = idiv(this.thread.x, this.constants.k);
  return x[o * this.constants.n + idx[this.thread.x]];
}`;

/** out[o, c] = sum over j with idx[o, j] = c of src[o, j] */
const SCATTER_LAST = `function (src, idx) {
  const o = idiv(this.thread.x, this.constants.n);
  const c = this.thread.x - o * this.constants.n;
  let acc = 0;
  for (let j = 0; j < this.constants.k; j++) {
    if (idx[o * this.constants.k + j] == c) { acc += src[o * this.constants.k + j]; }
  }
  return acc;
}`;

/** out[b, j] = x[b, :] . W[idx[b, j], :] */
const GATHER_DOT = `function (x, w, idx) {
  const b = idiv(this.thread.x, this.constants.k);
  const x0 = b * this.constants.d;
  const w0 = idx[this.thread.x] * this.constants.d;
  let acc = 0;
  for (let c = 0; c < this.constants.d; c++) { acc += x[x0 + c] * w[w0 + c]; }
  return acc;
}`;

/** out[b, c] = sum_j v[b, j] * W[idx[b, j], c] */
const GATHER_COMBINE = `function (v, w, idx) {
  const b = idiv(this.thread.x, this.constants.d);
  const c = this.thread.x - b * this.constants.d;
  let acc = 0;
  for (let j = 0; j < this.constants.k; j++) {
    const at = b * this.constants.k + j;
    acc += v[at] * w[idx[at] * this.constants.d + c];
  }
  return acc;
}`;

export function gatherRows(rt: Runtime, table: GpuStorage, cols: number, idx: GpuStorage, n: number): GpuStorage {
  return rt.run({ source: GATHER_ROWS, size: n * cols, constants: { cols } }, table, idx);
}

export function scatterAddRows(rt: Runtime, src: GpuStorage, n: number, cols: number, idx: GpuStorage,
  rows: number): GpuStorage {
  return rt.run({ source: SCATTER_ADD_ROWS, size: rows * cols, constants: { cols, n } }, src, idx);
}

export function gatherLast(rt: Runtime, x: GpuStorage, outer: number, n: number, idx: GpuStorage,
  k: number): GpuStorage {
  return rt.run({ source: GATHER_LAST, size: outer * k, constants: { n, k } }, x, idx);
}

export function scatterLast(rt: Runtime, src: GpuStorage, outer: number, k: number, idx: GpuStorage,
  n: number): GpuStorage {
  return rt.run({ source: SCATTER_LAST, size: outer * n, constants: { n, k } }, src, idx);
}

export function gatherDot(rt: Runtime, x: GpuStorage, w: GpuStorage, idx: GpuStorage, B: number, k: number,
  d: number): GpuStorage {
  return rt.run({ source: GATHER_DOT, size: B * k, constants: { k, d } }, x, w, idx);
}

export function gatherCombine(rt: Runtime, v: GpuStorage, w: GpuStorage, idx: GpuStorage, B: number, k: number,
  d: number): GpuStorage {
  return rt.run({ source: GATHER_COMBINE, size: B * d, constants: { k, d } }, v, w, idx);
}

/**
 * out [n, d] = sum over (b, j) of a[b, j] * x[b, :] into row idx[b, j]: scatter a to [B, n], then
 * [B, n]^T @ x [B, d].
 */
export function scatterOuter(rt: Runtime, a: GpuStorage, x: GpuStorage, idx: GpuStorage, B: number, k: number,
  d: number, n: number): GpuStorage {
  const dense = scatterLast(rt, a, B, k, idx, n);
  return matmul(rt, dense, x, 1, n, B, d, true, false, false);
}
