// Loads the kernels: decodes the module embedded by scripts/build-wasm.mjs (kernels-wasm.generated.ts), picks
// the threaded build on a shared memory where SharedArrayBuffer exists (else the single-threaded build on an
// ordinary memory, e.g. a page that is not cross-origin isolated), instantiates it, and in Node starts the
// helper threads.
import {
  KERNELS_WASM_MT_BASE64,
  KERNELS_WASM_MT_MAX_PAGES,
  KERNELS_WASM_ST_BASE64,
} from './kernels-wasm.generated.js';
import { Arena } from './arena.js';
import { WasmHeap } from './heap.js';
import { WorkerPool } from './threads.js';

/** The module's exports (assembly/index.ts). Pointers are byte addresses in the linear memory. */
export interface KernelExports {
  heapBase(): number;
  /** Returns the number of work units the calling thread computed. */
  gemm(...args: number[]): number;
  binary(op: number, full: number, bc: number, out: number, n: number, bcLen: number, repeat: number, swapped: number,
         start: number): void;
  where(c: number, cLen: number, cRep: number, a: number, aLen: number, aRep: number, b: number, bLen: number,
        bRep: number, out: number, n: number, start: number): void;
  unary(op: number, a: number, out: number, n: number): void;
  geluGrad(x: number, g: number, out: number, n: number): void;
  /** Returns the number of work units the calling thread computed. */
  mapShared(op: number, a: number, b: number, out: number, n: number, ctrl: number): number;
  reduce(op: number, a: number, out: number, outer: number, n: number, inner: number, acc: number): void;
  layerNorm(x: number, out: number, rows: number, d: number, eps: number): void;
  layerNormGrad(x: number, g: number, out: number, rows: number, d: number, eps: number): void;
  softmax(x: number, out: number, rows: number, n: number): void;
  softmaxGrad(y: number, g: number, out: number, rows: number, n: number): void;
  topk(x: number, rows: number, n: number, k: number, values: number, indices: number, scratch: number): void;
  /** Returns the number of work units the calling thread computed. */
  topkShared(x: number, rows: number, n: number, k: number, values: number, indices: number, scratch: number,
             ctrl: number): number;
  maskedAbsScale(x: number, mask: number, scale: number, rows: number, n: number, out: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, b1: number, omb1: number, b2: number, omb2: number,
       eps: number, stepSize: number, bc2sqrt: number, decay: number, l2: number): void;
  /** Units 0..units-1 of a shared elementwise, row-wise or reduction call (assembly/parallel.ts); returns the units
   *  the calling thread computed. */
  parallel(kind: number, args: number, units: number, ctrl: number): number;
  indexCheck(idx: number, count: number, limit: number): number;
  gatherDot(x: number, w: number, idx: number, out: number, B: number, k: number, d: number): void;
  gatherCombine(v: number, w: number, idx: number, out: number, B: number, k: number, d: number): void;
  /** Returns the number of work units the calling thread computed. */
  sparseShared(op: number, a: number, w: number, idx: number, out: number, B: number, k: number, d: number,
               ctrl: number): number;
  /** Returns the number of work units the calling thread computed. */
  scatterOuter(a: number, x: number, idx: number, out: number, B: number, k: number, d: number, n: number,
               count: number, order: number, ctrl: number): number;
  gatherRows(table: number, cols: number, idx: number, n: number, out: number): void;
  scatterAddRows(src: number, n: number, cols: number, idx: number, rows: number, out: number): void;
  gatherLast(x: number, outer: number, n: number, idx: number, k: number, out: number): void;
  scatterLast(src: number, outer: number, k: number, idx: number, n: number, out: number): void;
  strided(src: number, dst: number, rank: number, dims: number, sStride: number, dStride: number, run: number,
          runStride: number, counter: number): void;
}

/** What the kernels run on: the exports, their memory seen as an arena, and the helper threads if any. Every
 *  kernel wrapper (gemm.ts, elementwise.ts, rows.ts, indexing.ts) takes one as its first argument. */
export interface Instance {
  ex: KernelExports;
  arena: Arena;
  helpers: WorkerPool | null;
  /** Which build runs: 'mt' (SIMD + threads, on a shared memory) or 'st' (SIMD, an ordinary memory). */
  build: 'mt' | 'st';
}

/** Threads an instance runs big calls on: the calling thread and its helpers. */
export const threadsOf = (inst: Instance): number => (inst.helpers?.helpers ?? 0) + 1;

/** Stops the helper threads (so a Node process can exit); the instance must not be used afterwards. Idempotent. */
export function disposeInstance(inst: Instance): void {
  if (inst.arena.disposed) return;
  inst.arena.disposed = true;
  inst.helpers?.dispose();
}

const INITIAL_PAGES = 32; // 2 MiB; grown on demand

function decodeBase64(s: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } }).Buffer;
  if (B) return new Uint8Array(B.from(s, 'base64'));
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return !!p?.versions?.node;
}

function envThreads(): number | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const raw = p?.env?.SAELAB_WASM_THREADS;
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SAELAB_WASM_THREADS must be a positive integer, got "${raw}"`);
  return n;
}

/** Node's garbage collector as a function (the heap runs it to get the blocks of dead views back; see heap.ts),
 *  or undefined where it cannot be had. */
async function nodeGc(): Promise<(() => void) | undefined> {
  try {
    const [v8, vm] = ['node:v8', 'node:vm'];
    const { setFlagsFromString } = (await import(/* @vite-ignore */ v8)) as { setFlagsFromString(flags: string): void };
    const { runInNewContext } = (await import(/* @vite-ignore */ vm)) as { runInNewContext(code: string): unknown };
    setFlagsFromString('--expose-gc'); // lets a new context see gc(); the flag changes nothing else
    const gc = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** Instantiates the kernels. In Node with SharedArrayBuffer the threaded module runs on `threads` threads
 *  (default 2, or SAELAB_WASM_THREADS, the user's override; an explicit count wins); elsewhere the
 *  single-threaded module runs on a non-shared memory. */
export async function instantiate(options: { threads?: number } = {}): Promise<Instance> {
  const canShare = typeof SharedArrayBuffer !== 'undefined' && typeof Atomics !== 'undefined';
  const node = isNode();
  const threads = options.threads ?? envThreads() ?? (canShare && node ? 2 : 1);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`wasm kernels: threads must be a positive integer, got ${threads}`);
  }

  let memory: WebAssembly.Memory | undefined;
  if (canShare) {
    try {
      memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: KERNELS_WASM_MT_MAX_PAGES, shared: true });
    } catch {
      memory = undefined;
    }
  }
  const shared = memory !== undefined;
  memory ??= new WebAssembly.Memory({ initial: INITIAL_PAGES });
  const bytes = decodeBase64(shared ? KERNELS_WASM_MT_BASE64 : KERNELS_WASM_ST_BASE64);
  const module = await WebAssembly.compile(bytes as BufferSource);
  const imports = { env: { memory, abort: () => { throw new Error('wasm abort'); } } };
  const ex = (await WebAssembly.instantiate(module, imports)).exports as unknown as KernelExports;
  const maxPages = shared ? KERNELS_WASM_MT_MAX_PAGES : 65536;
  const helpers = threads > 1 && shared && node ? await WorkerPool.start(module, memory, threads - 1) : null;
  // Tensors live in the memory only where it is shared (growing it then leaves their views valid) and the heap
  // can run the garbage collector to get dead tensors' blocks back (Node): see heap.ts.
  const collect = shared && node ? await nodeGc() : undefined;
  const heap = new WasmHeap(memory, ex.heapBase(), maxPages * 65536, collect !== undefined, collect);
  return { ex, arena: new Arena(heap), helpers, build: shared ? 'mt' : 'st' };
}
