/**
 * The wasm kernel tests' shared preamble: builds the generated kernels file when a fresh checkout lacks it
 * (turbo's test task builds first; a bare `vitest run` may not), then exposes the loader and its type.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(pkgDir, 'src/backends/wasm/kernels-wasm.generated.ts'))) {
  execFileSync(process.execPath, [join(pkgDir, 'scripts/build-wasm.mjs')], { stdio: 'inherit' });
}
export const { loadWasmKernels } = await import('../src/backends/wasm/kernels.js');
export type WasmKernels = Awaited<ReturnType<typeof loadWasmKernels>>;
