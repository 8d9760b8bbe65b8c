// Wrappers for the indexing kernels (assembly/sparse.ts, assembly/movement.ts): the sparse products of a top-k
// code, row and column gathers and scatters, and the strided copy behind permute, expand, slice and pad. The
// whole operands go into the arena; index tensors (integers stored as floats) are checked and converted to
// int32 there by indexCheck, with the same error as the reference backend.
import type { Instance } from './loader.js';
import type { StridedCopy } from './strided.js';

/** Copies idx into the arena at addr, converts it to int32 and throws if a value is not an integer in [0, limit). */
function putIndex({ ex, arena }: Instance, op: string, addr: number, idx: Float32Array, count: number, limit: number): void {
  if (idx.length < count) throw new RangeError(`${op}: the index has ${idx.length} values, needs ${count}`);
  arena.put(addr, idx, count);
  const bad = ex.indexCheck(addr, count, limit);
  if (bad >= 0) throw new Error(`${op}: index ${idx[bad]} is out of range [0, ${limit})`);
}

/** out[b, j] = x[b, :] . W[idx[b, j], :] for x [B, d], W [n, d], idx [B, k] -> [B, k] */
export function gatherDot(inst: Instance, x: Float32Array, w: Float32Array, idx: Float32Array,
  B: number, k: number, d: number, n: number, out: Float32Array): void {
  const [pX, pW, pI, pOut] = inst.arena.layout(B * d, n * d, B * k, B * k);
  putIndex(inst, 'gatherDot', pI!, idx, B * k, n);
  inst.arena.put(pX!, x, B * d);
  inst.arena.put(pW!, w, n * d);
  inst.ex.gatherDot(pX!, pW!, pI!, pOut!, B, k, d);
  inst.arena.read(pOut!, B * k, out);
}

/** out[b, :] = sum_j v[b, j] W[idx[b, j], :] -> [B, d] */
export function gatherCombine(inst: Instance, v: Float32Array, w: Float32Array, idx: Float32Array,
  B: number, k: number, d: number, n: number, out: Float32Array): void {
  const [pV, pW, pI, pOut] = inst.arena.layout(B * k, n * d, B * k, B * d);
  putIndex(inst, 'gatherCombine', pI!, idx, B * k, n);
  inst.arena.put(pV!, v, B * k);
  inst.arena.put(pW!, w, n * d);
  inst.ex.gatherCombine(pV!, pW!, pI!, pOut!, B, k, d);
  inst.arena.read(pOut!, B * d, out);
}

/** out = zeros [n, d]; out[idx[b, j], :] += a[b, j] x[b, :] */
export function scatterOuter(inst: Instance, a: Float32Array, x: Float32Array, idx: Float32Array,
  B: number, k: number, d: number, n: number, out: Float32Array): void {
  const [pA, pX, pI, pOut, pCount, pOrder] = inst.arena.layout(B * k, B * d, B * k, n * d, n + 1, 2 * B * k);
  putIndex(inst, 'scatterOuter', pI!, idx, B * k, n);
  inst.arena.put(pA!, a, B * k);
  inst.arena.put(pX!, x, B * d);
  inst.ex.scatterOuter(pA!, pX!, pI!, pOut!, B, k, d, n, pCount!, pOrder!);
  inst.arena.read(pOut!, n * d, out);
}

/** out[i, :] = table[idx[i], :]; table [rows, cols], n indices -> [n, cols] */
export function gatherRows(inst: Instance, table: Float32Array, rows: number, cols: number, idx: Float32Array, n: number,
  out: Float32Array): void {
  const [pT, pI, pOut] = inst.arena.layout(rows * cols, n, n * cols);
  putIndex(inst, 'gatherRows', pI!, idx, n, rows);
  inst.arena.put(pT!, table, rows * cols);
  inst.ex.gatherRows(pT!, cols, pI!, n, pOut!);
  inst.arena.read(pOut!, n * cols, out);
}

/** out = zeros [rows, cols]; out[idx[i], :] += src[i, :] */
export function scatterAddRows(inst: Instance, src: Float32Array, n: number, cols: number, idx: Float32Array, rows: number,
  out: Float32Array): void {
  const [pS, pI, pOut] = inst.arena.layout(n * cols, n, rows * cols);
  putIndex(inst, 'scatterAddRows', pI!, idx, n, rows);
  inst.arena.put(pS!, src, n * cols);
  inst.ex.scatterAddRows(pS!, n, cols, pI!, rows, pOut!);
  inst.arena.read(pOut!, rows * cols, out);
}

/** x [outer, n], idx [outer, k]: out[o, j] = x[o, idx[o, j]] */
export function gatherLast(inst: Instance, x: Float32Array, outer: number, n: number, idx: Float32Array, k: number,
  out: Float32Array): void {
  const [pX, pI, pOut] = inst.arena.layout(outer * n, outer * k, outer * k);
  putIndex(inst, 'gatherLast', pI!, idx, outer * k, n);
  inst.arena.put(pX!, x, outer * n);
  inst.ex.gatherLast(pX!, outer, n, pI!, k, pOut!);
  inst.arena.read(pOut!, outer * k, out);
}

/** out = zeros [outer, n]; out[o, idx[o, j]] += src[o, j] */
export function scatterLast(inst: Instance, src: Float32Array, outer: number, k: number, idx: Float32Array, n: number,
  out: Float32Array): void {
  const [pS, pI, pOut] = inst.arena.layout(outer * k, outer * k, outer * n);
  putIndex(inst, 'scatterLast', pI!, idx, outer * k, n);
  inst.arena.put(pS!, src, outer * k);
  inst.ex.scatterLast(pS!, outer, k, pI!, n, pOut!);
  inst.arena.read(pOut!, outer * n, out);
}

/** Runs a strided copy (see strided.ts) from src into out (zeros where the copy writes nothing). */
export function stridedCopy({ ex, arena }: Instance, src: Float32Array, copy: StridedCopy, out: Float32Array): void {
  const outSize = out.length;
  const rank = copy.dims.length;
  const [pSrc, pOut, pDims, pS, pD, pCounter] = arena.layout(src.length, outSize, rank, rank, rank, rank);
  arena.put(pSrc!, src);
  arena.putInts(pDims!, copy.dims);
  arena.putInts(pS!, copy.srcStrides);
  arena.putInts(pD!, copy.dstStrides);
  if (!copy.fillsOutput) arena.ensure(0).fill(0, pOut! >>> 2, (pOut! >>> 2) + outSize);
  ex.strided(pSrc! + copy.srcOffset * 4, pOut! + copy.dstOffset * 4, rank, pDims!, pS!, pD!, copy.run, copy.runStride, pCounter!);
  arena.read(pOut!, outSize, out);
}
