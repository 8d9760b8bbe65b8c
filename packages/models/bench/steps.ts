/**
 * The training steps the benchmarks time (bench/models.ts) and profile (bench/profile.ts), built on the
 * current backend: the husai and openai TopK SAEs (d_in 128, d_sae 1024, k 32, batch 256, Adam) and the copy-task
 * transformer (batch 256, 21 tokens, loss on positions 11..20, Adam), each as the experiment runs it.
 */
import { Adam, normal, Rng, tensor, tidy } from '@saelab/tensor';
import { makeSae, Transformer } from '../src/index.js';

export const SAE_STEP_LABEL = 'SAE step (husai, batch 256, d_sae 1024, k 32)';
export const SAE_OPENAI_STEP_LABEL = 'SAE step (openai, batch 256, d_sae 1024, k 32, AuxK 64)';
export const TRANSFORMER_STEP_LABEL = 'transformer step (copy task, batch 256 x 21 tokens)';

/** One SAE training step per call (the husai variant unless told; openai's latents unfired for 10,000 samples,
 *  40 steps, join its AuxK loss, so after the bench's warm-up its steps include it). */
export function saeStep(variant: 'husai' | 'openai' = 'husai'): () => void {
  const sae = makeSae({ dIn: 128, dSae: 1024, k: 32, variant }, 42);
  const opt = new Adam(sae.parameters(), { lr: 3e-4 });
  const acts = normal([256, 128], new Rng(1));
  return () => tidy(() => sae.trainStep(acts, opt));
}

export const saeOpenaiStep = (): (() => void) => saeStep('openai');

/** One copy-task transformer training step per call. */
export function transformerStep(): () => void {
  const model = new Transformer({ nLayers: 2, dModel: 128, nHeads: 4, dHead: 32, dMlp: 512, dVocab: 22, nCtx: 21 }, 0);
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const rng = new Rng(2);
  const tokens = tensor(Array.from({ length: 256 * 21 }, () => rng.int(22)), [256, 21]);
  const targets = tensor(Array.from({ length: 256 * 10 }, () => rng.int(20)), [256, 10]);
  return () => tidy(() => model.trainStep(tokens, targets, opt, [11, 21]));
}
