/**
 * Which registered backends are worth running on this machine: what test suites run on and what
 * benchmarks compare. A backend that would only be a slower copy of another is left out.
 */
import { loadBackend, registeredBackends } from '../backend.js';
import type { GpujsBackend } from './gpujs.js';

/**
 * Every registered backend but `reference64` (a tool for gradient checks), with `gpujs` only
 * where it runs on a GPU: in Node that needs the `gl` module built and a display (`xvfb-run -a`);
 * elsewhere gpu.js would fall back to WebAssembly or CPU. Where SAELAB_GPUJS_MODE names a mode,
 * gpujs is kept whatever happens, so that a failure to load it is reported, not skipped.
 *
 *   const names = await runnableBackends(); // ['reference', 'wasm', 'gpujs'] under xvfb-run
 */
export async function runnableBackends(): Promise<string[]> {
  const names = registeredBackends().filter((n) => n !== 'reference64');
  const modeRequested = typeof process !== 'undefined' && !!process.env?.SAELAB_GPUJS_MODE;
  if (!names.includes('gpujs') || modeRequested) return names;
  const onGpu = await loadBackend('gpujs').then((b) => (b as GpujsBackend).isGpu, () => false);
  return onGpu ? names : names.filter((n) => n !== 'gpujs');
}
