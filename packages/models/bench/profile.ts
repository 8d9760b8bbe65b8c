/**
 * Where the time of a training step goes, per backend method: every method of the backend
 * instance is wrapped with a performance.now() stopwatch, then the SAE and transformer steps of
 * bench/steps.ts (those bench/models.ts times) run and a table of milliseconds per step is printed, biggest first.
 * Unary, binary and reduce calls are split by op, matmuls by shape, so that "binary" does not hide
 * which op costs.
 * Page faults are counted too: on virtual machines a first touch of fresh memory can cost ~10 us a page.
 * Run: npx tsx bench/profile.ts [sae|sae_openai|transformer] (all by default); SAELAB_BACKEND picks the backend,
 * TOP=n the number of rows.
 */
import { defaultBackendName, disposeBackends, releaseMemory, setBackend, type Backend } from '@saelab/tensor';
import {
  SAE_OPENAI_STEP_LABEL, SAE_STEP_LABEL, saeOpenaiStep, saeStep, TRANSFORMER_STEP_LABEL, transformerStep,
} from './steps.js';

interface Entry { ms: number; calls: number; faults: number }
const table = new Map<string, Entry>();

/** A readable key for one call: the method, plus its op or shape where that tells calls apart. */
function keyOf(method: string, args: unknown[]): string {
  const shape = (x: unknown) => `[${(x as number[]).join(',')}]`;
  if (method === 'unary') return `unary ${String(args[0])} ${args[2]}`;
  if (method === 'binary') return `binary ${String(args[0])} ${shape(args[2])} ${shape(args[4])}`;
  if (method === 'reduce') return `reduce ${String(args[0])} ${shape(args[2])} axis ${args[3]}`;
  if (method === 'matmul' || method === 'matmulBias') {
    const dims = method === 'matmul' ? args.slice(2) : args.slice(3); // matmulBias has the bias before them
    const [batch, M, K, N, tA, tB] = dims as [number, number, number, number, boolean, boolean];
    return `${method} ${batch}x[${M}x${K}x${N}]${tA ? ' tA' : ''}${tB ? ' tB' : ''}`;
  }
  if (method === 'permute') {
    return `permute [${(args[1] as number[]).join(',')}] by [${(args[2] as number[]).join(',')}]`;
  }
  return method;
}

/** The Backend interface's methods, and the methods wasm's and gpujs's registered fused kernels call (fused.ts);
 *  helpers a backend calls internally are not timed on their own. */
const METHODS = [
  'fromHost', 'toHost', 'zeros', 'unary', 'binary', 'where', 'layerNorm', 'layerNormGrad', 'reduce',
  'matmul', 'permute',
  'slice', 'pad', 'expand', 'gatherRows', 'scatterAddRows', 'gatherLast', 'scatterLast', 'gatherDot', 'gatherCombine',
  'scatterOuter', 'topk', 'adam', 'matmulBias', 'gelu', 'geluGrad', 'softmax', 'softmaxGrad', 'release',
];

/** Replaces each Backend method of `backend` with a timed wrapper. */
function instrument(backend: Backend): void {
  const target = backend as unknown as Record<string, unknown>;
  for (const name of METHODS) {
    const f = target[name];
    if (typeof f !== 'function') continue;
    target[name] = (...args: unknown[]) => {
      const f0 = process.resourceUsage().minorPageFault;
      const t0 = performance.now();
      try {
        return (f as (...a: unknown[]) => unknown).apply(backend, args);
      } finally {
        const ms = performance.now() - t0;
        const key = keyOf(name, args);
        const e = table.get(key) ?? { ms: 0, calls: 0, faults: 0 };
        e.ms += ms;
        e.calls++;
        e.faults += process.resourceUsage().minorPageFault - f0;
        table.set(key, e);
      }
    };
  }
}

/** Runs `step` (after warm-up) and prints the per-method table, in ms per step. Each step is followed by
 *  releaseMemory(), as in the experiment's loops: the wasm backend gets garbage-collected storage back then. */
async function profile(title: string, steps: number, warmup: number, step: () => void): Promise<void> {
  for (let i = 0; i < warmup; i++) {
    step();
    await releaseMemory();
  }
  table.clear();
  const faults0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    step();
    await releaseMemory();
  }
  const wall = (performance.now() - t0) / steps;
  const faults = (process.resourceUsage().minorPageFault - faults0) / steps;
  const rows = [...table.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const inside = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
  console.log(`\n${title}: ${wall.toFixed(2)} ms per step, ${inside.toFixed(2)} ms inside backend methods, `
    + `${faults.toFixed(0)} page faults`);
  for (const [key, e] of rows.slice(0, Number(process.env.TOP ?? 30))) {
    const faults = `${(e.faults / steps).toFixed(0)} faults`;
    console.log(`  ${(e.ms / steps).toFixed(3).padStart(9)} ms  ${String(e.calls / steps).padStart(5)} calls  `
      + `${faults.padStart(12)}  ${key}`);
  }
}

const which = process.argv[2];
if (process.env.WARM) {
  let big: Float32Array | null = new Float32Array(8 * 1024 * 1024 + 1024); big[0] = 1; big = null;
}
const backend = await setBackend(defaultBackendName());
instrument(backend);
console.log(`backend: ${backend.name}`);

if (!which || which === 'sae') await profile(SAE_STEP_LABEL, 40, 20, saeStep());
if (!which || which === 'sae_openai') await profile(SAE_OPENAI_STEP_LABEL, 40, 60, saeOpenaiStep());
if (!which || which === 'transformer') await profile(TRANSFORMER_STEP_LABEL, 6, 2, transformerStep());
disposeBackends();
