/**
 * The experiment's configuration: one JSON file per protocol (configs/*.json), validated here.
 * Every field of ../shared/PROTOCOL.md that a run depends on lives in the config, so a results
 * file can say exactly what produced it. Errors name the field and the allowed range.
 */
import { saeArchitectureNames } from '@saelab/models';
import { z } from 'zod';
import { fraction, int, positive } from '../tasks/fields.js';
import { TaskSchema, taskOf } from '../tasks/index.js';

export { TransformerTrainingSchema, type TransformerTraining } from '../tasks/fields.js';
export { TaskSchema, taskKinds, type TaskConfig, type TaskKind } from '../tasks/index.js';

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
});

export const ConfigSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string(),
  /** Every way this config departs from the original protocol, and why. */
  notes: z.array(z.string()),
  // Three seeds at least: two give a single pair, and the statistics over pairs need two or more.
  seeds: z.array(int(0))
    .min(3, 'needs at least 3 seeds (2 seeds give one pair; the statistics need 2 pairs or more)')
    .refine((s) => new Set(s).size === s.length, 'must not repeat a seed'),
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
    const dIn = taskOf(task).dIn(task);
    const dSae = c.sae.expansion * dIn;
    if (c.sae.k > dSae) {
      const why = `${dSae} = expansion ${c.sae.expansion} x d_in ${dIn} of task ${name}`;
      ctx.addIssue({ code: 'custom', path: ['sae', 'k'], message: `k (${c.sae.k}) must be <= d_sae (${why})` });
    }
  }
});

export type Config = z.infer<typeof ConfigSchema>;
export type SaeTraining = z.infer<typeof SaeTrainingSchema>;
