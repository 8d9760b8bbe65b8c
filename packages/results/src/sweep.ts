/**
 * sweep.json: what `saelab sweep` writes beside its cells' results folders. A sweep is a base config
 * and axes of overrides; each cell (one value per axis) is one config, run as `saelab run` runs it,
 * into `cells/<cell>/`. `rows` is the tidy table (also written as sweep.csv): one row per cell, task
 * and pair of seeds (`level: 'pair'`), and one per cell, task and SAE (`level: 'sae'`). `verdicts` is what the
 * sweep concludes per cell and task, decided by the experiment's fixed rules (packages/experiments/src/verdicts/
 * sweep.ts) and written with the thresholds it used, so the site only puts them into words.
 */
import { z } from 'zod';
import { issueLines } from './schema.js';

/** 2: `verdicts` (the rules and each cell's decided flags). */
export const SWEEP_SCHEMA_VERSION = 2;

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

/** The thresholds the sweep's verdicts used. */
export const SweepRulesSchema = z.object({
  /** A cell recovers the truth when its SAEs' mean fraction of true features found at |cos| >= 0.9 is at least this. */
  recoveredMost: z.number(),
  /** Mean PWMCC at or above this is high agreement. */
  highAgreement: z.number(),
  /** A cell with high agreement that recovers under this fraction of the true features agrees without recovery. */
  recoveredLow: z.number(),
});

/** What the sweep concludes about one task of one finished cell. */
export const SweepCellVerdictSchema = z.object({
  cell: z.string(),
  task: z.string(),
  /** The numbers decided on: mean PWMCC over seed pairs, the same seeds' untrained decoders', mean recovered90. */
  pwmcc: z.number(),
  untrainedPwmcc: z.number(),
  recovered90: z.number().nullable(), // null: a task without a truth
  /** pwmcc above untrainedPwmcc. */
  aboveUntrained: z.boolean(),
  /** recovered90 >= rules.recoveredMost; null, as every flag below, on a task without a truth. */
  recovers: z.boolean().nullable(),
  /** Recovers the truth, yet pwmcc < rules.highAgreement: the seeds find the same features, PWMCC reads them apart. */
  recoversWithoutAgreement: z.boolean().nullable(),
  /** pwmcc >= rules.highAgreement, yet recovered90 < rules.recoveredLow: the seeds agree on something else. */
  agreesWithoutRecovery: z.boolean().nullable(),
  /** d_sae below the number of true features: the dictionary cannot hold them all. */
  fewerLatentsThanFeatures: z.boolean().nullable(),
});

export const SweepVerdictsSchema = z.object({
  rules: SweepRulesSchema,
  /** One per finished cell and task, in the cells' order. */
  cells: z.array(SweepCellVerdictSchema),
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
  verdicts: SweepVerdictsSchema,
});

export type Sweep = z.infer<typeof SweepSchema>;
export type SweepRow = z.infer<typeof SweepRowSchema>;
export type SweepCell = z.infer<typeof SweepCellSchema>;
export type SweepRules = z.infer<typeof SweepRulesSchema>;
export type SweepCellVerdict = z.infer<typeof SweepCellVerdictSchema>;
export type SweepVerdicts = z.infer<typeof SweepVerdictsSchema>;

/**
 * Validates parsed sweep.json content; `file` names it in errors, which say how to regenerate it: a sweep run again
 * over its folder replays every finished stage and writes sweep.json anew (an older one, without verdicts, included).
 */
export function parseSweep(value: unknown, file: string): Sweep {
  const o = typeof value === 'object' && value !== null ? value as { schemaVersion?: unknown; name?: unknown } : {};
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) || '/' : '.';
  const grid = typeof o.name === 'string' ? o.name : '<name>';
  const fix = `Regenerate it with \`npx saelab sweep --grid ${grid} --out ${dir}\` (the grid that wrote it, `
    + 'a preset name or its JSON file; every stage its cells finished replays, untrained).';
  if (typeof o.schemaVersion === 'number' && o.schemaVersion < SWEEP_SCHEMA_VERSION) {
    throw new Error(`${file} has sweep schema version ${o.schemaVersion}, without the sweep's verdicts; this reader `
      + `needs version ${SWEEP_SCHEMA_VERSION}. Upgrade it in place with \`npx saelab upgrade ${dir}\` (from its `
      + `cells' results.json; nothing is rerun), or ${fix[0]!.toLowerCase()}${fix.slice(1)}`);
  }
  const parsed = SweepSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(`${file} is not a valid sweep.json:\n${issueLines(parsed.error)}\n${fix}`);
}
