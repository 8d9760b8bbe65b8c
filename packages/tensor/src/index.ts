/**
 * @saelab/tensor: a small autograd tensor engine.
 *
 *   import { setBackend, tensor, Rng, normal, Adam } from '@saelab/tensor';
 *   await setBackend('wasm');
 *   const w = normal([3, 1], new Rng(0)).requireGrad();
 *   const loss = tensor([[1, 2, 3]]).matmul(w).square().mean();
 *   loss.backward();
 */
import { registerBackend } from './backend.js';
import { ReferenceBackend } from './backends/reference.js';

registerBackend('reference', () => new ReferenceBackend(Float32Array));
registerBackend('reference64', () => new ReferenceBackend(Float64Array));
registerBackend('wasm', async ({ threads }) => {
  const { createWasmBackend } = await import('./backends/wasm.js');
  return createWasmBackend(threads === undefined ? {} : { threads });
}, { threads: true });
// Loaded on first use only, so programs on the other backends never load gpu.js. No worker threads: in Node it
// draws through headless-gl, a native addon that loads in one thread per process (a second worker fails with
// 'Module did not self-register'), and its jobs share one GPU anyway.
registerBackend('gpujs', async () => {
  const { createGpujsBackend } = await import('./backends/gpujs.js');
  return createGpujsBackend();
}, { workerThreads: false });

export * from './backend.js';
export { ReferenceBackend } from './backends/reference.js';
export type { GpujsBackend, GpujsMode } from './backends/gpujs.js';
export { runnableBackends } from './backends/runnable.js';
export { releaseMemory } from './memory.js';
export { Tensor, noGrad, isGradEnabled, type Node, type PrimitiveNode } from './tensor.js';
export { customGradient, type Backward, type CustomNode, type OutputGrads, type Outputs } from './custom.js';
export { tensor, zeros, ones, full, arange, type NestedArray } from './creation.js';
export { tidy, keep } from './scope.js';
export { apply, type Primitive, type PrimitiveArgs } from './primitives.js';
export {
  fusedKernelNames, getKernel, registerKernel, registerKernelMethods, registeredKernels, type FusedKernelName,
  type FusedKernels, type FusedMethods,
} from './fused.js';
export { gradients } from './gradients.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export * from './ops/movement.js';
export * from './ops/matmul.js';
export * from './ops/gather.js';
export * from './ops/sparse.js';
export * from './nn/functional.js';
export * from './nn/module.js';
export { Rng } from './random.js';
export { uniform, normal, kaimingUniform } from './init.js';
export { Adam, AdamW, adamComposite, type AdamConfig } from './optim.js';
export * from './shape.js';
export { erf as erfScalar } from './math.js';
