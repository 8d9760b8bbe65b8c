/**
 * The wasm kernel tests' shared preamble: builds the generated kernels file when a fresh checkout lacks it
 * (turbo's test task builds first; a bare `vitest run` may not), then exposes the loader, its type and kernelPair().
 */
import { execFileSync } from 'node:child_process';
import { afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(pkgDir, 'src/backends/wasm/kernels-wasm.generated.ts'))) {
  execFileSync(process.execPath, [join(pkgDir, 'scripts/build-wasm.mjs')], { stdio: 'inherit' });
}
export const { loadWasmKernels } = await import('../src/backends/wasm/kernels.js');
export type WasmKernels = Awaited<ReturnType<typeof loadWasmKernels>>;

/** Kernels on one thread and on two (the tests compare them), disposed once the calling test file is done. */
export async function kernelPair(): Promise<[WasmKernels, WasmKernels]> {
  const pair: [WasmKernels, WasmKernels] = [
    await loadWasmKernels({ threads: 1 }), await loadWasmKernels({ threads: 2 }),
  ];
  afterAll(() => pair.forEach((k) => k.dispose()));
  return pair;
}
