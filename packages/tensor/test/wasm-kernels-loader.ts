/**
 * The wasm kernel tests' shared preamble: builds the generated kernels file when a fresh checkout lacks it
 * (turbo's test task builds first; a bare `vitest run` may not), then exposes the loader (instantiate, the instance
 * the kernel wrappers of src/backends/wasm/ take), the backend's factory, kernelPair() and alloc().
 */
import { execFileSync } from 'node:child_process';
import { afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Instance } from '../src/backends/wasm/loader.js';

export type { Instance } from '../src/backends/wasm/loader.js';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(pkgDir, 'src/backends/wasm/kernels-wasm.generated.ts'))) {
  execFileSync(process.execPath, [join(pkgDir, 'scripts/build-wasm.mjs')], { stdio: 'inherit' });
}
export const { disposeInstance, instantiate, threadsOf } = await import('../src/backends/wasm/loader.js');
export const { createWasmBackend } = await import('../src/backends/wasm.js');

/** Kernels on one thread and on two (the tests compare them), disposed once the calling test file is done. */
export async function kernelPair(): Promise<[Instance, Instance]> {
  const pair: [Instance, Instance] = [await instantiate({ threads: 1 }), await instantiate({ threads: 2 })];
  afterAll(() => pair.forEach(disposeInstance));
  return pair;
}

/** n floats (stale contents) living in k's memory, which the kernels use in place; throws where the memory cannot
 *  hold them (it is not shared). */
export function alloc(k: Instance, n: number): Float32Array {
  const a = k.arena.heap.view(n);
  if (!a) throw new Error('no resident storage here (the memory is not shared?)');
  return a;
}

/** Work units k's helper threads have computed so far, in every shared kernel. */
export const workerUnits = (k: Instance): number => k.helpers?.unitsDone ?? 0;
