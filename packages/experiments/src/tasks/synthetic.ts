/**
 * The synthetic task (PROTOCOL.md, "Synthetic activations with known features"): no transformer;
 * the activations are x = sum_i a_i f_i (+ noise) over N known unit features, generated from the
 * config by ../synthetic/generate.ts, and the SAEs are scored against the features. The config is
 * the generator's (every field has a default, so `{ "kind": "synthetic" }` is the protocol's setting).
 */
import { didFire, generateSynthetic, SyntheticDataSchema, type SyntheticDataConfig } from '../synthetic/index.js';
import { z } from 'zod';
import type { GeneratedTask } from './definition.js';

export const SyntheticTaskSchema = SyntheticDataSchema.extend({ kind: z.literal('synthetic') });
export type SyntheticTaskConfig = z.infer<typeof SyntheticTaskSchema>;

export const synthetic = {
  source: 'generated',
  kind: 'synthetic',
  title: 'synthetic features',
  schema: SyntheticTaskSchema,
  generate(cfg) {
    // Only the generator's own fields: the task's entry also holds `kind` (and may hold an SAE override).
    const data = Object.fromEntries(Object.keys(SyntheticDataSchema.shape).map((k) => [k, cfg[k as keyof typeof cfg]]));
    const ds = generateSynthetic(data as SyntheticDataConfig);
    let active = 0;
    for (const a of ds.fired.active) active += a;
    const { features } = ds.config;
    return { activations: ds.activations, n: ds.config.samples, d: ds.config.d, truth: ds.truth,
      meanActive: active / ds.config.samples,
      activeFeatures: (row) => Array.from({ length: features }, (_, i) => i).filter((i) => didFire(ds.fired, row, i)) };
  },
  dIn: (cfg) => cfg.d,
} as const satisfies GeneratedTask<SyntheticTaskConfig>;
