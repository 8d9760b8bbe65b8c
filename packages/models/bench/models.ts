/**
 * Training-step throughput of the protocol's models on the default backend (SAELAB_BACKEND or
 * wasm): the husai TopK SAE (d_in 128, d_sae 1024, k 32, batch 256, Adam) and the copy-task
 * transformer (batch 256, 21 tokens, loss on positions 11..20, Adam).
 * Run: npm run bench -w @saelab/models. Ends with RESULT lines.
 */
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

const backend = await setBackend(defaultBackendName());
console.log(`backend: ${backend.name}`);

const saeMs = await time(60, 20, saeStep());
console.log(`${SAE_STEP_LABEL}: ${saeMs.toFixed(2)} ms = ${(256 / saeMs * 1000).toFixed(0)} samples/s`);

const stepMs = await time(8, 3, transformerStep());
console.log(`${TRANSFORMER_STEP_LABEL}: ${stepMs.toFixed(1)} ms`);
// Recorded on this machine kind (not this run): PyTorch 1.13 CPU, 2 threads, OPENBLAS_NUM_THREADS=1:
// 9.6 ms per SAE step (26,000 samples/s) and 290 ms per transformer step.
console.log(`vs recorded PyTorch CPU figures: SAE ${(9.6 / saeMs).toFixed(2)}x, transformer ${(290 / stepMs).toFixed(2)}x`);
console.log(`RESULT sae_samples_per_s ${(256 / saeMs * 1000).toFixed(0)}`);
console.log(`RESULT transformer_step_ms ${stepMs.toFixed(1)}`);
disposeBackends();
