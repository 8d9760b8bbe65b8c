// Running a kernel on every thread at once. gemm and mapShared share out their own work from an atomic
// counter (assembly/sync.ts), so the calling thread and the helpers all make the same call: this posts it to
// the helpers first, copies the inputs in while they wake (tens of microseconds), raises the "go" word, runs
// it here, then waits for the helpers that started (a late one is cancelled: the others did its share).
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
export function runShared({ ex, arena, helpers }: Instance, fn: SharedKernel, argsOf: (t: number) => number[], ctrl: number,
  copyIn: () => void): number {
  const words = new Int32Array(arena.ensure(0).buffer, ctrl, CTRL_BYTES / 4);
  words.fill(0); // counters at zero, "go" down
  const run = ex[fn] as (...args: number[]) => number;
  if (!helpers) {
    copyIn();
    words[GO] = 1;
    run(...argsOf(0));
    return 0;
  }
  const seq = helpers.post(fn, argsOf);
  let error: unknown = null;
  try {
    copyIn();
  } catch (e) {
    error = e;
  }
  Atomics.store(words, GO, 1);
  Atomics.notify(words, GO);
  try {
    if (!error) run(...argsOf(0));
  } catch (e) {
    error = e;
  }
  const units = helpers.join(seq);
  if (error) throw error;
  return units;
}
