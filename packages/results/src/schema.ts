/**
 * results.json: the contract between the experiment and everything that reads it (the report
 * site, a researcher's notebook). Versioned; a reader validates with `parseResults` and gets an
 * error naming the file and the field. This package holds only the contract (zod), so a reader
 * needs none of the experiment's machinery.
 *
 * The config is checked here only for the fields readers rely on; the experiment validates it in
 * full (its ConfigSchema) before it writes the file. Task kinds and SAE variants are strings here:
 * the experiment's registries decide which exist, and a reader renders whatever a file holds.
 *
 * Version 2 adds `verdicts` (the study's conclusions, decided by the experiment's rules in
 * packages/experiments/src/verdicts/), and per task `randomBaseline.initShapes`, `encoderPwmcc` and
 * `subspace` (PWMCC where the data lives). Version 1 files are upgraded in place by
 * `npx saelab upgrade <dir>`, which regenerates the activations through the committed transformer.
 * A task whose activations are generated (the synthetic positive control) has no `transformer`,
 * no hook or position, and a `truth` section: its SAEs scored against the known features.
 */
import { z } from 'zod';
import { VerdictsSchema } from './verdicts.js';

export const SCHEMA_VERSION = 2;

const num = z.number();
/** A test statistic: null where it is undefined (zero spread, as with 2 seeds' single pair). */
const stat = z.number().nullable();
const ttest = z.object({ t: stat, df: stat, p: stat, diff: num, se: num });
const sample = z.object({ values: z.array(num), mean: num, std: num });

const PairSummary = z.object({
  seeds: z.array(z.number()),
  matrix: z.array(z.array(num)),
  pairs: z.array(z.object({ i: z.number().int(), j: z.number().int(), seedA: z.number(), seedB: z.number(),
    value: num })),
  mean: num, std: num, min: num, max: num, median: num,
});

/** The config fields readers use; the rest passes through as written. */
export const RunConfigSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string(),
  notes: z.array(z.string()),
  seeds: z.array(z.number().int()),
  tasks: z.record(z.string(), z.looseObject({ kind: z.string() })),
  sae: z.looseObject({ variant: z.string(), k: z.number().int() }),
  analysis: z.looseObject({ sharedThreshold: num }),
});

export const SaeResultSchema = z.object({
  seed: z.number().int(),
  variant: z.string(),
  k: z.number().int(),
  dSae: z.number().int(),
  loss: num,
  l0: num,
  explainedVariance: num,
  fvu: num,
  deadFraction: num,
  trainedVsInit: num,
  trainedVsInitCurve: z.array(num),
  lossCurve: z.array(num),
  file: z.string(), // relative to the results folder, without extension: <file>.safetensors, <file>.cfg.json
});

const TaskResultV1 = z.object({
  name: z.string(),
  kind: z.string(),
  transformer: z.object({
    epochs: z.number().int(),
    epochBudget: z.number().int(),
    stoppedEarly: z.boolean(),
    trainLoss: z.array(num),
    valAccuracy: num,
    valTokenAccuracy: num,
    trainAccuracy: num,
    valAccuracyCurve: z.array(num),
    file: z.string(),
  }),
  activations: z.object({
    hook: z.string(), position: z.number().int(), count: z.number().int(), dModel: z.number().int(), file: z.string(),
    /**
     * PCA of the activations (metrics/spectrum.ts): eigenvalues largest first, components for 90/99/99.9% of the
     * variance.
     */
    spectrum: z.object({
      eigenvalues: z.array(num),
      componentsFor: z.object({ '0.9': z.number().int(), '0.99': z.number().int(), '0.999': z.number().int() }),
      participationRatio: num,
    }),
  }),
  saes: z.array(SaeResultSchema),
  pwmcc: PairSummary,
  randomBaseline: z.object({
    analytic: num, // E[PWMCC] of independent isotropic dictionaries of this size
    analyticStd: num,
    empirical: PairSummary, // PWMCC among the SAEs' own initial decoders (same seeds, untrained)
  }),
  matching: z.object({
    threshold: num,
    meanMatchedCosine: z.object({ mean: num, values: z.array(num) }), // Hungarian one-to-one on decoder |cos|
    // matched pairs above threshold on encoder and decoder
    sharedFraction: z.object({ mean: num, values: z.array(num) }),
    randomMeanMatchedCosine: num, // the same for the initial decoders
  }),
  bootstrap: z.object({ mean: num, ci95: z.tuple([num, num]), se: num, iterations: z.number().int() }),
  trainedVsRandom: z.object({
    trainedMean: num, randomMean: num, diff: num, diffInRandomStds: stat, welch: ttest,
    analytic: z.object({ baseline: num, trained: ttest, random: ttest }).optional(),
  }),
});

/**
 * Why untrained decoders can sit above the analytic baseline: PWMCC of pairs of random [d_sae, d_in]
 * dictionaries whose entries are uniform (points in a cube, as Kaiming-uniform draws them) against
 * Gaussian (isotropic directions, as the formula assumes), with Welch's test between the two.
 */
export const InitShapesSchema = z.object({ uniform: sample, gaussian: sample, welch: ttest });

/**
 * PWMCC where the data lives (PROTOCOL.md): decoder rows, encoder rows and the untrained decoders
 * projected onto the activations' top-m principal directions, m holding `variance` of the variance;
 * rows keeping < 5% of their norm there are left out (`excluded`: how many, per SAE in seed order).
 * `analytic` is the chance level for dimension m (n = d_sae); `vsUntrained` is Welch's test of the
 * decoders' pairwise values against the untrained decoders' projected the same way.
 */
export const SubspaceLevelSchema = z.object({
  variance: num,
  m: z.number().int(),
  analytic: num,
  decoder: PairSummary,
  encoder: PairSummary,
  untrained: PairSummary,
  vsUntrained: ttest,
  excluded: z.object({ decoder: z.array(z.number().int()), encoder: z.array(z.number().int()),
    untrained: z.array(z.number().int()) }),
});

/** One dictionary scored against the true features (packages/experiments/src/metrics/truth.ts). */
export const TruthScoresSchema = z.object({
  mmcs: num, // mean over true features of the max |cos| with any latent (Sharkey et al. 2022)
  mmcsReverse: num, // mean over latents of the max |cos| with any true feature
  recovered90: num, // fraction of true features some latent matches at |cos| >= 0.9
  recovered99: num, // ... at |cos| >= 0.99
  matchedCosine: num, // mean |cos| of a one-to-one (Hungarian) matching of features and latents
});

/**
 * A generated task's SAEs against the truth: the true features [N, d] (tensor `features` in `file`), each SAE's decoder
 * and encoder rows and its untrained decoder scored against them, the means over SAEs, the chance levels of random
 * directions, and for each pair of seeds the fractions of true features that both SAEs recover.
 */
export const TruthSchema = z.object({
  file: z.string(),
  features: z.number().int(),
  d: z.number().int(),
  /** The generated data's mean count of firing features per sample (its config asks for `meanActive`). */
  meanActive: num,
  /**
   * E[MMCS] of a random isotropic dictionary: mmcs for d_sae random latents against each true feature, mmcsReverse for
   * N random features against each latent (the PWMCC chance integral with n = d_sae or N, in d dimensions).
   */
  chance: z.object({ mmcs: num, mmcsReverse: num }),
  saes: z.array(z.object({
    seed: z.number().int(), decoder: TruthScoresSchema, encoder: TruthScoresSchema, untrained: TruthScoresSchema,
  })),
  mean: z.object({ decoder: TruthScoresSchema, encoder: TruthScoresSchema, untrained: TruthScoresSchema }),
  /** Per pair of seeds (the order of `pwmcc.pairs`): their decoders' PWMCC and the features both recover. */
  pairs: z.array(z.object({ seedA: z.number().int(), seedB: z.number().int(), pwmcc: num, bothRecovered90: num,
    bothRecovered99: num })),
});

export const TaskResultSchema = TaskResultV1.extend({
  /** Absent for a task whose activations are generated, not read from a transformer. */
  transformer: TaskResultV1.shape.transformer.optional(),
  /** `hook` and `position` are absent for generated activations. */
  activations: TaskResultV1.shape.activations.extend({
    hook: z.string().optional(), position: z.number().int().optional() }),
  randomBaseline: TaskResultV1.shape.randomBaseline.extend({ initShapes: InitShapesSchema }),
  /** PWMCC of the encoder rows ([d_sae, d_in], one per latent) in the full space. */
  encoderPwmcc: PairSummary,
  /** Subspace PWMCC at 90%, 99% and 99.9% of the variance, in that order. */
  subspace: z.array(SubspaceLevelSchema),
  /**
   * Cross-seed agreement as training went on: mean PWMCC over seed pairs of the decoders after each epoch, in the
   * full space and projected onto the top `m` principal directions (99% of the variance); index 0 is the untrained
   * decoders, index e the decoders after epoch e. A training-time record (the decoders of every epoch are kept only
   * in the run's .work/); absent from runs whose SAEs trained before it was recorded.
   */
  pwmccCurve: z.object({ full: z.array(num), subspace: z.array(num), m: z.number().int() }).optional(),
  /** A task with known features (synthetic): its SAEs scored against them. */
  truth: TruthSchema.optional(),
});

const Environment = z.object({
  node: z.string(),
  backend: z.string(),
  gitCommit: z.string(),
  gitDirty: z.boolean(), // uncommitted changes in the tree that ran
  startedAt: z.string(),
  finishedAt: z.string(),
  platform: z.string(),
  cpus: z.number().int(),
  /** Wall time per stage: from its first job's start to its last job's end (training stages overlap). */
  durationsMs: z.record(z.string(), num),
  /** What the main thread's backend says of itself (Backend.describe: wasm's threads and module, gpujs's mode and GL
   *  renderer); the transformers train there. */
  backendDetails: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** The same of the pool's worker threads, where SAEs trained in them (one thread each). */
  workerBackendDetails: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Tasks whose transformer (and activations) were copied from another results folder with the same stage key. */
  reusedTransformers: z.record(z.string(), z.string()).optional(),
  /** Stages that were already done when this run started: their durationsMs are those of the run that did the work. */
  replayedStages: z.array(z.string()).optional(),
  /** When and by which schema version an older file was upgraded in place (`saelab upgrade`). */
  upgradedFrom: z.object({ schemaVersion: z.number().int(), at: z.string() }).optional(),
});

/** The original's z-test and Welch's t-test between the first two tasks' pairwise PWMCC values. */
const Comparison = z.object({
  tasks: z.tuple([z.string(), z.string()]),
  zTest: z.object({ diff: num, se: num, z: stat, p: stat, cohensD: stat, ci: z.tuple([num, num]) }),
  welch: ttest,
}).nullable();

/** A version 1 file: what `saelab upgrade` reads. */
export const ResultsV1Schema = z.object({
  schemaVersion: z.literal(1),
  config: RunConfigSchema,
  environment: Environment,
  tasks: z.array(TaskResultV1),
  comparison: Comparison,
});

export const ResultsSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  config: RunConfigSchema,
  environment: Environment,
  tasks: z.array(TaskResultSchema),
  comparison: Comparison,
  verdicts: VerdictsSchema,
});

export type Results = z.infer<typeof ResultsSchema>;
export type ResultsV1 = z.infer<typeof ResultsV1Schema>;
export type TaskResult = z.infer<typeof TaskResultSchema>;
export type SaeResult = z.infer<typeof SaeResultSchema>;
export type InitShapes = z.infer<typeof InitShapesSchema>;
export type SubspaceLevel = z.infer<typeof SubspaceLevelSchema>;
export type Truth = z.infer<typeof TruthSchema>;
export type TruthScoresResult = z.infer<typeof TruthScoresSchema>;
/** Results before the experiment's rules have decided anything: what the verdicts are computed from. */
export type MeasuredResults = Omit<Results, 'verdicts'>;

/** The schema version a parsed JSON value claims, or undefined. */
const versionOf = (value: unknown): unknown => (typeof value === 'object' && value !== null
  ? (value as { schemaVersion?: unknown }).schemaVersion : undefined);

/** Validates parsed results.json content; `source` names the file in errors. */
export function parseResults(value: unknown, source: string): Results {
  const version = versionOf(value);
  if (typeof version === 'number' && version < SCHEMA_VERSION) {
    throw new Error(`${source} has schema version ${version}; this reader needs version ${SCHEMA_VERSION}. `
      + `Upgrade it in place with \`npx saelab upgrade <its folder>\` (nothing is retrained).`);
  }
  return check(ResultsSchema, value, source);
}

/** A failed parse's first ten issues, one indented line each (`  path: message`), for an error message. */
export function issueLines(error: z.ZodError): string {
  return error.issues.slice(0, 10).map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n');
}

/** Validates a value against one of the results schemas, with the error format of parseResults. */
export function check<S extends z.ZodType>(schema: S, value: unknown, source: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(`${source} is not a valid saelab results file (schema version `
    + `${String(versionOf(value) ?? 'missing')}, expected ${SCHEMA_VERSION}):\n${issueLines(parsed.error)}\n`
    + `Regenerate it with \`npx saelab run --config <name>\`.`);
}
