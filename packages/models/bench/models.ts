/**
 * Training-step throughput of the protocol's models on the default backend (SAELAB_BACKEND or
 * wasm): the husai TopK SAE (d_in 128, d_sae 1024, k 32, batch 256, Adam) and the copy-task
 * transformer (batch 256, 21 tokens, loss on positions 11..20, Adam), each beside the same step in
 * PyTorch (bench/pytorch_peer.py) measured in the same run, where Debian's PyTorch is installed
 * (apt-get install python3-torch libopenblas0-pthread; SAELAB_PYTORCH_PYTHON picks the interpreter,
 * default /usr/bin/python3). Without it the ratios are left out, not guessed.
 * Run: npm run bench -w @saelab/models. Ends with RESULT lines.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultBackendName, disposeBackends, releaseMemory, setBackend } from '@saelab/tensor';
import { SAE_STEP_LABEL, saeStep, TRANSFORMER_STEP_LABEL, transformerStep } from './steps.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Median ms of `steps` steps after `warmup`, each followed by releaseMemory() as the experiment's loops do. */
async function time(steps: number, warmup: number, step: () => void): Promise<number> {
  for (let i = 0; i < warmup; i++) {
    step();
    await releaseMemory();
  }
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    await releaseMemory();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

// PyTorch's fastest setting on the 2-core machines: 2 torch threads, one OpenBLAS thread. Its default glibc
// allocator hands big tensors back to the kernel and takes fresh pages for the next ones, and on these virtual
// machines a first touch costs microseconds per page: the tuned setting keeps freed memory instead. Both are
// measured; the targets compare with the faster.
const PYTHON = process.env.SAELAB_PYTORCH_PYTHON ?? '/usr/bin/python3';
const PEER = fileURLToPath(new URL('./pytorch_peer.py', import.meta.url));
const PEER_SETTINGS = {
  'default allocator': {},
  'malloc tuned': { MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '1073741824', MALLOC_TOP_PAD_: '268435456' },
};
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** PyTorch's median ms for the step in each setting, or null where PyTorch is not installed. */
function peer(name: 'sae' | 'transformer', steps: number, warmup: number): Record<string, number> | null {
  if (!hasTorch) return null;
  const out: Record<string, number> = {};
  for (const [setting, env] of Object.entries(PEER_SETTINGS)) {
    const run = spawnSync(PYTHON, [PEER, name, String(steps), String(warmup), '2'], {
      encoding: 'utf8', env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '2', ...env },
    });
    const ms = /^PEER \S+ ([\d.]+)$/m.exec(run.stdout ?? '')?.[1];
    if (run.status !== 0 || !ms) throw new Error(`PyTorch peer (${setting}) failed:\n${run.stderr}`);
    out[setting] = Number(ms);
  }
  return out;
}

/** Prints the peer's figures and our speed ratio over each; returns the ratio over the fastest, or null. */
function compare(label: string, ours: number, theirs: Record<string, number> | null): number | null {
  if (!theirs) {
    console.log(`  PyTorch not found (${PYTHON}: apt-get install python3-torch libopenblas0-pthread): no ratio`);
    return null;
  }
  for (const [setting, ms] of Object.entries(theirs)) {
    console.log(`  PyTorch (${setting}): ${ms.toFixed(2)} ms per ${label} -> ours is ${(ms / ours).toFixed(2)}x`);
  }
  return Math.min(...Object.values(theirs)) / ours;
}

const backend = await setBackend(defaultBackendName());
console.log(`backend: ${backend.name}; PyTorch peer: ${hasTorch ? PYTHON : 'not installed'}`);

const saeMs = await time(60, 20, saeStep());
console.log(`${SAE_STEP_LABEL}: ${saeMs.toFixed(2)} ms = ${(256 / saeMs * 1000).toFixed(0)} samples/s`);
const saeRatio = compare('SAE step', saeMs, peer('sae', 60, 20));

const stepMs = await time(8, 3, transformerStep());
console.log(`${TRANSFORMER_STEP_LABEL}: ${stepMs.toFixed(1)} ms`);
const stepRatio = compare('transformer step', stepMs, peer('transformer', 8, 3));

console.log(`RESULT sae_samples_per_s ${(256 / saeMs * 1000).toFixed(0)}`);
console.log(`RESULT transformer_step_ms ${stepMs.toFixed(1)}`);
if (saeRatio !== null) console.log(`RESULT sae_speedup_vs_pytorch ${saeRatio.toFixed(2)}`);
if (stepRatio !== null) console.log(`RESULT transformer_speedup_vs_pytorch ${stepRatio.toFixed(2)}`);
disposeBackends();
