// Wrappers for the row-wise kernels (reductions, layer norm, top-k). Operands that live in the kernels' memory
// are used in place, all rows in one call; ordinary arrays pass through the arena in whole rows, as many at a
// time as fit in about CHUNK floats (rows are independent, so the grouping never changes a value).
import { align64, CHUNK, input, output } from './arena.js';
import { CTRL_BYTES, PARALLEL_MIN, runParallel, runShared, UNIT_ELEMENTS } from './shared.js';
import type { Instance } from './loader.js';
import { checkDim, checkLen } from './gemm.js';

/** How many rows of rowFloats floats go through the arena at a time. */
const groupSize = (rows: number, rowFloats: number): number =>
  Math.max(1, Math.min(rows, Math.floor(CHUNK / Math.max(1, rowFloats))));

/** Calls fn(first, count) for consecutive groups of groupSize whole rows. */
function rowGroups(rows: number, rowFloats: number, fn: (first: number, count: number) => void): void {
  const per = groupSize(rows, rowFloats);
  for (let r = 0; r < rows; r += per) fn(r, Math.min(per, rows - r));
}

/** Reductions of at least this many elements are shared between the threads. */
const REDUCE_SHARE_MIN = 1024 * 1024;

/** Rows per unit when rows of `rowFloats` floats are shared out: about UNIT_ELEMENTS floats. */
const rowsPerUnit = (rowFloats: number): number => Math.max(1, Math.floor(UNIT_ELEMENTS / Math.max(1, rowFloats)));

/** Shares a call over `rows` rows of `rowFloats` floats between the threads, if it is big enough and the operands
 *  live in the memory; returns false (having done nothing) otherwise. args(per) gives the kind's argument slots. */
function rowsInParallel(inst: Instance, kind: 'layerNorm' | 'layerNormGrad' | 'softmax' | 'softmaxGrad', rows: number,
  rowFloats: number, operands: Float32Array[], args: (at: number[], per: number) => number[],
  floatSlot?: number): boolean {
  if (!inst.helpers || rows * rowFloats < PARALLEL_MIN || !inst.arena.resident(...operands)) return false;
  const per = rowsPerUnit(rowFloats);
  const at = operands.map((o) => inst.arena.addressOf(o));
  const floatSlots = floatSlot === undefined ? [] : [floatSlot];
  runParallel(inst, kind, () => args(at, per), Math.ceil(rows / per), { floatSlots });
  return true;
}

/** Reduces the middle axis of a viewed as [outer, n, inner] into out [outer, inner]. */
export function reduce(inst: Instance, op: 'sum' | 'max', a: Float32Array, out: Float32Array,
  outer: number, n: number, inner: number): void {
  const { ex, arena } = inst;
  if (op !== 'sum' && op !== 'max') throw new Error(`wasm kernels: unknown reduce op ${String(op)}`);
  checkDim('outer', outer); checkDim('n', n); checkDim('inner', inner);
  const slab = n * inner;
  checkLen('a', a, outer * slab); checkLen('out', out, outer * inner);
  if (outer * inner === 0) return;
  const code = op === 'sum' ? 0 : 1;
  const accFloats = 2 * outer * inner; // the column sums' running f64 totals
  if (arena.resident(a, out)) {
    const args = [code, arena.addressOf(a), arena.addressOf(out), outer, n, inner] as const;
    // A sum is a load and an add an element: below a few MB the second thread's start-up costs what it saves.
    if (inst.helpers && outer * n * inner >= REDUCE_SHARE_MIN) {
      // Rows of [outer, n] when inner is 1; else blocks of 64 columns (each column's sum runs down it in order).
      const per = inner === 1 ? rowsPerUnit(n) : 64;
      const units = inner === 1 ? Math.ceil(outer / per) : outer * Math.ceil(inner / per);
      return runParallel(inst, 'reduce', ([acc]) => [...args, per, acc!], units, { scratch: [accFloats] });
    }
    return ex.reduce(...args, arena.layout(accFloats)[0]!);
  }
  const per = groupSize(outer, slab);
  const [pA, pOut, pAcc] = arena.layout(per * slab, per * inner, 2 * per * inner); // the last: running f64 sums
  rowGroups(outer, slab, (o, cnt) => {
    arena.put(pA!, a.subarray(o * slab, (o + cnt) * slab));
    ex.reduce(code, pA!, pOut!, cnt, n, inner, pAcc!);
    arena.read(pOut!, cnt * inner, out, o * inner);
  });
}

/** Each row of x [rows, d] normalised to zero mean and unit variance: (x - mean) / sqrt(var + eps). */
export function layerNorm(inst: Instance, x: Float32Array, rows: number, d: number, eps: number,
  out: Float32Array): void {
  const { ex, arena } = inst;
  checkDim('rows', rows); checkDim('d', d); checkLen('x', x, rows * d); checkLen('out', out, rows * d);
  if (rows * d === 0) return;
  if (rowsInParallel(inst, 'layerNorm', rows, d, [x, out], ([px, po], per) => [px!, po!, rows, d, eps, per], 4)) return;
  if (arena.resident(x, out)) return ex.layerNorm(arena.addressOf(x), arena.addressOf(out), rows, d, eps);
  const per = groupSize(rows, d);
  const [pX, pOut] = arena.layout(per * d, per * d);
  rowGroups(rows, d, (r, cnt) => {
    arena.put(pX!, x.subarray(r * d, (r + cnt) * d));
    ex.layerNorm(pX!, pOut!, cnt, d, eps);
    arena.read(pOut!, cnt * d, out, r * d);
  });
}

/** layerNorm's gradient at x for the output gradient g (both [rows, d]): with y its output,
 *  (g - mean(g) - y mean(g y)) / sqrt(var + eps). */
export function layerNormGrad(inst: Instance, x: Float32Array, g: Float32Array, rows: number, d: number,
  eps: number, out: Float32Array): void {
  const { ex, arena } = inst;
  checkDim('rows', rows); checkDim('d', d);
  checkLen('x', x, rows * d); checkLen('g', g, rows * d); checkLen('out', out, rows * d);
  if (rows * d === 0) return;
  const args = ([px, pg, po]: number[], per: number) => [px!, pg!, po!, rows, d, eps, per];
  if (rowsInParallel(inst, 'layerNormGrad', rows, d, [x, g, out], args, 5)) return;
  if (arena.resident(x, g, out)) {
    return ex.layerNormGrad(arena.addressOf(x), arena.addressOf(g), arena.addressOf(out), rows, d, eps);
  }
  const per = groupSize(rows, d);
  const [pX, pG, pOut] = arena.layout(per * d, per * d, per * d);
  rowGroups(rows, d, (r, cnt) => {
    arena.put(pX!, x.subarray(r * d, (r + cnt) * d));
    arena.put(pG!, g.subarray(r * d, (r + cnt) * d));
    ex.layerNormGrad(pX!, pG!, pOut!, cnt, d, eps);
    arena.read(pOut!, cnt * d, out, r * d);
  });
}

/** softmax of each row of x [rows, n]. */
export function softmax(inst: Instance, x: Float32Array, rows: number, n: number, out: Float32Array): void {
  const { ex, arena } = inst;
  checkDim('rows', rows); checkDim('n', n); checkLen('x', x, rows * n); checkLen('out', out, rows * n);
  if (rows * n === 0) return;
  if (rowsInParallel(inst, 'softmax', rows, n, [x, out], ([px, po], per) => [px!, po!, rows, n, per])) return;
  if (arena.resident(x, out)) return ex.softmax(arena.addressOf(x), arena.addressOf(out), rows, n);
  const per = groupSize(rows, n);
  const [pX, pOut] = arena.layout(per * n, per * n);
  rowGroups(rows, n, (r, cnt) => {
    arena.put(pX!, x.subarray(r * n, (r + cnt) * n));
    ex.softmax(pX!, pOut!, cnt, n);
    arena.read(pOut!, cnt * n, out, r * n);
  });
}

/** softmax's gradient from its output y and the output gradient g (both [rows, n]): y * (g - sum(g * y)). */
export function softmaxGrad(inst: Instance, y: Float32Array, g: Float32Array, rows: number, n: number,
  out: Float32Array): void {
  const { ex, arena } = inst;
  checkDim('rows', rows); checkDim('n', n);
  checkLen('y', y, rows * n); checkLen('g', g, rows * n); checkLen('out', out, rows * n);
  if (rows * n === 0) return;
  const args = ([py, pg, po]: number[], per: number) => [py!, pg!, po!, rows, n, per];
  if (rowsInParallel(inst, 'softmaxGrad', rows, n, [y, g, out], args)) return;
  if (arena.resident(y, g, out)) {
    return ex.softmaxGrad(arena.addressOf(y), arena.addressOf(g), arena.addressOf(out), rows, n);
  }
  const per = groupSize(rows, n);
  const [pY, pG, pOut] = arena.layout(per * n, per * n, per * n);
  rowGroups(rows, n, (r, cnt) => {
    arena.put(pY!, y.subarray(r * n, (r + cnt) * n));
    arena.put(pG!, g.subarray(r * n, (r + cnt) * n));
    ex.softmaxGrad(pY!, pG!, pOut!, cnt, n);
    arena.read(pOut!, cnt * n, out, r * n);
  });
}

/** Top-k of at least this many elements is shared between the threads (rows are independent). */
const TOPK_SHARE_MIN = 64 * 1024;

/** Per row of x [rows, n]: the k largest values in descending order and their column indices
 *  (written as float32 integers); ties keep the lower index first, NaN counts as largest. */
export function topk(inst: Instance, x: Float32Array, rows: number, n: number, k: number,
  values: Float32Array, indices: Float32Array): void {
  const { ex, arena } = inst;
  checkDim('rows', rows); checkDim('n', n); checkDim('k', k);
  if (k > n) throw new RangeError(`wasm kernels: topk k=${k} > n=${n}`);
  checkLen('x', x, rows * n); checkLen('values', values, rows * k); checkLen('indices', indices, rows * k);
  if (rows === 0 || k === 0) return;
  const scratch = 2 * (n + 4) + 64; // floats of scratch per thread
  if (inst.helpers && rows * n >= TOPK_SHARE_MIN) {
    const threads = inst.helpers.helpers + 1;
    const scratchBytes = align64(scratch * 4); // each thread's scratch starts on its own cache line
    const ops = arena.place([input(x, rows * n), output(values, rows * k), output(indices, rows * k),
      (scratchBytes / 4) * threads, CTRL_BYTES / 4]);
    const [pX, pV, pI, pScratch, pCtrl] = ops.at;
    const args = (t: number) => [pX!, rows, n, k, pV!, pI!, pScratch! + t * scratchBytes, pCtrl!];
    runShared(inst, 'topkShared', args, pCtrl!, ops.copyIn);
    return ops.copyOut();
  }
  if (arena.resident(x, values, indices)) {
    const [pScratch] = arena.layout(scratch);
    return ex.topk(arena.addressOf(x), rows, n, k, arena.addressOf(values), arena.addressOf(indices), pScratch!);
  }
  const per = groupSize(rows, n);
  const [pX, pV, pI, pScratch] = arena.layout(per * n, per * k, per * k, scratch);
  rowGroups(rows, n, (r, cnt) => {
    arena.put(pX!, x.subarray(r * n, (r + cnt) * n));
    ex.topk(pX!, cnt, n, k, pV!, pI!, pScratch!);
    arena.read(pV!, cnt * k, values, r * k);
    arena.read(pI!, cnt * k, indices, r * k);
  });
}
