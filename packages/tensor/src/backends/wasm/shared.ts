// Running a kernel on every thread at once. The shared kernels hand out their own work from an atomic
// counter (assembly/sync.ts), so the calling thread and the helpers all make the same call: this copies the
// inputs in, raises the "go" word, posts the call to the helpers, runs it here, then waits for the helpers that
// started (a late one is cancelled: the others did its share).
//
// "go" is raised before the helpers are woken, never after: a helper that reached the kernel's wait for "go"
// first (a WebAssembly memory.atomic.wait32) was, now and then, never woken by this thread's Atomics.notify nor
// by the wait's timeout (Node 20; seen once in some thousands of calls, as a hung process), so no helper may
// ever have to wait for it.
import type { Instance } from './loader.js';
import type { SharedKernel } from './threads.js';

/** Bytes of the work-sharing block a shared call needs (four counters, each on its own cache line). */
export const CTRL_BYTES = 256;
/** Index of the "go" word in the block, as int32s. */
const GO = 48;

/**
 * Runs fn(...argsOf(t)) on thread t = 0 (this one) and each helper, with ctrl the byte address of a
 * CTRL_BYTES block in the arena; copyIn() puts the inputs in place. Returns the work units helpers did.
 */
export function runShared({ ex, arena, helpers }: Instance, fn: SharedKernel, argsOf: (t: number) => number[],
  ctrl: number, copyIn: () => void): number {
  const words = new Int32Array(arena.ensure(0).buffer, ctrl, CTRL_BYTES / 4);
  words.fill(0); // counters at zero, "go" down
  const run = ex[fn] as (...args: number[]) => number;
  if (!helpers) {
    copyIn();
    words[GO] = 1;
    run(...argsOf(0));
    return 0;
  }
  let error: unknown = null;
  try {
    copyIn();
  } catch (e) {
    error = e;
  }
  Atomics.store(words, GO, 1);
  const seq = helpers.post(fn, argsOf);
  try {
    if (!error) run(...argsOf(0));
  } catch (e) {
    error = e;
  }
  const units = helpers.join(seq);
  if (error) throw error;
  return units;
}

/** The kinds of call of assembly/parallel.ts. */
const PARALLEL = { layerNorm: 0, layerNormGrad: 1, softmax: 2, softmaxGrad: 3, reduce: 4, adam: 5 } as const;

/** Calls of about this many elements or more are shared between the threads (if the operands live in the memory). */
export const PARALLEL_MIN = 64 * 1024;
/** Elements of a unit of work, about: each thread takes units of this size until none are left. */
export const UNIT_ELEMENTS = 16 * 1024;

/**
 * Runs `units` units of a call of `kind` (assembly/parallel.ts) on every thread. argsOf gets the byte addresses
 * of the scratch regions asked for (floats each) and gives the call's argument slots, in the order parallel.ts
 * lists them, written as int32 except those at `floatSlots` (f32).
 */
export function runParallel(inst: Instance, kind: keyof typeof PARALLEL,
  argsOf: (scratch: number[]) => readonly number[], units: number,
  o: { scratch?: readonly number[]; floatSlots?: readonly number[] } = {}): void {
  const scratchFloats = o.scratch ?? [];
  const regions = inst.arena.layout(...scratchFloats, 32, CTRL_BYTES / 4);
  const [pArgs, pCtrl] = regions.slice(-2) as [number, number];
  const args = argsOf(regions.slice(0, scratchFloats.length));
  if (args.length > 32) throw new Error(`wasm kernels: parallel ${kind} takes at most 32 argument slots`);
  const buffer = inst.arena.ensure(0).buffer;
  const ints = new Int32Array(buffer, pArgs, args.length), floats = new Float32Array(buffer, pArgs, args.length);
  args.forEach((v, i) => (o.floatSlots?.includes(i) ? (floats[i] = v) : (ints[i] = v)));
  runShared(inst, 'parallel', () => [PARALLEL[kind], pArgs, units, pCtrl], pCtrl, () => {});
}
