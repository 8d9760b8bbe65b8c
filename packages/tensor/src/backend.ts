/**
 * The one interface every backend implements, and the registry that finds backends by name.
 *
 * A backend owns the storage of its tensors (a Float32Array, a WebAssembly buffer, a GPU texture)
 * and implements the primitive kernels on it. Everything else in the engine (gradients, nn ops,
 * optimisers) is written once on top of these kernels. Kernels never mutate their inputs. Fused kernels
 * (GELU, layer norm, softmax, a matmul with a bias, the Adam step) are no methods here: a backend
 * registers them by name (fused.ts), and without them runs their composites.
 */
import type { Shape } from './shape.js';

/** Opaque per-backend storage. Only the backend that made it may read it. */
export type Storage = unknown;

/** What a backend hands back to the host. */
export type HostArray = Float32Array | Float64Array;

export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'erf' | 'abs';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'cmpgt' | 'cmpeq';
export type ReduceOp = 'sum' | 'max';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** true: AdamW (decay applied to the weights); false: Adam (decay added to the gradient). */
  decoupled: boolean;
  /** 1-based step count, for bias correction. */
  step: number;
}

/** What a results file records of the backend that computed it (Backend.describe): settings and hardware path. */
export type BackendDescription = Record<string, string | number | boolean>;

export interface Backend {
  readonly name: string;

  /** Host data in (copied). */
  fromHost(data: ArrayLike<number>): Storage;
  /** Host data out (a copy the caller may keep). */
  toHost(s: Storage, size: number): HostArray;
  /** A new buffer of `size` zeros. */
  zeros(size: number): Storage;

  unary(op: UnaryOp, a: Storage, size: number): Storage;
  /** Elementwise with NumPy broadcasting; `out` is the broadcast shape. */
  binary(op: BinaryOp, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Shape): Storage;
  /** `cond != 0 ? a : b`, broadcast. */
  where(cond: Storage, cShape: Shape, a: Storage, aShape: Shape, b: Storage, bShape: Shape, out: Shape): Storage;
  /** Reduces `axis` of `shape` (the result keeps it with size 1). */
  reduce(op: ReduceOp, a: Storage, shape: Shape, axis: number): Storage;

  /**
   * out[b] = op(A[b]) @ op(B[b or 0]): A is [batch, M, K] ([batch, K, M] if transA), B is
   * [batchB, K, N] ([batchB, N, K] if transB) with batchB = bBatched ? batch : 1.
   */
  matmul(a: Storage, b: Storage, batch: number, M: number, K: number, N: number,
    transA: boolean, transB: boolean, bBatched: boolean): Storage;

  /** Copies `a` with its axes reordered: out axis i is input axis perm[i]. */
  permute(a: Storage, shape: Shape, perm: readonly number[]): Storage;
  /** Copies the box [starts, ends) of `a`. */
  slice(a: Storage, shape: Shape, starts: readonly number[], ends: readonly number[]): Storage;
  /** Surrounds `a` with `before[i]` and `after[i]` zeros along each axis. */
  pad(a: Storage, shape: Shape, before: readonly number[], after: readonly number[]): Storage;
  /** Broadcasts `a` to `out` (a copy). */
  expand(a: Storage, shape: Shape, out: Shape): Storage;

  /** out[i, :] = table[idx[i], :]; table is [rows, cols], idx holds n integers. */
  gatherRows(table: Storage, rows: number, cols: number, idx: Storage, n: number): Storage;
  /** out = zeros [rows, cols]; out[idx[i], :] += src[i, :]. */
  scatterAddRows(src: Storage, n: number, cols: number, idx: Storage, rows: number): Storage;
  /** x is [outer, n], idx is [outer, k]: out[o, j] = x[o, idx[o, j]]. */
  gatherLast(x: Storage, outer: number, n: number, idx: Storage, k: number): Storage;
  /** out = zeros [outer, n]; out[o, idx[o, j]] += src[o, j]. */
  scatterLast(src: Storage, outer: number, k: number, idx: Storage, n: number): Storage;
  // Sparse products for top-k codes: x [B, d], W [n, d] (one row per latent), idx [B, k].
  /** out[b, j] = x[b, :] . W[idx[b, j], :] -> [B, k] */
  gatherDot(x: Storage, w: Storage, idx: Storage, B: number, k: number, d: number, n: number): Storage;
  /** out[b, :] = sum_j v[b, j] * W[idx[b, j], :] -> [B, d] */
  gatherCombine(v: Storage, w: Storage, idx: Storage, B: number, k: number, d: number, n: number): Storage;
  /** out = zeros [n, d]; out[idx[b, j], :] += a[b, j] * x[b, :] */
  scatterOuter(a: Storage, x: Storage, idx: Storage, B: number, k: number, d: number, n: number): Storage;
  /** Column indices of the k largest entries of each row of x [outer, n], largest first, ties to the lower index. */
  topk(x: Storage, outer: number, n: number, k: number): Storage;

  /**
   * Says the engine will never read `s` again (an intermediate gradient of a finished backward pass), so
   * the backend may reuse its memory for a later result. Fresh memory is slow on some machines (a page
   * fault per 4 KiB, each costing microseconds under virtualisation), and recycling it avoids that.
   */
  release?(s: Storage): void;

  /** How many threads its kernels run on, for a backend with the `threads` capability (wasm). */
  readonly threads?: number;

  /**
   * What ran the kernels, for a results file's environment: the settings and build that can change speed or bits
   * (wasm: threads and module; gpujs: mode and GL renderer, so that a run on a software rasterizer is told apart
   * from one on a GPU).
   */
  describe?(): BackendDescription;

  /** Frees threads or GPU contexts, if any. */
  dispose?(): void;
}

/** What a program may ask of a backend when it creates it: `setBackend('wasm', { threads: 1 })`. */
export interface BackendOptions {
  /**
   * How many threads the kernels run on, for a backend with the `threads` capability (wasm: by default 2 in
   * Node, or SAELAB_WASM_THREADS, the user's override). A backend without it runs on one CPU thread or on a
   * GPU, whatever it is asked, and never sees the option.
   */
  threads?: number;
}

type Factory = (options: BackendOptions) => Backend | Promise<Backend>;

/** What a program may ask of a backend before creating it (creating gpujs loads a native GL addon). */
export interface BackendCapabilities {
  /**
   * Whether one process may run this backend in several worker threads at once, a job in each (the
   * experiment's SAE pool). false: every job runs one at a time in one thread.
   */
  workerThreads: boolean;
  /**
   * Whether it splits its kernels between threads and takes how many (BackendOptions.threads). The
   * experiment's pool gives each worker thread's backend one thread, so the jobs beside it keep their cores.
   */
  threads: boolean;
}

const factories = new Map<string, Factory>();
const capabilities = new Map<string, BackendCapabilities>();
/** The backends created so far, by name and the options they were created with (instanceKey). */
const instances = new Map<string, Backend>();
let current: Backend | undefined;

/** The options `name` takes (those its capabilities declare), checked. */
function optionsFor(name: string, options: BackendOptions): BackendOptions {
  const { threads } = options;
  if (threads === undefined || !backendCapabilities(name).threads) return {};
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`backend '${name}': threads must be a positive integer, got ${threads}`);
  }
  return { threads };
}
const instanceKey = (name: string, { threads }: BackendOptions) =>
  (threads === undefined ? name : `${name} threads=${threads}`);

const unknownBackend = (name: string) => new Error(`unknown backend '${name}': choose one of `
  + `${registeredBackends().join(', ')} (SAELAB_BACKEND or --backend)`);

/**
 * Makes a backend available by name: `registerBackend('mine', () => new MyBackend())`, with what it can do
 * (by default: worker threads, one thread of its own; `{ threads: true }` for a factory that takes a count).
 */
export function registerBackend(name: string, factory: Factory, caps: Partial<BackendCapabilities> = {}): void {
  factories.set(name, factory);
  capabilities.set(name, { workerThreads: true, threads: false, ...caps });
  for (const key of [...instances.keys()]) if (key === name || key.startsWith(`${name} `)) instances.delete(key);
}

/** What the backend called `name` can do, without creating it. */
export function backendCapabilities(name: string): BackendCapabilities {
  const caps = capabilities.get(name);
  if (!caps) throw unknownBackend(name);
  return caps;
}

export function registeredBackends(): string[] {
  return [...factories.keys()];
}

/**
 * Creates (once for each set of options it takes) and returns the backend called `name`, without making it
 * current. Options its capabilities do not declare are dropped.
 */
export async function loadBackend(name: string, options: BackendOptions = {}): Promise<Backend> {
  const factory = factories.get(name);
  if (!factory) throw unknownBackend(name);
  const taken = optionsFor(name, options);
  const key = instanceKey(name, taken);
  const cached = instances.get(key);
  if (cached) return cached;
  const backend = await factory(taken);
  instances.set(key, backend);
  return backend;
}

/** Makes `name` the backend new tensors are created on: `await setBackend('wasm')`, or `('wasm', { threads: 1 })`. */
export async function setBackend(name: string, options: BackendOptions = {}): Promise<Backend> {
  current = await loadBackend(name, options);
  return current;
}

/** The backend that new tensors are created on (the reference backend until `setBackend` is called). */
export function getBackend(): Backend {
  if (!current) {
    const ref = factories.get('reference');
    if (!ref) throw new Error('no backend registered');
    current = ref({}) as Backend;
    instances.set('reference', current);
  }
  return current;
}

/** The backend programs should use: `SAELAB_BACKEND` if set, else `wasm`, the fast CPU backend. */
export function defaultBackendName(): string {
  const env = typeof process !== 'undefined' ? process.env?.SAELAB_BACKEND : undefined;
  return env && env.length > 0 ? env : 'wasm';
}

/** Runs `fn` with `backend` current, then restores the previous one. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const prev = current;
  current = backend;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

/** Disposes every backend created so far (stops worker threads so the process can exit). */
export function disposeBackends(): void {
  for (const b of instances.values()) b.dispose?.();
  instances.clear();
  current = undefined;
}
