/**
 * Reductions: sum and max over one axis, and the row-wise ops built on row statistics: layer
 * norm and softmax, and their gradients.
 *
 * One thread makes one output by a loop, which on a GPU is slow for a long axis with few
 * outputs (a bias gradient sums 5,000 rows into 128 outputs). So a long axis is reduced in two
 * passes: chunks of CHUNK elements first, then the chunk results. That also keeps float32 sums
 * closer to the exact ones (error grows with the length of each running sum).
 */
import type { ReduceOp } from '../../backend.js';
import type { GpuStorage, Runtime } from './runtime.js';

/** Elements one thread reduces in a pass. */
const CHUNK = 64;

/** How each op folds one more element x into its running value. Max lets NaN win, as the reference does. */
const COMBINE: Record<ReduceOp, string> = {
  sum: 'acc + x', max: '(x > acc || x != x) ? x : acc',
};

/**
 * [outer, n, inner] -> [outer, chunks, inner]: output (o, ch, i) reduces elements ch * chunk ..
 * ch * chunk + chunk - 1 (those below n) of the axis. Each chunk holds at least one element.
 */
const reduceSource = (op: ReduceOp) => `function (a) {
  const perOuter = this.constants.chunks * this.constants.inner;
  const o = idiv(this.thread.x, perOuter);
  const r = this.thread.x - o * perOuter;
  const ch = idiv(r, this.constants.inner);
  const i = r - ch * this.constants.inner;
  const first = ch * this.constants.chunk;
  const base = (o * this.constants.n + first) * this.constants.inner + i;
  let acc = a[base];
  for (let j = 1; j < this.constants.chunk; j++) {
    if (first + j < this.constants.n) {
      const x = a[base + j * this.constants.inner];
      acc = ${COMBINE[op]};
    }
  }
  return acc;
}`;

/** Reduces axis n of a viewed as [outer, n, inner] (n >= 1) to [outer, 1, inner]. */
export function reduce(rt: Runtime, op: ReduceOp, a: GpuStorage, outer: number, n: number, inner: number): GpuStorage {
  const chunk = n <= CHUNK ? n : CHUNK;
  const chunks = Math.ceil(n / chunk);
  const constants = { n, inner, chunk, chunks };
  const partial = rt.run({ source: reduceSource(op), size: outer * chunks * inner, constants }, a);
  return chunks === 1 ? partial : reduce(rt, op, partial, outer, chunks, inner);
}

// Layer norm over rows of d: statistics per row first, then one elementwise pass.

/** [rows, d] -> [rows, 2]: each row's mean and 1 / sqrt(biased variance + eps), two passes as the reference. */
const ROW_STATS = `function (x) {
  const row = idiv(this.thread.x, 2);
  const o = row * this.constants.d;
  let mean = 0;
  for (let c = 0; c < this.constants.d; c++) { mean += x[o + c]; }
  mean = mean / this.constants.d;
  if (this.thread.x - 2 * row == 0) { return mean; }
  let v = 0;
  for (let c = 0; c < this.constants.d; c++) {
    const dx = x[o + c] - mean;
    v += dx * dx;
  }
  return 1 / Math.sqrt(v / this.constants.d + this.constants.eps);
}`;

/** y = (x - mean) * rstd */
const NORMALISE = `function (x, stats) {
  const row = idiv(this.thread.x, this.constants.d);
  return (x[this.thread.x] - stats[2 * row]) * stats[2 * row + 1];
}`;

/** [rows, d] -> [rows, 2]: mean(g) and mean(g * y) per row. */
const GRAD_STATS = `function (x, g, stats) {
  const row = idiv(this.thread.x, 2);
  const o = row * this.constants.d;
  const mean = stats[2 * row];
  const rstd = stats[2 * row + 1];
  const which = this.thread.x - 2 * row;
  let acc = 0;
  for (let c = 0; c < this.constants.d; c++) {
    if (which == 0) { acc += g[o + c]; } else { acc += g[o + c] * (x[o + c] - mean) * rstd; }
  }
  return acc / this.constants.d;
}`;

/** dx = (g - mean(g) - y * mean(g y)) * rstd */
const NORMALISE_GRAD = `function (x, g, stats, gStats) {
  const row = idiv(this.thread.x, this.constants.d);
  const rstd = stats[2 * row + 1];
  const y = (x[this.thread.x] - stats[2 * row]) * rstd;
  return (g[this.thread.x] - gStats[2 * row] - y * gStats[2 * row + 1]) * rstd;
}`;

function rowStats(rt: Runtime, x: GpuStorage, rows: number, d: number, eps: number): GpuStorage {
  return rt.run({ source: ROW_STATS, size: rows * 2, constants: { d, eps } }, x);
}

/** Each row of x [rows, d] normalised to zero mean and unit variance. */
export function layerNorm(rt: Runtime, x: GpuStorage, rows: number, d: number, eps: number): GpuStorage {
  return rt.run({ source: NORMALISE, size: rows * d, constants: { d } }, x, rowStats(rt, x, rows, d, eps));
}

/** The gradient of layerNorm at x for the output gradient g. */
export function layerNormGrad(rt: Runtime, x: GpuStorage, g: GpuStorage, rows: number, d: number,
  eps: number): GpuStorage {
  const stats = rowStats(rt, x, rows, d, eps);
  const gStats = rt.run({ source: GRAD_STATS, size: rows * 2, constants: { d } }, x, g, stats);
  return rt.run({ source: NORMALISE_GRAD, size: rows * d, constants: { d } }, x, g, stats, gStats);
}

// Softmax over rows of n: the row's max and sum of exp(x - max) first, then one elementwise pass.

/** [rows, n] -> [rows, 2]: each row's max, and the sum of exp(x - max) over it. */
const SOFTMAX_STATS = `function (x) {
  const row = idiv(this.thread.x, 2);
  const o = row * this.constants.n;
  let m = x[o];
  for (let c = 1; c < this.constants.n; c++) { m = Math.max(m, x[o + c]); }
  if (this.thread.x - 2 * row == 0) { return m; }
  let s = 0;
  for (let c = 0; c < this.constants.n; c++) { s += Math.exp(x[o + c] - m); }
  return s;
}`;

/** y = exp(x - max) / sum */
const SOFTMAX = `function (x, stats) {
  const row = idiv(this.thread.x, this.constants.n);
  return Math.exp(x[this.thread.x] - stats[2 * row]) / stats[2 * row + 1];
}`;

/** [rows, n] -> [rows]: sum(g * y) per row. */
const ROW_DOT = `function (y, g) {
  const o = this.thread.x * this.constants.n;
  let acc = 0;
  for (let c = 0; c < this.constants.n; c++) { acc += g[o + c] * y[o + c]; }
  return acc;
}`;

/** dx = y * (g - sum(g * y)) */
const SOFTMAX_GRAD = `function (y, g, dot) {
  const row = idiv(this.thread.x, this.constants.n);
  return y[this.thread.x] * (g[this.thread.x] - dot[row]);
}`;

/** softmax of each row of x [rows, n]. */
export function softmax(rt: Runtime, x: GpuStorage, rows: number, n: number): GpuStorage {
  const stats = rt.run({ source: SOFTMAX_STATS, size: rows * 2, constants: { n } }, x);
  return rt.run({ source: SOFTMAX, size: rows * n, constants: { n } }, x, stats);
}

/** softmax's gradient from its output y and the output gradient g. */
export function softmaxGrad(rt: Runtime, y: GpuStorage, g: GpuStorage, rows: number, n: number): GpuStorage {
  const dot = rt.run({ source: ROW_DOT, size: rows, constants: { n } }, y, g);
  return rt.run({ source: SOFTMAX_GRAD, size: rows * n, constants: { n } }, y, g, dot);
}
