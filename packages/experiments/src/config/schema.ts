/**
 * The experiment's configuration: one JSON file per protocol (configs/*.json), validated here.
 * Every field of ../shared/PROTOCOL.md that a run depends on lives in the config, so a results
 * file can say exactly what produced it. Errors name the field and the allowed range.
 */
import { z } from 'zod';
import { fraction, int, SaeTrainingSchema, type SaeTraining } from '../tasks/fields.js';
import { dInOf, TaskSchema } from '../tasks/index.js';

export {
  SaeOverrideSchema, SaeTrainingSchema, TransformerTrainingSchema, type SaeTraining, type TransformerTraining,
} from '../tasks/fields.js';
export { TaskSchema, taskKinds, type TaskConfig, type TaskKind } from '../tasks/index.js';

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
    /**
     * true (left out): results.json holds PWMCC after every SAE epoch, from the snapshots the SAE jobs keep. A
     * sweep whose budget is an axis sets false: the curve costs an all-pairs cosine per epoch, more than the rest of
     * the analysis at 80 epochs of d_sae 2048.
     */
    pwmccCurve: z.boolean('pwmccCurve must be true or false').optional(),
  }),
}).superRefine((c, ctx) => {
  for (const [name, task] of Object.entries(c.tasks)) {
    const dIn = dInOf(task);
    const sae = { ...c.sae, ...task.sae };
    const dSae = sae.expansion * dIn;
    if (sae.k > dSae) {
      const why = `${dSae} = expansion ${sae.expansion} x d_in ${dIn} of task ${name}`;
      const own = task.sae?.k !== undefined || task.sae?.expansion !== undefined;
      const path = own ? ['tasks', name, 'sae', 'k'] : ['sae', 'k'];
      ctx.addIssue({ code: 'custom', path, message: `k (${sae.k}) must be <= d_sae (${why})` });
    }
  }
});

export type Config = z.infer<typeof ConfigSchema>;

/** The SAE training of one task: the config's `sae`, with the task's own `sae` fields (if any) in their place. */
export function saeOf(config: Pick<Config, 'sae' | 'tasks'>, taskName: string): SaeTraining {
  const own = config.tasks[taskName]?.sae;
  return own ? { ...config.sae, ...own } : config.sae;
}
