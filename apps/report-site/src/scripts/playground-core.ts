/**
 * The stability playground's computation, a plain module (the Web Worker calls it; so do the tests, in Node):
 * synthetic activations from a known dictionary (the synthetic task's generator), one SAE per seed trained by the
 * experiment's own loop (trainSae), and the study's metrics: cross-seed PWMCC against its analytic chance level,
 * each SAE's recovery of the true features, and the |cos| of one seed's latents with the true features. Nothing
 * here computes science of its own: every number comes from a function of @saelab/experiments, on whatever
 * @saelab/tensor backend is current.
 *
 * The experiment's files are imported by path, not through the package's index, which also brings the CLI and
 * its worker pool (Node only). What they import that is Node-only (checkpoint files) is never called here.
 */
import { generateSynthetic } from '../../../../packages/experiments/src/synthetic/generate.js';
import { trainSae } from '../../../../packages/experiments/src/train/sae.js';
import { analyticBaseline } from '../../../../packages/experiments/src/metrics/baseline.js';
import { cosineMatrix, pwmcc, pwmccMatrix, summarisePairs, type Matrix } from
  '../../../../packages/experiments/src/metrics/pwmcc.js';
import { matchedToTruth, scoreAgainstTruth, type TruthScores } from
  '../../../../packages/experiments/src/metrics/truth.js';
import type { SaeTraining } from '../../../../packages/experiments/src/config/schema.js';
import type { PlaygroundSettings } from './playground-settings.js';

/** What the run reports as it goes (the worker posts each to the page). */
export type PlaygroundEvent =
  | { type: 'data'; d: number; features: number; samples: number; meanL0: number; dSae: number; chance: number;
      stepsPerSae: number; ms: number }
  /** Training step `step` (1-based, of `steps`) of SAE `sae`; loss as trainSae reports it (4 decimals). */
  | { type: 'step'; sae: number; seed: number; step: number; steps: number; loss: number; stepMs: number }
  /** After each epoch: PWMCC of this SAE's decoder with each earlier seed's at the same epoch. */
  | { type: 'epoch'; sae: number; seed: number; epoch: number; pwmccWithEarlier: number[] }
  | { type: 'sae'; sae: number; seed: number; result: SaeResult }
  | { type: 'done'; summary: PlaygroundSummary };

export interface SaeResult {
  seed: number;
  loss: number;
  lossCurve: number[];
  l0: number;
  explainedVariance: number;
  deadFraction: number;
  truth: TruthScores;
  /** Mean training step time in ms (the whole SAE's training over its steps). */
  stepMs: number;
}

export interface PlaygroundSummary {
  saes: SaeResult[];
  /** The seeds' PWMCC matrix (diagonal 1) and its off-diagonal mean, min and max. */
  pwmccMatrix: number[][];
  pwmcc: { mean: number; min: number; max: number };
  /** E[PWMCC] of two random [dSae, d] dictionaries. */
  chance: number;
  /** Mean cross-seed PWMCC after each epoch (the study's pwmccCurve, on decoders). */
  pwmccCurve: number[];
  heatmap: Heatmap;
}

/**
 * |cos| of the first seed's latents (rows) with the true features (columns): features ordered by the cosine of
 * their one-to-one (Hungarian) match, best first; latents in the order of the features they match, the unmatched
 * after. So a dictionary that recovered the truth shows a bright diagonal.
 */
export interface Heatmap {
  rows: number;
  cols: number;
  /** [rows, cols] row-major. */
  values: Float32Array;
  /** The latent of each row and the feature of each column, in the original numbering. */
  latents: number[];
  features: number[];
}

/** The experiment's SAE training settings for the playground's. */
export function saeTraining(s: PlaygroundSettings): SaeTraining {
  return { variant: s.arch, expansion: s.dSae / s.d, k: s.k, lr: s.lr, batchSize: s.batchSize, epochs: s.epochs };
}

/** The playground's data set: the synthetic task's generator at these settings (every other field its default). */
export function playgroundData(s: PlaygroundSettings) {
  return generateSynthetic({ d: s.d, features: s.features, samples: s.samples, meanActive: s.meanActive,
    dataSeed: s.dataSeed });
}

/** Orders the |cos| matrix of truth against one learned dictionary by the matching (see Heatmap). */
export function truthHeatmap(truth: Matrix, learned: Matrix): Heatmap {
  const match = matchedToTruth(truth, learned);
  const cos = cosineMatrix(truth, learned); // [N, L]
  const features = Array.from({ length: truth.rows }, (_, i) => i)
    .sort((a, b) => match.featureCosine[b]! - match.featureCosine[a]! || a - b);
  const matched = features.map((i) => match.latentOf[i]!).filter((j) => j >= 0);
  const taken = new Set(matched);
  const latents = [...matched, ...Array.from({ length: learned.rows }, (_, j) => j).filter((j) => !taken.has(j))];
  const values = new Float32Array(latents.length * features.length);
  latents.forEach((j, r) => features.forEach((i, c) => {
    values[r * features.length + c] = cos[i * learned.rows + j]!;
  }));
  return { rows: latents.length, cols: features.length, values, latents, features };
}

const LOSS = /loss (-?[\d.]+(?:e[+-]?\d+)?|NaN|-?Infinity)/;

/**
 * Generates the data, trains one SAE per seed in turn and scores them, reporting each stage through `emit`.
 * `now` is the clock for step times (performance.now in a browser).
 */
export async function runPlayground(s: PlaygroundSettings, emit: (e: PlaygroundEvent) => void,
    now: () => number = () => performance.now()): Promise<PlaygroundSummary> {
  const t0 = now();
  const data = playgroundData(s);
  const meanL0 = data.fired.active.reduce((a, b) => a + b, 0) / data.fired.samples;
  const chance = analyticBaseline(s.d, s.dSae);
  const stepsPerSae = s.epochs * Math.ceil(s.samples / s.batchSize);
  emit({ type: 'data', d: s.d, features: s.features, samples: s.samples, meanL0, dSae: s.dSae, chance, stepsPerSae,
    ms: now() - t0 });
  const cfg = saeTraining(s);
  const decodersByEpoch: Matrix[][] = []; // [sae][epoch - 1]
  const saes: SaeResult[] = [];
  const decoders: Matrix[] = [];
  for (const [index, seed] of s.seeds.entries()) {
    const byEpoch: Matrix[] = [];
    decodersByEpoch.push(byEpoch);
    let last = now();
    const start = last;
    const progress = {
      start() {},
      update(done: number, status?: string) {
        const t = now();
        const loss = Number(LOSS.exec(status ?? '')?.[1] ?? NaN);
        emit({ type: 'step', sae: index, seed, step: done, steps: stepsPerSae, loss, stepMs: t - last });
        last = t;
      },
      finish() {},
    };
    const onEpoch = async (epoch: number, decoder: Matrix) => {
      byEpoch.push(decoder);
      const pwmccWithEarlier = decodersByEpoch.slice(0, index).map((earlier) => pwmcc(earlier[epoch - 1]!, decoder));
      emit({ type: 'epoch', sae: index, seed, epoch, pwmccWithEarlier });
    };
    const { metrics } = await trainSae(data.activations, s.d, cfg, seed, { progress, onEpoch });
    const decoder = byEpoch[byEpoch.length - 1]!;
    decoders.push(decoder);
    const result: SaeResult = {
      seed, loss: metrics.loss, lossCurve: metrics.lossCurve, l0: metrics.l0,
      explainedVariance: metrics.explainedVariance, deadFraction: metrics.deadFraction,
      truth: scoreAgainstTruth(data.truth, decoder), stepMs: (last - start) / stepsPerSae,
    };
    saes.push(result);
    emit({ type: 'sae', sae: index, seed, result });
  }
  const matrix = pwmccMatrix(decoders);
  const pairs = summarisePairs(matrix);
  const pwmccCurve = Array.from({ length: s.epochs }, (_, e) =>
    summarisePairs(pwmccMatrix(decodersByEpoch.map((byEpoch) => byEpoch[e]!))).mean);
  const summary: PlaygroundSummary = {
    saes, pwmccMatrix: matrix, pwmcc: { mean: pairs.mean, min: pairs.min, max: pairs.max }, chance, pwmccCurve,
    heatmap: truthHeatmap(data.truth, decoders[0]!),
  };
  emit({ type: 'done', summary });
  return summary;
}
