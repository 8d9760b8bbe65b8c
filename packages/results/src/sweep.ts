/**
 * sweep.json: what `saelab sweep` writes beside its cells' results folders. A sweep is a base config
 * and axes of overrides; each cell (one value per axis) is one config, run as `saelab run` runs it,
 * into `cells/<cell>/`. `rows` is the tidy table (also written as sweep.csv): one row per cell, task
 * and pair of seeds (`level: 'pair'`), and one per cell, task and SAE (`level: 'sae'`).
 */
import { z } from 'zod';

export const SWEEP_SCHEMA_VERSION = 1;

const num = z.number().nullable(); // null: not defined for this row (no truth, no subspace level)

/** One row of the tidy table; the axis values of its cell are under `axes`, by axis path. */
export const SweepRowSchema = z.object({
  cell: z.string(),
  axes: z.record(z.string(), z.unknown()),
  task: z.string(),
  kind: z.string(),
  variant: z.string(),
  dSae: z.number().int(),
  k: z.number().int(),
  epochs: z.number().int(),
  level: z.enum(['pair', 'sae']),
  seedA: z.number().int().nullable(), // pair rows: the two seeds; SAE rows: seedA is the SAE's seed
  seedB: z.number().int().nullable(),
  pwmcc: num, // pair: the decoders' PWMCC
  untrainedPwmcc: num, // pair: the same seeds' untrained decoders
  chance: num, // the analytic chance level of the full space (d_in, d_sae)
  subspacePwmcc: num, // pair: PWMCC within the top principal directions holding 99% of the variance
  subspaceUntrained: num,
  subspaceChance: num,
  matchedCosine: num, // pair: Hungarian mean matched cosine of the decoders
  sharedFraction: num, // pair: latents matched above the threshold on encoder and decoder
  bothRecovered90: num, // pair, truth: true features both SAEs recover at |cos| >= 0.9
  explainedVariance: num, // SAE rows
  l0: num,
  deadFraction: num,
  trainedVsInit: num,
  mmcs: num, // SAE, truth: decoder MMCS against the true features
  recovered90: num,
  recovered99: num,
});

export const SweepCellSchema = z.object({
  name: z.string(),
  /** The cell's results folder, relative to the sweep folder. */
  dir: z.string(),
  axes: z.record(z.string(), z.unknown()),
  status: z.enum(['done', 'failed']),
  /** Why a failed cell failed (a bad value for its config, say); the other cells still ran. */
  error: z.string().optional(),
  durationMs: z.number(),
});

export const SweepSchema = z.object({
  schemaVersion: z.literal(SWEEP_SCHEMA_VERSION),
  name: z.string(),
  description: z.string(),
  base: z.string(),
  /** Every axis path with the values some cell takes (a grid of several blocks: each block's cells take some). */
  axes: z.record(z.string(), z.array(z.unknown())),
  /** The overrides every cell took (the grid's `set`), by path. */
  set: z.record(z.string(), z.unknown()).optional(),
  backend: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  cells: z.array(SweepCellSchema),
  rows: z.array(SweepRowSchema),
});

export type Sweep = z.infer<typeof SweepSchema>;
export type SweepRow = z.infer<typeof SweepRowSchema>;
export type SweepCell = z.infer<typeof SweepCellSchema>;
