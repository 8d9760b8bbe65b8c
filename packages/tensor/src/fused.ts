/**
 * Fused kernels, registered per backend by name (as tfjs's registerKernel). A fused primitive (gelu, layerNorm,
 * softmax, a matmul with a bias, their gradients) and the Adam step save passes over memory where a backend has a
 * kernel for them, and are otherwise their composite: the same function written with ops (nn/functional.ts,
 * optim.ts), which is also their definition in the tests. A backend gains a fused kernel by one registration.
 * The reference registers its float64-accumulating loops for the ones whose composite would round each of its
 * steps to float32 (all but matmulBias, whose composite is the reference's own matmul then add).
 *
 *   registerKernel('softmax', 'wasm', (b, x, rows, n) => (b as WasmBackend).softmax(x, rows, n));
 *
 * A backend class whose methods are its kernels (same names, the arguments after the backend) registers them in
 * one line, `registerKernelMethods('wasm', ['gelu', ...])`, and declares `implements FusedMethods<Storage, names>`
 * so that the compiler checks each method's signature (wasm.ts, gpujs.ts).
 */
import type { AdamOptions, Backend, Storage } from './backend.js';
import { noGrad, type Tensor } from './tensor.js';

/** Every fused kernel's signature, on its backend's storage. A kernel never mutates its inputs (but adam). */
export interface FusedKernels {
  /** The exact GELU of each of x's `size` elements: x * Phi(x). */
  gelu: (b: Backend, x: Storage, size: number) => Storage;
  /** GELU's gradient for the output gradient g: g * gelu'(x), elementwise. */
  geluGrad: (b: Backend, x: Storage, g: Storage, size: number) => Storage;
  /** Each row of x [rows, d] normalised to zero mean and unit (biased) variance: (x - mean) / sqrt(var + eps). */
  layerNorm: (b: Backend, x: Storage, rows: number, d: number, eps: number) => Storage;
  /** layerNorm's gradient at x for the output gradient g: (g - mean(g) - y * mean(g * y)) / sqrt(var + eps). */
  layerNormGrad: (b: Backend, x: Storage, g: Storage, rows: number, d: number, eps: number) => Storage;
  /** matmul(a, w) + bias [N] on every row, as a Linear layer computes it (the arguments are Backend.matmul's). */
  matmulBias: (b: Backend, a: Storage, w: Storage, bias: Storage, batch: number, M: number, K: number, N: number,
    transA: boolean, transB: boolean, bBatched: boolean) => Storage;
  /** softmax of each row of x [rows, n]: exp(x - max) / sum(exp(x - max)). */
  softmax: (b: Backend, x: Storage, rows: number, n: number) => Storage;
  /** softmax's gradient from its output y and output gradient g (both [rows, n]): y * (g - sum(g * y)). */
  softmaxGrad: (b: Backend, y: Storage, g: Storage, rows: number, n: number) => Storage;
  /** The k largest of (|x| * (1 - mask)) * scale in each row of x [rows, n] (mask [rows, n], scale one per row), as
   *  topk's column indices: the latents HUSAI's auxiliary loss picks outside the code. */
  maskedAbsTopk: (b: Backend, x: Storage, mask: Storage, scale: Storage, rows: number, n: number, k: number) => Storage;
  /** One Adam/AdamW step (PyTorch semantics) on `size` elements; the one kernel that updates p, m, v in place. */
  adam: (b: Backend, p: Storage, g: Storage, m: Storage, v: Storage, size: number, o: AdamOptions) => void;
}

export type FusedKernelName = keyof FusedKernels;

/** The names a backend may register a kernel under. */
export const fusedKernelNames: readonly FusedKernelName[] = [
  'gelu', 'geluGrad', 'layerNorm', 'layerNormGrad', 'matmulBias', 'softmax', 'softmaxGrad', 'maskedAbsTopk', 'adam',
];

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

/** A fused kernel as a method of a backend whose storage is S: the kernel's arguments after the backend, S for each
 *  Storage (an argument or the result); `names` limits it to the kernels the backend has. */
export type FusedMethods<S, names extends FusedKernelName = FusedKernelName> = {
  [K in names]: FusedKernels[K] extends (b: Backend, ...args: infer A) => infer R
    ? (...args: { [I in keyof A]: unknown extends A[I] ? S : A[I] }) => unknown extends R ? S : R
    : never;
};

/** Registers each of `names` for backend `backendName` as a call of the backend's method of that name, which gets
 *  the kernel's arguments after the backend (a class that `implements FusedMethods<S, names>`). */
export function registerKernelMethods(backendName: string, names: readonly FusedKernelName[]): void {
  for (const name of names) {
    const kernel = (b: Backend, ...args: unknown[]): unknown =>
      (b as unknown as Record<FusedKernelName, (...a: unknown[]) => unknown>)[name](...args);
    registerKernel(name, backendName, kernel as FusedKernels[typeof name]);
  }
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
