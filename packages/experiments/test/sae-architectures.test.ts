/**
 * Every SAE architecture of the registry trains through the experiment's loop (trainSae): on small synthetic
 * data it reconstructs better than its start, and a run killed after an epoch and resumed from its checkpoint
 * ends bit-identical to one that was not (BatchTopK's threshold included, which the parameters do not hold).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saeArchitectureNames } from '@saelab/models';
import { setBackend } from '@saelab/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { SaeTrainingSchema, type SaeTraining } from '../src/config/schema.js';
import { generateSynthetic } from '../src/synthetic/index.js';
import { decoderMatrix, trainSae } from '../src/train/sae.js';

const data = generateSynthetic({ d: 16, features: 32, meanActive: 3, samples: 512, dataSeed: 1 });
// A fixed lambda for the coefficient architectures here: their L0 controller (tested below) changes the objective
// as it goes, so their loss need not fall.
const LAMBDA: Record<string, number> = { standard: 0.5, gated: 0.5, jumprelu: 0.01 };
const cfg = (variant: string, epochs: number): SaeTraining => SaeTrainingSchema.parse({
  variant, expansion: 2, k: 3, lr: 3e-3, batchSize: 64, epochs,
  ...(LAMBDA[variant] !== undefined ? { lambda: LAMBDA[variant] } : {}),
});

describe('matched L0', () => {
  beforeAll(() => setBackend('reference'));

  // JumpReLU is not here: at the paper's bandwidth (0.001) on these unnormalised activations its thresholds get
  // gradient from too few samples for its L0 to follow lambda within a short run (notes of session 13).
  it.each(['standard', 'gated'])('%s without a lambda steers its L0 to the config\'s k', async (variant) => {
    const c = SaeTrainingSchema.parse({ variant, expansion: 2, k: 4, lr: 3e-3, batchSize: 64, epochs: 12 });
    const { sae, metrics } = await trainSae(data.activations, 16, c, 7);
    // the controller's target (the default lambda alone misses it, or leaves lambdaScale at 1)
    expect(Math.abs(metrics.l0 - 4) / 4).toBeLessThan(0.35);
    expect(sae.trainingState().lambdaScale).not.toBe(1);
    const fixed = await trainSae(data.activations, 16, { ...c, lambda: (sae as unknown as { lambdaReached: number })
      .lambdaReached }, 7);
    expect(fixed.sae.trainingState()).toEqual({}); // a fixed lambda: no controller
  });
});

describe.each(saeArchitectureNames.map((n) => [n]))('%s through trainSae', (variant) => {
  beforeAll(() => setBackend('reference'));

  it('trains: the loss falls, and the metrics are finite', async () => {
    const { metrics } = await trainSae(data.activations, 16, cfg(variant, 3), 7);
    expect(metrics.lossCurve).toHaveLength(3);
    expect(metrics.lossCurve[2]!).toBeLessThan(metrics.lossCurve[0]!);
    const values = [metrics.l0, metrics.explainedVariance, metrics.trainedVsInit];
    expect(values.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('resumes from an epoch checkpoint to the same bits as an uninterrupted run', async () => {
    const whole = await trainSae(data.activations, 16, cfg(variant, 2), 7);
    const checkpointPath = join(mkdtempSync(join(tmpdir(), 'saelab-arch-')), 'ckpt.safetensors');
    // Killed during epoch 2 (8 steps an epoch): the checkpoint holds epoch 1.
    const killer = { start() {}, finish() {}, update(done: number) {
      if (done === 11) throw new Error('killed');
    } };
    await expect(trainSae(data.activations, 16, cfg(variant, 2), 7, { checkpointPath, progress: killer }))
      .rejects.toThrow('killed');
    const resumed = await trainSae(data.activations, 16, cfg(variant, 2), 7, { checkpointPath });
    expect(decoderMatrix(resumed.sae).data).toEqual(decoderMatrix(whole.sae).data);
    expect(resumed.sae.trainingState()).toEqual(whole.sae.trainingState());
    expect(resumed.metrics).toEqual(whole.metrics);
  });
});

it('rejects an architecture setting out of range, naming the field', () => {
  expect(SaeTrainingSchema.safeParse({ variant: 'jumprelu', expansion: 2, k: 3, lr: 1e-3, batchSize: 8, epochs: 1,
    bandwidth: 0 }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['bandwidth: must be > 0']);
});

describe('normalizeActivations', () => {
  beforeAll(() => setBackend('reference'));

  // Scaling the activations by 4 (a power of two: every product and sum scales exactly) must not change what the SAE
  // learns: it trains on the same c x bit for bit, and only the folded weights carry the factor.
  it.each(['openai', 'jumprelu'])('%s learns the same SAE from x and from 4 x; the file takes x as it is',
    async (variant) => {
      const c = { ...cfg(variant, 2), normalizeActivations: 'expected_average_only_in' as const };
      const x4 = Float32Array.from(data.activations, (v) => v * 4);
      const [a, b] = [await trainSae(data.activations, 16, c, 7), await trainSae(x4, 16, c, 7)];
      expect(b.metrics.lossCurve).toEqual(a.metrics.lossCurve);
      expect([b.metrics.l0, b.metrics.explainedVariance]).toEqual([a.metrics.l0, a.metrics.explainedVariance]);
      expect(Array.from(b.sae.W_enc.toArray())).toEqual(Array.from(a.sae.W_enc.toArray(), (v) => v / 4));
      expect(Array.from(b.sae.W_dec.toArray())).toEqual(Array.from(a.sae.W_dec.toArray(), (v) => v * 4));
      // Without it, the scale changes the training (Adam's steps are not scale-free).
      const plain = cfg(variant, 2);
      const raw = [await trainSae(data.activations, 16, plain, 7), await trainSae(x4, 16, plain, 7)];
      expect(raw[1]!.metrics.lossCurve).not.toEqual(raw[0]!.metrics.lossCurve);
    });
});
