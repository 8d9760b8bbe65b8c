/**
 * Training-step throughput of the protocol's models on the default backend (SAELAB_BACKEND or
 * wasm): the husai TopK SAE (d_in 128, d_sae 1024, k 32, batch 256, Adam) and the copy-task
 * transformer (batch 256, 21 tokens, loss on positions 11..20, Adam).
 * Run: npm run bench -w @saelab/models. Ends with RESULT lines.
 */
import { Adam, defaultBackendName, disposeBackends, normal, releaseMemory, Rng, setBackend, tensor } from '@saelab/tensor';
import { TopKSAE, Transformer } from '../src/index.js';

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

// SAE: one training step as the experiment runs it.
const sae = new TopKSAE({ dIn: 128, dSae: 1024, k: 32, variant: 'husai' }, 42);
const saeOpt = new Adam(sae.parameters(), { lr: 3e-4 });
const acts = normal([256, 128], new Rng(1));
const saeMs = await time(60, 20, () => {
  saeOpt.zeroGrad();
  const out = sae.forward(acts);
  out.loss.item();
  out.loss.backward();
  sae.constrainDecoder('beforeStep');
  saeOpt.step();
  sae.constrainDecoder('afterStep');
  sae.recordFirings(out.indices, out.values);
});
console.log(`SAE step (husai, batch 256, d_sae 1024, k 32): ${saeMs.toFixed(2)} ms = ${(256 / saeMs * 1000).toFixed(0)} samples/s`);

// Transformer: the copy task's step.
const model = new Transformer({ nLayers: 2, dModel: 128, nHeads: 4, dHead: 32, dMlp: 512, dVocab: 22, nCtx: 21 }, 0);
const opt = new Adam(model.parameters(), { lr: 1e-3 });
const rng = new Rng(2);
const tokens = tensor(Array.from({ length: 256 * 21 }, () => rng.int(22)), [256, 21]);
const targets = tensor(Array.from({ length: 256 * 10 }, () => rng.int(20)), [256, 10]);
const stepMs = await time(8, 3, () => {
  opt.zeroGrad();
  const loss = model.loss(tokens, targets, [11, 21]);
  loss.item();
  loss.backward();
  opt.step();
});
console.log(`transformer step (copy task, batch 256 x 21 tokens): ${stepMs.toFixed(1)} ms`);
// Recorded on this machine kind (not this run): PyTorch 1.13 CPU, 2 threads, OPENBLAS_NUM_THREADS=1:
// 9.6 ms per SAE step (26,000 samples/s) and 290 ms per transformer step.
console.log(`vs recorded PyTorch CPU figures: SAE ${(9.6 / saeMs).toFixed(2)}x, transformer ${(290 / stepMs).toFixed(2)}x`);
console.log(`RESULT sae_samples_per_s ${(256 / saeMs * 1000).toFixed(0)}`);
console.log(`RESULT transformer_step_ms ${stepMs.toFixed(1)}`);
disposeBackends();
