// Wrappers for the indexing kernels (assembly/sparse.ts, assembly/movement.ts): the sparse products of a top-k
// code, row and column gathers and scatters, and the strided copy behind permute, expand, slice and pad.
// Operands that live in the kernels' memory are used in place, the others copied through the arena. Index
// tensors (integers stored as floats) are always copied: indexCheck converts them to int32 in the arena and
// throws, with the same error as the reference backend, on a value out of range.
import { input, output } from './arena.js';
import type { Instance } from './loader.js';
import { CTRL_BYTES, runShared } from './shared.js';
import type { StridedCopy } from './strided.js';

/** Copies idx into the arena at addr, converts it to int32 and throws if a value is not an integer in [0, limit). */
function putIndex({ ex, arena }: Instance, op: string, addr: number, idx: Float32Array, count: number,
  limit: number): void {
  if (idx.length < count) throw new RangeError(`${op}: the index has ${idx.length} values, needs ${count}`);
  arena.put(addr, idx, count);
  const bad = ex.indexCheck(addr, count, limit);
  if (bad >= 0) throw new Error(`${op}: index ${idx[bad]} is out of range [0, ${limit})`);
}

/** Sparse products of at least this many multiply-adds (B * k * d) are shared between the threads. */
const SPARSE_SHARE_MIN = 256 * 1024;

/** gatherDot (op 0: a = x [B, d], out [B, k]) or gatherCombine (op 1: a = v [B, k], out [B, d]), on every thread
 *  when big enough (each sample's outputs depend on it alone, so the split never changes a value). */
function sparse(inst: Instance, op: 0 | 1, a: Float32Array, w: Float32Array, idx: Float32Array,
  B: number, k: number, d: number, n: number, out: Float32Array): void {
  const [aLen, outLen] = op === 0 ? [B * d, B * k] : [B * k, B * d];
  const ops = inst.arena.place([input(a, aLen), input(w, n * d), B * k, output(out, outLen), CTRL_BYTES / 4]);
  const [pA, pW, pI, pOut, pCtrl] = ops.at;
  putIndex(inst, op === 0 ? 'gatherDot' : 'gatherCombine', pI!, idx, B * k, n);
  if (inst.helpers && B * k * d >= SPARSE_SHARE_MIN) {
    runShared(inst, 'sparseShared', () => [op, pA!, pW!, pI!, pOut!, B, k, d, pCtrl!], pCtrl!, ops.copyIn);
  } else {
    ops.copyIn();
    if (op === 0) inst.ex.gatherDot(pA!, pW!, pI!, pOut!, B, k, d);
    else inst.ex.gatherCombine(pA!, pW!, pI!, pOut!, B, k, d);
  }
  ops.copyOut();
}

/** out[b, j] = x[b, :] . W[idx[b, j], :] for x [B, d], W [n, d], idx [B, k] -> [B, k] */
export function gatherDot(inst: Instance, x: Float32Array, w: Float32Array, idx: Float32Array,
  B: number, k: number, d: number, n: number, out: Float32Array): void {
  sparse(inst, 0, x, w, idx, B, k, d, n, out);
}

/** out[b, :] = sum_j v[b, j] W[idx[b, j], :] -> [B, d] */
export function gatherCombine(inst: Instance, v: Float32Array, w: Float32Array, idx: Float32Array,
  B: number, k: number, d: number, n: number, out: Float32Array): void {
  sparse(inst, 1, v, w, idx, B, k, d, n, out);
}

/** out = zeros [n, d]; out[idx[b, j], :] += a[b, j] x[b, :], on every thread when big enough (output rows are
 *  shared out after one thread has sorted the contributions by row; each row is summed by one thread, in order). */
export function scatterOuter(inst: Instance, a: Float32Array, x: Float32Array, idx: Float32Array,
  B: number, k: number, d: number, n: number, out: Float32Array): void {
  const ops = inst.arena.place(
    [input(a, B * k), input(x, B * d), B * k, output(out, n * d), n + 1, 2 * B * k, CTRL_BYTES / 4]);
  const [pA, pX, pI, pOut, pCount, pOrder, pCtrl] = ops.at;
  putIndex(inst, 'scatterOuter', pI!, idx, B * k, n);
  const share = B * k * d >= SPARSE_SHARE_MIN ? inst : { ...inst, helpers: null };
  const args = () => [pA!, pX!, pI!, pOut!, B, k, d, n, pCount!, pOrder!, pCtrl!];
  runShared(share, 'scatterOuter', args, pCtrl!, ops.copyIn);
  ops.copyOut();
}

/** out[i, :] = table[idx[i], :]; table [rows, cols], n indices -> [n, cols] */
export function gatherRows(inst: Instance, table: Float32Array, rows: number, cols: number, idx: Float32Array,
  n: number, out: Float32Array): void {
  const ops = inst.arena.place([input(table, rows * cols), n, output(out, n * cols)]);
  const [pT, pI, pOut] = ops.at;
  putIndex(inst, 'gatherRows', pI!, idx, n, rows);
  ops.copyIn();
  inst.ex.gatherRows(pT!, cols, pI!, n, pOut!);
  ops.copyOut();
}

/** out = zeros [rows, cols]; out[idx[i], :] += src[i, :] */
export function scatterAddRows(inst: Instance, src: Float32Array, n: number, cols: number, idx: Float32Array,
  rows: number, out: Float32Array): void {
  const ops = inst.arena.place([input(src, n * cols), n, output(out, rows * cols)]);
  const [pS, pI, pOut] = ops.at;
  putIndex(inst, 'scatterAddRows', pI!, idx, n, rows);
  ops.copyIn();
  inst.ex.scatterAddRows(pS!, n, cols, pI!, rows, pOut!);
  ops.copyOut();
}

/** x [outer, n], idx [outer, k]: out[o, j] = x[o, idx[o, j]] */
export function gatherLast(inst: Instance, x: Float32Array, outer: number, n: number, idx: Float32Array, k: number,
  out: Float32Array): void {
  const ops = inst.arena.place([input(x, outer * n), outer * k, output(out, outer * k)]);
  const [pX, pI, pOut] = ops.at;
  putIndex(inst, 'gatherLast', pI!, idx, outer * k, n);
  ops.copyIn();
  inst.ex.gatherLast(pX!, outer, n, pI!, k, pOut!);
  ops.copyOut();
}

/** out = zeros [outer, n]; out[o, idx[o, j]] += src[o, j] */
export function scatterLast(inst: Instance, src: Float32Array, outer: number, k: number, idx: Float32Array, n: number,
  out: Float32Array): void {
  const ops = inst.arena.place([input(src, outer * k), outer * k, output(out, outer * n)]);
  const [pS, pI, pOut] = ops.at;
  putIndex(inst, 'scatterLast', pI!, idx, outer * k, n);
  ops.copyIn();
  inst.ex.scatterLast(pS!, outer, k, pI!, n, pOut!);
  ops.copyOut();
}

/** Runs a strided copy (see strided.ts) from src into out (zeros where the copy writes nothing). */
export function stridedCopy({ ex, arena }: Instance, src: Float32Array, copy: StridedCopy, out: Float32Array): void {
  const outSize = out.length;
  const rank = copy.dims.length;
  const ops = arena.place([input(src), output(out), rank, rank, rank, rank]);
  const [pSrc, pOut, pDims, pS, pD, pCounter] = ops.at;
  ops.copyIn();
  arena.putInts(pDims!, copy.dims);
  arena.putInts(pS!, copy.srcStrides);
  arena.putInts(pD!, copy.dstStrides);
  if (!copy.fillsOutput) arena.ensure(0).fill(0, pOut! >>> 2, (pOut! >>> 2) + outSize);
  ex.strided(pSrc! + copy.srcOffset * 4, pOut! + copy.dstOffset * 4, rank, pDims!, pS!, pD!, copy.run, copy.runStride,
    pCounter!);
  ops.copyOut();
}
