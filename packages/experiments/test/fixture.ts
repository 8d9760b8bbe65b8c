/**
 * Schema-valid results for unit tests, built from the real husai config and a few chosen numbers
 * (PWMCC values, trainedVsInit, ...), with the verdicts the experiment's rules decide from them.
 * Everything not chosen is a plausible constant. Exported as `@saelab/experiments/fixture` for the
 * report site's tests, which check that the site puts given verdicts into words.
 */
import { loadConfig } from '../src/config/load.js';
import { checkWritten, SCHEMA_VERSION, type MeasuredResults, type Results,
  type TaskResult } from '../src/results/schema.js';
import { computeVerdicts } from '../src/verdicts/index.js';

export interface TaskSpec {
  kind: 'copy' | 'modular';
  pairs: number[]; // the 10 pairwise PWMCC values of 5 seeds, row-major upper triangle
  randomPairs?: number[];
  ci95?: [number, number];
  trainedVsInit?: number[];
  l0?: number;
  ev?: number[];
  dead?: number[];
  valAccuracy?: number;
  /**
   * Principal components for 90%, 99% and 99.9% of the activations' variance (default 17, 19, 41: fewer than k = 32).
   */
  components?: [number, number, number];
  participationRatio?: number;
  initShapes?: TaskResult['randomBaseline']['initShapes'];
  /**
   * Pairwise PWMCC of the decoders (and the untrained ones) projected onto the top principal directions, at every
   * level.
   */
  subspacePairs?: number[];
  subspaceRandomPairs?: number[];
  subspaceWelchP?: number;
  /**
   * The cross-seed PWMCC curve within the span (index 0 untrained); the full-space one is the same values minus 0.4.
   */
  curve?: number[];
}

/** Uniform-entry dictionaries above Gaussian ones, as measured at d_sae 1024, d_in 128. */
const INIT_SHAPES: TaskResult['randomBaseline']['initShapes'] = {
  uniform: { values: [0.3003, 0.3002], mean: 0.30025, std: 0.0006 },
  gaussian: { values: [0.2988, 0.2989], mean: 0.29885, std: 0.0006 },
  welch: { t: 5, df: 18, p: 1e-3, diff: 0.0014, se: 0.0003 },
};

const SEEDS = [42, 123, 456, 789, 1011];
const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;

function pairSummary(values: number[]) {
  const matrix = SEEDS.map((_, i) => SEEDS.map((_, j): number => (i === j ? 1 : 0)));
  const pairs: { i: number; j: number; seedA: number; seedB: number; value: number }[] = [];
  let k = 0;
  for (let i = 0; i < SEEDS.length; i++) {
    for (let j = i + 1; j < SEEDS.length; j++) {
      const value = values[k++]!;
      matrix[i]![j] = matrix[j]![i] = value;
      pairs.push({ i, j, seedA: SEEDS[i]!, seedB: SEEDS[j]!, value });
    }
  }
  const m = mean(values);
  const sorted = [...values].sort((a, b) => a - b);
  return {
    seeds: SEEDS, matrix, pairs, mean: m, std: Math.sqrt(mean(values.map((v) => (v - m) ** 2))),
    min: sorted[0]!, max: sorted[sorted.length - 1]!, median: (sorted[4]! + sorted[5]!) / 2,
  };
}

function task(spec: TaskSpec): TaskResult {
  const random = spec.randomPairs ?? spec.pairs.map(() => 0.2988);
  const p = pairSummary(spec.pairs);
  const r = pairSummary(random);
  const ttest = { t: 1, df: 9, p: 0.3, diff: p.mean - r.mean, se: 0.001 };
  return {
    name: spec.kind, kind: spec.kind,
    transformer: { epochs: 100, epochBudget: 100, stoppedEarly: false, trainLoss: [2, 1, 0.5],
      valAccuracy: spec.valAccuracy ?? 1,
      valTokenAccuracy: spec.valAccuracy ?? 1, trainAccuracy: 1, valAccuracyCurve: [0.2, 0.8, 1],
      file: `${spec.kind}/transformer.safetensors` },
    activations: { hook: 'blocks.1.hook_resid_post', position: 20, count: 50000, dModel: 128,
      file: `${spec.kind}/activations.safetensors`,
      spectrum: { eigenvalues: Array.from({ length: 128 }, (_, i) => 0.8 ** i),
        participationRatio: spec.participationRatio ?? 18.4,
        componentsFor: { '0.9': spec.components?.[0] ?? 17, '0.99': spec.components?.[1] ?? 19,
          '0.999': spec.components?.[2] ?? 41 } } },
    saes: SEEDS.map((seed, i) => ({
      seed, variant: 'husai' as const, k: 32, dSae: 1024, loss: 4.5, l0: spec.l0 ?? 32,
      explainedVariance: spec.ev?.[i] ?? 0.9942,
      fvu: 0.0058, deadFraction: spec.dead?.[i] ?? 0.025, trainedVsInit: spec.trainedVsInit?.[i] ?? 0.5,
      trainedVsInitCurve: [0.9, 0.5], lossCurve: [5, 4.5], file: `${spec.kind}/sae-seed${seed}`,
    })),
    pwmcc: p,
    encoderPwmcc: p,
    ...(spec.curve && { pwmccCurve: { full: spec.curve.map((v) => v - 0.4), subspace: spec.curve,
      m: spec.components?.[1] ?? 19 } }),
    subspace: ([0.9, 0.99, 0.999] as const).map((variance, level) => {
      const decoder = pairSummary(spec.subspacePairs ?? spec.pairs);
      const untrained = pairSummary(spec.subspaceRandomPairs ?? random);
      return {
        variance, m: spec.components?.[level] ?? [17, 19, 41][level]!, analytic: 0.5, decoder,
        encoder: decoder, untrained,
        vsUntrained: { t: 3, df: 18, p: spec.subspaceWelchP ?? 1e-6, diff: decoder.mean - untrained.mean, se: 0.01 },
        excluded: { decoder: SEEDS.map(() => 0), encoder: SEEDS.map(() => 0), untrained: SEEDS.map(() => 3) },
      };
    }),
    randomBaseline: { analytic: 0.2988, analyticStd: 0.01, empirical: r, initShapes: spec.initShapes ?? INIT_SHAPES },
    matching: { threshold: 0.7, meanMatchedCosine: { mean: 0.3, values: spec.pairs.map(() => 0.3) },
      sharedFraction: { mean: 0.01, values: spec.pairs.map(() => 0.01) }, randomMeanMatchedCosine: 0.29 },
    bootstrap: { mean: p.mean, ci95: spec.ci95 ?? [p.min, p.max], se: 0.001, iterations: 10000 },
    trainedVsRandom: { trainedMean: p.mean, randomMean: r.mean, diff: p.mean - r.mean, diffInRandomStds: 1,
      welch: ttest },
  };
}

/** A full results object for config `name` with the given tasks (and the z-test figures, if given). */
export function makeResults(name: string, tasks: TaskSpec[],
    zTest?: { z: number; p: number; cohensD: number; ci: [number, number] }): Results {
  const config = { ...loadConfig('husai'), name };
  const built = tasks.map(task);
  const measured: MeasuredResults = {
    schemaVersion: SCHEMA_VERSION, config,
    environment: { node: 'v20.20.0', backend: 'wasm', gitCommit: 'abc', gitDirty: false,
      startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T01:00:00Z',
      platform: 'linux x64', cpus: 2, durationsMs: { transformers: 1000, saes: 2000, analysis: 300 } },
    tasks: built,
    comparison: built.length >= 2
      ? { tasks: [built[0]!.name, built[1]!.name], zTest: { diff: built[0]!.pwmcc.mean - built[1]!.pwmcc.mean,
        se: 0.007, ...(zTest ?? { z: 0.41, p: 0.68, cohensD: 0.18, ci: [-0.017, 0.011] }) },
        welch: { t: 0.4, df: 9, p: 0.7, diff: 0, se: 0.007 } }
      : null,
  };
  // stays in step with the schema
  return checkWritten({ ...measured, verdicts: computeVerdicts(measured) }, `fixture ${name}`);
}

/** The report's own numbers, as a run that reproduces every claim. */
export const REPORTED = () => makeResults('husai', [
  { kind: 'copy', pairs: [0.305, 0.306, 0.307, 0.306, 0.305, 0.306, 0.307, 0.306, 0.306, 0.306],
    ev: [0.994, 0.9944, 0.9944, 0.9941, 0.9941], dead: [0.019, 0.025, 0.036, 0.02, 0.031] },
  { kind: 'modular', pairs: [0.286, 0.332, 0.309, 0.3, 0.318, 0.29, 0.33, 0.309, 0.31, 0.306] },
]);

/** The results with their verdicts decided again: for tests that change numbers after building them. */
export const decide = (r: Results): Results => ({ ...r, verdicts: computeVerdicts(r) });
