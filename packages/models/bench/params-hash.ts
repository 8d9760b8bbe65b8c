/**
 * Hashes of the parameters after a few training steps of each model at the bench's sizes: the husai and openai
 * SAEs (8 steps each) and the copy-task transformer (3 steps), on the default backend. Kernel work that must not
 * change a bit (the committed results are reproduced byte for byte) keeps these hashes, on any thread count:
 * run before and after a change, and with SAELAB_WASM_THREADS=1 and 2. (The tensor package's
 * bench/gemm-hash.mts does the same for matrix products alone.)
 * Run: npx tsx bench/params-hash.ts
 */
import { createHash } from 'node:crypto';
import { Adam, defaultBackendName, disposeBackends, normal, releaseMemory, Rng, setBackend, tensor, tidy,
  type Tensor } from '@saelab/tensor';
import { makeSae, Transformer } from '../src/index.js';

const hash = (params: Tensor[]): string => {
  const h = createHash('sha256');
  for (const p of params) h.update(Buffer.from(Float32Array.from(p.toArray()).buffer));
  return h.digest('hex').slice(0, 16);
};

const backend = await setBackend(defaultBackendName());
console.log(`backend: ${backend.name}`);
for (const variant of ['husai', 'openai'] as const) {
  const dataMean = variant === 'openai' ? new Float32Array(128).fill(0.1) : undefined;
  const sae = makeSae({ dIn: 128, dSae: 1024, k: 32, variant }, 42, dataMean);
  const opt = new Adam(sae.parameters(), { lr: 3e-4 });
  for (let i = 0; i < 8; i++) {
    const x = normal([256, 128], new Rng(i));
    tidy(() => sae.trainStep(x, opt, 1.3));
    await releaseMemory();
  }
  console.log(`${variant} SAE, 8 steps: ${hash(sae.parameters())}`);
}
const model = new Transformer({ nLayers: 2, dModel: 128, nHeads: 4, dHead: 32, dMlp: 512, dVocab: 22, nCtx: 21 }, 0);
const opt = new Adam(model.parameters(), { lr: 1e-3 });
const rng = new Rng(2);
const tokens = tensor(Array.from({ length: 256 * 21 }, () => rng.int(22)), [256, 21]);
const targets = tensor(Array.from({ length: 256 * 10 }, () => rng.int(20)), [256, 10]);
for (let i = 0; i < 3; i++) tidy(() => model.trainStep(tokens, targets, opt, [11, 21]));
console.log(`copy transformer, 3 steps: ${hash(model.parameters())}`);
disposeBackends();
