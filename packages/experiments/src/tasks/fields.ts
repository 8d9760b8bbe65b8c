/**
 * Config fields that the task schemas share with the rest of the config: number checks whose
 * messages name the allowed range, the transformer stage a task may declare (its training
 * recipe and the hook its activations are read from), and the SAE training a task may override.
 * They live here, not in config/schema.ts, because that file builds its task union from the
 * registry, which imports the task schemas.
 */
import { saeArchitectureNames } from '@saelab/models';
import { z } from 'zod';

export const int = (min = 1) => z.number().int(`must be an integer`).min(min, `must be >= ${min}`);
export const positive = () => z.number().positive('must be > 0');
export const fraction = () => z.number().gt(0, 'must be in (0, 1)').lt(1, 'must be in (0, 1)');

export const TransformerTrainingSchema = z.strictObject({
  nLayers: int(), // 2
  dModel: int(), // 128; also the SAE's d_in
  nHeads: int(), // 4
  dHead: int(), // 32
  dMlp: int(), // 512
  optimizer: z.enum(['adam', 'adamw']), // copy: adam; modular: adamw
  lr: positive(), // 1e-3
  weightDecay: z.number().min(0, 'must be >= 0'), // adamw only; 0.01 (husai), 1.0 allowed for corrected
  batchSize: int(), // copy 256, modular 512
  epochs: int(), // copy: exactly this many; modular: the budget (200 husai, 500 corrected)
  /** Stop early once validation accuracy has stayed >= valAccuracy for forEpochs epochs in a row. */
  stopWhen: z.strictObject({ valAccuracy: z.number().min(0).max(1), forEpochs: int() }).optional(),
  seed: int(0), // init and shuffle
});

/** Where a transformer task's activations are read: one residual hook (the position is the task's to say). */
export const ActivationsSchema = z.strictObject({
  hook: z.string().regex(/^blocks\.\d+\.hook_resid_(pre|mid|post)$/,
    'must be a residual hook like blocks.1.hook_resid_post'),
});

export type TransformerTraining = z.infer<typeof TransformerTrainingSchema>;

/** How the SAEs are trained (the config's `sae`). */
export const SaeTrainingSchema = z.strictObject({
  variant: z.enum(saeArchitectureNames), // the SAE architecture registry's names (@saelab/models): husai, openai
  expansion: int(), // 8: d_sae = expansion * d_model
  k: int(), // 32
  lr: positive(), // 3e-4 (Adam)
  batchSize: int(), // 256
  epochs: int(), // 20
  auxK: int().optional(), // openai: default min(256, d_in / 2)
  auxCoef: z.number().min(0).optional(), // openai: default 1/32
  deadAfter: int().optional(), // openai: samples unfired before a latent counts as dead; default 10,000
  // The other architectures' settings (packages/models/src/sae/; defaults there). k is every architecture's latents
  // per sample: TopK's count, BatchTopK's batch average, and for standard, gated and jumprelu the L0 their lambda is
  // steered to (an L0 controller, models' shared.ts) unless `lambda` is given, which fixes it and leaves k unused.
  lambda: z.number().min(0, 'must be >= 0').optional(), // sparsity coefficient: standard 5, gated 1, jumprelu 1
  lambdaWarmup: z.number().min(0).lt(1, 'must be in [0, 1)').optional(), // share of training lambda ramps up over
  decoderInitNorm: positive().optional(), // standard: initial decoder row norm, 0.1
  applyBDecToInput: z.boolean().optional(), // standard (true) and jumprelu (false): the encoder sees x - b_dec
  bandwidth: positive().optional(), // jumprelu: the STE's rectangle-kernel width epsilon, 0.001
  initThreshold: positive().optional(), // jumprelu: initial threshold theta, 0.001
  thresholdLr: z.number().gt(0).max(1, 'must be in (0, 1]').optional(), // batchtopk: threshold average rate, 0.01
  l0Gain: z.number().gt(0).max(1, 'must be in (0, 1]').optional(), // standard, gated, jumprelu: L0 controller's gain
  // 'none' (the default): the SAE trains on the activations as they are. 'expected_average_only_in' (SAELens's name):
  // on c x with c = sqrt(d_in) / mean ||x||, so that the coefficients, thresholds and bandwidths of the papers (which
  // assume such inputs) mean what they say; c is folded into the saved weights (train/sae.ts).
  normalizeActivations: z.enum(['none', 'expected_average_only_in']).optional(),
});
export type SaeTraining = z.infer<typeof SaeTrainingSchema>;

/**
 * A task's own SAE settings, in place of the config's `sae` fields it names (`{ "expansion": 4, "k": 8 }`): one config
 * can then train SAEs of several shapes or variants on one kind of data, each task one setting.
 */
export const SaeOverrideSchema = SaeTrainingSchema.partial();
