/**
 * results.json: the contract between the experiment and everything that reads it (the report
 * site, a researcher's notebook). Versioned; a reader validates with `parseResults` and gets an
 * error naming the file and the field.
 */
import { z } from 'zod';
import { ConfigSchema } from '../config/schema.js';

export const SCHEMA_VERSION = 1;

const num = z.number();
/** A test statistic: null where it is undefined (zero spread, as with 2 seeds' single pair). */
const stat = z.number().nullable();
const ttest = z.object({ t: stat, df: stat, p: stat, diff: num, se: num });

const PairSummary = z.object({
  seeds: z.array(z.number()),
  matrix: z.array(z.array(num)),
  pairs: z.array(z.object({ i: z.number().int(), j: z.number().int(), seedA: z.number(), seedB: z.number(), value: num })),
  mean: num, std: num, min: num, max: num, median: num,
});

export const SaeResultSchema = z.object({
  seed: z.number().int(),
  variant: z.enum(['husai', 'openai']),
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

export const TaskResultSchema = z.object({
  name: z.string(),
  kind: z.enum(['copy', 'modular']),
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
    /** PCA of the activations (metrics/spectrum.ts): eigenvalues largest first, components for 90/99/99.9% of the variance. */
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
    sharedFraction: z.object({ mean: num, values: z.array(num) }), // matched pairs above threshold on encoder and decoder
    randomMeanMatchedCosine: num, // the same for the initial decoders
  }),
  bootstrap: z.object({ mean: num, ci95: z.tuple([num, num]), se: num, iterations: z.number().int() }),
  trainedVsRandom: z.object({
    trainedMean: num, randomMean: num, diff: num, diffInRandomStds: stat, welch: ttest,
    analytic: z.object({ baseline: num, trained: ttest, random: ttest }).optional(),
  }),
});

export const ResultsSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  config: ConfigSchema,
  environment: z.object({
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
    /** Tasks whose transformer (and activations) were copied from another results folder with the same stage key. */
    reusedTransformers: z.record(z.string(), z.string()).optional(),
    /** Stages that were already done when this run started: their durationsMs are those of the run that did the work. */
    replayedStages: z.array(z.string()).optional(),
  }),
  tasks: z.array(TaskResultSchema),
  /** The original's z-test and Welch's t-test between the first two tasks' pairwise PWMCC values. */
  comparison: z.object({
    tasks: z.tuple([z.string(), z.string()]),
    zTest: z.object({ diff: num, se: num, z: stat, p: stat, cohensD: stat, ci: z.tuple([num, num]) }),
    welch: ttest,
  }).nullable(),
});

export type Results = z.infer<typeof ResultsSchema>;
export type TaskResult = z.infer<typeof TaskResultSchema>;
export type SaeResult = z.infer<typeof SaeResultSchema>;

/** Validates parsed results.json content; `source` names the file in errors. */
export function parseResults(value: unknown, source: string): Results {
  const parsed = ResultsSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new Error(`${source} is not a valid saelab results file (schema version ${SCHEMA_VERSION}):\n${issues.join('\n')}\nRegenerate it with \`npx saelab run --config <name>\`.`);
  }
  return parsed.data;
}
