/**
 * Fused kernels, registered per backend by name (as tfjs's registerKernel). A fused primitive (softmax,
 * softmaxGrad) saves passes over memory where a backend has a kernel for it, and is otherwise its composite:
 * the same function written with ops, which is also its definition in the tests. So the reference backend
 * registers nothing and stays the plain definition, and a backend gains a fused kernel by one registration.
 *
 *   registerKernel('softmax', 'wasm', (b, x, rows, n) => (b as WasmBackend).softmax(x, rows, n));
 */
import type { Backend, Storage } from './backend.js';
import { noGrad, type Tensor } from './tensor.js';

/** Every fused kernel's signature, on its backend's storage. A kernel never mutates its inputs. */
export interface FusedKernels {
  /** softmax of each row of x [rows, n]: exp(x - max) / sum(exp(x - max)). */
  softmax: (b: Backend, x: Storage, rows: number, n: number) => Storage;
  /** softmax's gradient from its output y and output gradient g (both [rows, n]): y * (g - sum(g * y)). */
  softmaxGrad: (b: Backend, y: Storage, g: Storage, rows: number, n: number) => Storage;
}

export type FusedKernelName = keyof FusedKernels;

/** The names a backend may register a kernel under. */
export const fusedKernelNames: readonly FusedKernelName[] = ['softmax', 'softmaxGrad'];

/** Registered kernels by backend name. */
const registry = new Map<string, Partial<FusedKernels>>();

/** Gives backend `backendName` (its `name`) a fused kernel for `name`: `registerKernel('softmax', 'wasm', k)`. */
export function registerKernel<K extends FusedKernelName>(name: K, backendName: string, kernel: FusedKernels[K]): void {
  if (!fusedKernelNames.includes(name)) {
    throw new Error(`registerKernel: '${name}' is not a fused kernel; the fused kernels are`
      + ` ${fusedKernelNames.join(', ')} (FusedKernels in src/fused.ts)`);
  }
  const kernels = registry.get(backendName) ?? {};
  kernels[name] = kernel;
  registry.set(backendName, kernels);
}

/** Backend b's kernel for `name`, or undefined where it registered none. */
export function getKernel<K extends FusedKernelName>(name: K, b: Backend): FusedKernels[K] | undefined {
  return registry.get(b.name)?.[name];
}

/** The fused kernels backend `backendName` has registered. */
export function registeredKernels(backendName: string): FusedKernelName[] {
  return fusedKernelNames.filter((name) => registry.get(backendName)?.[name]);
}

/**
 * A fused primitive's forward: backend b's kernel for `name` where it has one, else `composite` (ops, off the
 * tape). Returns the storage and, for the composite, the tensor owning it, whose view the primitive's output is.
 */
export function fused<K extends FusedKernelName>(name: K, b: Backend, kernel: (k: FusedKernels[K]) => Storage,
  composite: () => Tensor): { storage: Storage; base?: Tensor } {
  const k = getKernel(name, b);
  if (k) return { storage: kernel(k) };
  const out = noGrad(composite);
  return { storage: out.storage, base: out.base };
}
