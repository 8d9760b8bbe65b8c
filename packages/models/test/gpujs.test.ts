/**
 * Training parity across backends: a few Adam steps of a tiny transformer and of tiny SAEs give
 * the same losses on every backend that runs here as on `wasm`, the backend the study trains on.
 * The backends come from `runnableBackends()` (or SAELAB_TEST_BACKENDS): `gpujs` is among them
 * where it has a GPU (`xvfb-run -a npm test`), and `reference` always is.
 *
 * The tolerance: a relative 1e-5 on every step's loss. The backends sum in different orders in
 * float32, which moves a loss by about 1e-7; Adam's early steps are close to lr * sign(g), so the
 * differences can grow from step to step. Measured over these runs against wasm: 2e-7 at most
 * for gpujs (HeadlessGL on Mesa llvmpipe), 6e-8 for reference. A wrong gradient moves these
 * losses by far more: they fall by 10% a step.
 */
import { describe, expect, it } from 'vitest';
import { Adam, loadBackend, normal, Rng, runnableBackends, tensor, withBackend, type Backend } from '@saelab/tensor';
import { makeSae, Transformer, type SaeConfig } from '../src/index.js';

const listed = process.env.SAELAB_TEST_BACKENDS;
const backends = (listed ? listed.split(',').map((s) => s.trim()) : await runnableBackends())
  .filter((n) => n !== 'wasm');
const RTOL = 1e-5;
const STEPS = 5;
/** The SAEs compared: both variants; openai's latents die after 32 samples (one batch), so AuxK runs from step 2. */
const CONFIGS: SaeConfig[] = [
  { dIn: 16, dSae: 64, k: 4, variant: 'husai' },
  { dIn: 16, dSae: 64, k: 4, variant: 'openai', deadAfter: 32 },
];

/** Per-step losses of a tiny copy-task-like transformer trained with Adam on `b`. */
function transformerLosses(b: Backend): number[] {
  return withBackend(b, () => {
    const model = new Transformer({ nLayers: 2, dModel: 16, nHeads: 2, dHead: 8, dMlp: 32, dVocab: 11, nCtx: 8 }, 1);
    const opt = new Adam(model.parameters(), { lr: 1e-2 });
    const rng = new Rng(2);
    const tokens = tensor(Array.from({ length: 8 * 8 }, () => rng.int(11)), [8, 8]); // [B, T]
    const targets = tensor(Array.from({ length: 8 * 4 }, () => rng.int(11)), [8, 4]); // [B, P]: positions 4..7
    return Array.from({ length: STEPS }, () => model.trainStep(tokens, targets, opt, [4, 8]));
  });
}

/** Per-step losses of a tiny TopK SAE as the experiment trains it (decoder constraints, firing counts). */
function saeLosses(b: Backend, cfg: SaeConfig): number[] {
  return withBackend(b, () => {
    const x = normal([32, cfg.dIn], new Rng(3));
    const sae = makeSae(cfg, 4);
    const opt = new Adam(sae.parameters(), { lr: 1e-2 });
    return Array.from({ length: STEPS }, () => sae.trainStep(x, opt));
  });
}

function expectLossesClose(got: number[], want: number[]): void {
  got.forEach((l, i) => {
    expect(Math.abs(l - want[i]!), `step ${i}: ${l} vs wasm ${want[i]}`).toBeLessThanOrEqual(RTOL * Math.abs(want[i]!));
  });
}

it('the runs compared learn on wasm: every loss falls over the five steps', async () => {
  const wasm = await loadBackend('wasm');
  const runs = [transformerLosses(wasm), ...CONFIGS.map((cfg) => saeLosses(wasm, cfg))];
  for (const losses of runs) expect(losses[STEPS - 1]).toBeLessThan(0.9 * losses[0]!);
});

describe.each(backends)('training on %s tracks wasm', (name) => {
  it('a tiny transformer: five Adam steps of cross-entropy', async () => {
    const [b, wasm] = await Promise.all([loadBackend(name), loadBackend('wasm')]);
    expectLossesClose(transformerLosses(b), transformerLosses(wasm));
  });

  it('tiny TopK SAEs of both variants: five Adam steps with the decoder constraints', async () => {
    const [b, wasm] = await Promise.all([loadBackend(name), loadBackend('wasm')]);
    for (const cfg of CONFIGS) expectLossesClose(saeLosses(b, cfg), saeLosses(wasm, cfg));
  });
});
