/**
 * The experiment's configuration: one JSON file per protocol (configs/*.json), validated here.
 * Every field of ../shared/PROTOCOL.md that a run depends on lives in the config, so a results
 * file can say exactly what produced it. Errors name the field and the allowed range.
 */
import { z } from 'zod';

const int = (min = 1) => z.number().int(`must be an integer`).min(min, `must be >= ${min}`);
const positive = () => z.number().positive('must be > 0');
const fraction = () => z.number().gt(0, 'must be in (0, 1)').lt(1, 'must be in (0, 1)');

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

const ActivationsSchema = z.strictObject({
  hook: z.string().regex(/^blocks\.\d+\.hook_resid_(pre|mid|post)$/, 'must be a residual hook like blocks.1.hook_resid_post'),
});

export const CopyTaskSchema = z.strictObject({
  kind: z.literal('copy'),
  vocab: int(2), // 20 content tokens; SEP = vocab, PAD = vocab + 1
  length: int(), // 10 tokens copied
  examples: int(2), // 10,000
  trainFraction: fraction(), // 0.9: the first 90% train, the rest validation
  dataSeed: int(0),
  transformer: TransformerTrainingSchema,
  activations: ActivationsSchema.extend({
    count: int(), // 50,000 fresh sequences
    seed: int(0), // their generator, distinct from the training data's
  }),
});

export const ModularTaskSchema = z.strictObject({
  kind: z.literal('modular'),
  p: int(2), // 113
  /** Where the answer is read: 'answer' = index 5, which holds c itself (husai's leak); 'equals' = index 4. */
  readAt: z.enum(['answer', 'equals']),
  trainFraction: fraction(), // 0.9 of all p^2 pairs, split by a seeded shuffle
  dataSeed: int(0),
  transformer: TransformerTrainingSchema,
  activations: ActivationsSchema,
});

export const TaskSchema = z.discriminatedUnion('kind', [CopyTaskSchema, ModularTaskSchema]);

export const SaeTrainingSchema = z.strictObject({
  variant: z.enum(['husai', 'openai']),
  expansion: int(), // 8: d_sae = expansion * d_model
  k: int(), // 32
  lr: positive(), // 3e-4 (Adam)
  batchSize: int(), // 256
  epochs: int(), // 20
  auxK: int().optional(), // openai: default min(256, d_in / 2)
  auxCoef: z.number().min(0).optional(), // openai: default 1/32
  deadAfter: int().optional(), // openai: samples unfired before a latent counts as dead; default 10,000
});

export const ConfigSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string(),
  /** Every way this config departs from the original protocol, and why. */
  notes: z.array(z.string()),
  // Three seeds at least: two give a single pair, and the statistics over pairs need two or more.
  seeds: z.array(int(0)).min(3, 'needs at least 3 seeds (2 seeds give one pair; the statistics need 2 pairs or more)').refine((s) => new Set(s).size === s.length, 'must not repeat a seed'),
  tasks: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'task names are lowercase words'), TaskSchema)
    .refine((t) => Object.keys(t).length > 0, 'needs at least one task'),
  sae: SaeTrainingSchema,
  analysis: z.strictObject({
    bootstrapIterations: int(), // 10,000 resamples of seeds
    sharedThreshold: fraction(), // 0.7: a latent is shared when both cosines exceed it
    seed: int(0), // the bootstrap's generator
  }),
}).superRefine((c, ctx) => {
  for (const [name, task] of Object.entries(c.tasks)) {
    const dSae = c.sae.expansion * task.transformer.dModel;
    if (c.sae.k > dSae) {
      ctx.addIssue({ code: 'custom', path: ['sae', 'k'], message: `k (${c.sae.k}) must be <= d_sae (${dSae} = expansion ${c.sae.expansion} x d_model ${task.transformer.dModel} of task ${name})` });
    }
  }
});

export type Config = z.infer<typeof ConfigSchema>;
export type TaskConfig = z.infer<typeof TaskSchema>;
export type CopyTaskConfig = z.infer<typeof CopyTaskSchema>;
export type ModularTaskConfig = z.infer<typeof ModularTaskSchema>;
export type TransformerTraining = z.infer<typeof TransformerTrainingSchema>;
export type SaeTraining = z.infer<typeof SaeTrainingSchema>;
