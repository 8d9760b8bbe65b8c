// WebAssembly SIMD kernels for @saelab/tensor (AssemblyScript, compiled by scripts/build-wasm.mjs): the entry
// file, which names every export; each op family lives in its own file beside it.
//
// Every export takes raw byte pointers into the (imported, possibly shared) linear memory; the JS side
// (src/backends/wasm/) owns the memory layout. No managed objects, no allocation, no mutable globals: several
// instances (main thread + workers) run these functions concurrently on one shared memory. gemm(),
// mapShared(), topkShared() and sparseShared() are the functions they run together; each shares out its work
// itself (see sync.ts).
//
// Built twice from this one source (scripts/build-wasm.mjs): with threads + shared memory, and without
// (ASC_FEATURE_THREADS false: plain loads/stores instead of atomics). All arithmetic has a fixed evaluation
// order, so results are bit-identical run to run, between the two builds and for any number of threads.
// Scalar tails use the same IEEE operations as the vector lanes.

export { gemm } from './gemm';
export { binary } from './binary';
export { where } from './select';
export { unary, geluGrad } from './unary';
export { mapShared } from './shared';
export { reduce } from './reduce';
export { layerNorm, layerNormGrad } from './norm';
export { softmax, softmaxGrad } from './softmax';
export { topk, topkShared } from './topk';
export { maskedAbsScale } from './score';
export { adam } from './adam';
export { indexCheck, gatherDot, gatherCombine, sparseShared, scatterOuter, gatherRows, scatterAddRows, gatherLast, scatterLast } from './sparse';
export { strided } from './movement';
export { parallel } from './parallel';

/** Where the module's static data ends: the JS side lays out its arena above this. */
export function heapBase(): usize {
  return __heap_base;
}
