/**
 * The science after training: for each task, PWMCC between every pair of seeds, the random
 * baselines (analytic, and the SAEs' own untrained decoders), Hungarian matching and the shared
 * fraction, a bootstrap over seeds, and trained-vs-random, and the activations' PCA spectrum (how
 * many dimensions the SAEs had to cover); then the original's comparison of the two tasks. Everything is computed from
 * the saved weight files.
 */
import { loadSafetensors } from '@saelab/models';
import { SPAN_VARIANCE } from '@saelab/results';
import { Rng } from '@saelab/tensor';
import { saeOf, type Config } from '../config/schema.js';
import {
  analyticBaseline, analyticBaselineStd, bootstrapMeanPwmcc, initShapeBaselines, hungarianMatch, mean, pwmccMatrix,
  sharedFraction,
  summarisePairs, trainedVsRandom, upperTriangle, welchTTest, zTest, type Matrix,
} from '../metrics/index.js';
import { componentsFor, principalAxes, spectrumOf, type PrincipalAxes } from '../metrics/spectrum.js';
import { projectRows } from '../metrics/subspace.js';
import { bothRecovered, scoreAgainstTruth } from '../metrics/truth.js';
import type { Results, TaskResult } from '../results/schema.js';
import { isTransformerTask } from '../tasks/index.js';
import { silent, type Progress } from '../train/progress.js';
import { writePipelineLatents } from '../latents/write.js';
import { hookOf, isGenerated, readRecord, type SaeRecord, type TaskRecord } from './jobs.js';
import { stageKeys, taskPaths } from './layout.js';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';

/** Statistics that are infinite or NaN (zero spread) are undefined: results.json records null. */
export function finiteOrNull<T>(value: T): T {
  if (typeof value === 'number') return (Number.isFinite(value) ? value : null) as T;
  if (Array.isArray(value)) return value.map(finiteOrNull) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, finiteOrNull(v)])) as T;
  }
  return value;
}

/** A 2-D tensor of a weight file as a Matrix, transposed if asked (W_enc [d_in, d_sae] -> [d_sae, d_in]). */
export async function matrixFrom(path: string, name: string, transpose = false): Promise<Matrix> {
  const t = (await loadSafetensors(path)).tensors[name];
  if (!t || t.shape.length !== 2) throw new Error(`${path}: expected a 2-D tensor ${name}`);
  const [r, c] = t.shape as [number, number];
  const data = Float32Array.from(t.data as Float32Array);
  if (!transpose) return { data, rows: r, cols: c };
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = data[i * c + j]!;
  return { data: out, rows: c, cols: r };
}

/**
 * A PWMCC matrix over seeds as results.json records it: the matrix, its pairs with their seeds, and summary statistics.
 */
export function pairSummary(seeds: number[], matrix: number[][]) {
  const s = summarisePairs(matrix);
  return {
    seeds, matrix,
    pairs: s.pairs.map((p) => ({ ...p, seedA: seeds[p.i]!, seedB: seeds[p.j]! })),
    mean: s.mean, std: s.std, min: s.min, max: s.max, median: s.median,
  };
}

/**
 * The analysis of one task as a job of the run's pool (pool.ts): reads the records its training jobs wrote, then
 * `analyseTask`. Run after those jobs; a missing or stale record is an error naming the stage to run.
 */
export async function analysisJob(config: Config, taskName: string, out: string, backend: string,
    progress: Progress = silent): Promise<TaskResult> {
  const keys = stageKeys(config, taskName, backend);
  const paths = taskPaths(out, taskName);
  const recordPath = isTransformerTask(config.tasks[taskName]!) ? paths.transformerRecord : paths.generatedRecord;
  const task = await readRecord<TaskRecord>(recordPath, keys.transformer);
  const saes = await Promise.all(config.seeds.map((seed) => readRecord<SaeRecord>(paths.saeRecord(seed),
    keys.sae(seed))));
  if (!task || saes.some((s) => !s)) {
    throw new Error(`${taskName}: the analysis needs the task's finished ${!task ? 'activation stage' : 'SAEs'} `
      + `(records in ${paths.work} for this config); run the whole pipeline (saelab run), not the analysis alone`);
  }
  const label = `${taskName}: analysis`;
  progress.start(label, 1);
  const result = await analyseTask(config, taskName, out, task, saes as SaeRecord[]);
  await writePipelineLatents(config, taskName, out, isGenerated(task) && task.truth); // the latent pages' files
  progress.finish(`${label}: PWMCC ${result.pwmcc.mean.toFixed(4)} (untrained `
    + `${result.randomBaseline.empirical.mean.toFixed(4)})`);
  return result;
}

export async function analyseTask(config: Config, taskName: string, out: string, tr: TaskRecord,
    saes: SaeRecord[]): Promise<TaskResult> {
  const paths = taskPaths(out, taskName);
  const taskCfg = config.tasks[taskName]!;
  const sae = saeOf(config, taskName);
  const seeds = saes.map((s) => s.seed);
  const decoders = await Promise.all(seeds.map((s) => matrixFrom(`${paths.sae(s)}.safetensors`, 'W_dec')));
  // -> [d_sae, d_in]
  const encoders = await Promise.all(seeds.map((s) => matrixFrom(`${paths.sae(s)}.safetensors`, 'W_enc', true)));
  const inits = await Promise.all(seeds.map((s) => matrixFrom(paths.saeInit(s), 'W_dec')));
  const acts = (await loadSafetensors(paths.activations)).tensors.activations!;
  const [n, d] = acts.shape as [number, number];
  const axes = principalAxes(acts.data as Float32Array, n, d);
  const spectrum = spectrumOf(axes.eigenvalues);
  const dSae = decoders[0]!.rows;
  const rel = (p: string) => relative(out, p);
  const read = isGenerated(tr) || !isTransformerTask(taskCfg)
    ? { count: tr.count, dModel: d }
    : { hook: hookOf(taskCfg), position: tr.position, count: tr.count, dModel: tr.dModel };
  const compared = compareDictionaries(taskName, seeds, decoders, encoders, inits, config.analysis, axes);
  return {
    name: taskName,
    kind: taskCfg.kind,
    ...(!isGenerated(tr) && isTransformerTask(taskCfg)
      ? { transformer: { ...tr.history, epochBudget: taskCfg.transformer.epochs, file: rel(paths.transformer) } } : {}),
    activations: { ...read, file: rel(paths.activations), spectrum },
    saes: saes.map((s) => ({ seed: s.seed, variant: sae.variant, k: sae.k, dSae, ...s.metrics,
      file: rel(paths.sae(s.seed)) })),
    ...compared,
    ...config.analysis.pwmccCurve === false ? {} : await pwmccCurve(paths, saes, inits, axes, sae.epochs),
    ...(isGenerated(tr) && tr.truth
      ? { truth: await truthSection(rel(paths.truth), paths.truth, tr.meanActive ?? NaN, d, seeds, decoders,
        encoders, inits, compared.pwmcc.pairs) } : {}),
  };
}

/**
 * A generated task's SAEs against its true features (metrics/truth.ts): every decoder, encoder and untrained decoder
 * scored, the means over SAEs, the chance levels of random directions, and per pair of seeds the features both recover.
 */
export async function truthSection(file: string, path: string, meanActive: number, d: number, seeds: number[],
    decoders: Matrix[], encoders: Matrix[], inits: Matrix[], pairs: { i: number; j: number; value: number }[]) {
  const truth = await matrixFrom(path, 'features');
  const saes = seeds.map((seed, i) => ({ seed, decoder: scoreAgainstTruth(truth, decoders[i]!),
    encoder: scoreAgainstTruth(truth, encoders[i]!), untrained: scoreAgainstTruth(truth, inits[i]!) }));
  type Scores = (typeof saes)[number]['decoder'];
  const meanScores = (which: 'decoder' | 'encoder' | 'untrained'): Scores => {
    const keys = Object.keys(saes[0]![which]) as (keyof Scores)[];
    return Object.fromEntries(keys.map((k) => [k, mean(saes.map((s) => s[which][k]))])) as unknown as Scores;
  };
  const dSae = decoders[0]!.rows;
  return finiteOrNull({
    file, features: truth.rows, d, meanActive,
    chance: { mmcs: analyticBaseline(d, dSae), mmcsReverse: analyticBaseline(d, truth.rows) },
    saes,
    mean: { decoder: meanScores('decoder'), encoder: meanScores('encoder'), untrained: meanScores('untrained') },
    pairs: pairs.map((p) => ({ seedA: seeds[p.i]!, seedB: seeds[p.j]!, pwmcc: p.value,
      bothRecovered90: bothRecovered(truth, decoders[p.i]!, decoders[p.j]!, 0.9),
      bothRecovered99: bothRecovered(truth, decoders[p.i]!, decoders[p.j]!, 0.99) })),
  });
}

/**
 * Mean cross-seed PWMCC of the decoders after every epoch (full space, and within the top principal directions holding
 * 99% of the variance), from the snapshots the SAE jobs kept; empty when any snapshot is missing or belongs to another
 * SAE stage key (an SAE trained before snapshots were kept, say): then results.json has no curve.
 */
async function pwmccCurve(paths: ReturnType<typeof taskPaths>, saes: SaeRecord[], inits: Matrix[], axes: PrincipalAxes,
    epochs: number) {
  const m = componentsFor(axes.eigenvalues, SPAN_VARIANCE);
  const meanPwmcc = (ds: Matrix[]) => mean(upperTriangle(pwmccMatrix(ds)).map((p) => p.value));
  const point = (ds: Matrix[]) => [meanPwmcc(ds), meanPwmcc(ds.map((d) => projectRows(d, axes, m).rows))] as const;
  const curve = { full: [] as number[], subspace: [] as number[], m };
  const add = ([f, s]: readonly [number, number]) => { curve.full.push(f); curve.subspace.push(s); };
  add(point(inits));
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const decoders: Matrix[] = [];
    for (const s of saes) {
      const file = paths.saeEpoch(s.seed, epoch);
      if (!existsSync(file)) return {};
      const { tensors, metadata } = await loadSafetensors(file);
      if (metadata.key !== s.key) return {};
      const w = tensors.W_dec!;
      decoders.push({ data: w.data as Float32Array, rows: w.shape[0]!, cols: w.shape[1]! });
    }
    add(point(decoders));
  }
  return { pwmccCurve: finiteOrNull(curve) };
}

/** The fractions of the activations' variance whose principal directions subspace PWMCC is measured in. */
const SUBSPACE_LEVELS = [0.9, SPAN_VARIANCE, 0.999] as const;

/**
 * PWMCC of decoders, encoders and untrained decoders projected onto the activations' top-m principal
 * directions, for m holding each of SUBSPACE_LEVELS of the variance (metrics/subspace.ts), with the
 * analytic chance level for dimension m and Welch's test of the decoders against the untrained ones.
 */
export function subspaceLevels(seeds: number[], decoders: Matrix[], encoders: Matrix[], inits: Matrix[],
    axes: PrincipalAxes) {
  const dSae = decoders[0]!.rows;
  return SUBSPACE_LEVELS.map((variance) => {
    const m = componentsFor(axes.eigenvalues, variance);
    const project = (dicts: Matrix[]) => dicts.map((d) => projectRows(d, axes, m));
    const [dec, enc, init] = [project(decoders), project(encoders), project(inits)];
    const summary = (ps: ReturnType<typeof project>) => pairSummary(seeds, pwmccMatrix(ps.map((p) => p.rows)));
    const decoder = summary(dec);
    const untrained = summary(init);
    const values = (s: typeof decoder) => s.pairs.map((p) => p.value);
    return finiteOrNull({
      variance, m, analytic: m === 1 ? 1 : analyticBaseline(m, dSae), // in one dimension every |cos| is 1
      decoder, encoder: summary(enc), untrained, vsUntrained: welchTTest(values(decoder), values(untrained)),
      excluded: { decoder: dec.map((p) => p.excluded), encoder: enc.map((p) => p.excluded),
        untrained: init.map((p) => p.excluded) },
    });
  });
}

/** Pairs of random dictionaries per entry distribution in `randomBaseline.initShapes`. */
const INIT_SHAPE_TRIALS = 10;

/** `randomBaseline.initShapes` for [d_sae, d_in] dictionaries; seeded by shape, so tasks of one size share it. */
export function initShapes(dIn: number, dSae: number, analysis: Config['analysis']) {
  return finiteOrNull(initShapeBaselines(dIn, dSae, INIT_SHAPE_TRIALS,
    new Rng(analysis.seed).fork(`init-shapes/${dSae}x${dIn}`)));
}

/**
 * Everything the study computes from one task's dictionaries (decoders and encoders as [d_sae, d_in], the
 * untrained decoders of the same seeds): PWMCC among seeds and among the untrained decoders, the analytic
 * baseline, Hungarian matching and the shared fraction per pair, the bootstrap over seeds, and trained vs
 * random. The pipeline calls it on the files it wrote; a reader can call it on the published weight files.
 */
export function compareDictionaries(
  taskName: string, seeds: number[], decoders: Matrix[], encoders: Matrix[], inits: Matrix[],
  analysis: Config['analysis'], axes: PrincipalAxes,
) {
  const trained = pwmccMatrix(decoders);
  const trainedPairs = pairSummary(seeds, trained);
  const randomPairs = pairSummary(seeds, pwmccMatrix(inits));
  const matched: number[] = [];
  const shared: number[] = [];
  const randomMatched: number[] = [];
  for (const p of trainedPairs.pairs) {
    matched.push(hungarianMatch(decoders[p.i]!, decoders[p.j]!).meanMatchedCosine);
    shared.push(sharedFraction(decoders[p.i]!, decoders[p.j]!, encoders[p.i]!, encoders[p.j]!,
      analysis.sharedThreshold));
    randomMatched.push(hungarianMatch(inits[p.i]!, inits[p.j]!).meanMatchedCosine);
  }
  const dIn = decoders[0]!.cols;
  const dSae = decoders[0]!.rows;
  const analytic = analyticBaseline(dIn, dSae);
  return {
    pwmcc: trainedPairs,
    encoderPwmcc: pairSummary(seeds, pwmccMatrix(encoders)),
    subspace: subspaceLevels(seeds, decoders, encoders, inits, axes),
    randomBaseline: {
      analytic, analyticStd: analyticBaselineStd(dIn, dSae), empirical: randomPairs,
      initShapes: initShapes(dIn, dSae, analysis),
    },
    matching: {
      threshold: analysis.sharedThreshold,
      meanMatchedCosine: { mean: mean(matched), values: matched },
      sharedFraction: { mean: mean(shared), values: shared },
      randomMeanMatchedCosine: mean(randomMatched),
    },
    bootstrap: bootstrapMeanPwmcc(trained, new Rng(analysis.seed).fork(`bootstrap/${taskName}`),
      analysis.bootstrapIterations),
    trainedVsRandom: finiteOrNull(trainedVsRandom(trainedPairs.pairs.map((p) => p.value),
      randomPairs.pairs.map((p) => p.value), analytic)),
  };
}

/** The two tasks the original compared: the run's first copy task and its first modular task, if it has both. */
export function comparedTasks(tasks: TaskResult[]): [TaskResult, TaskResult] | null {
  const a = tasks.find((t) => t.kind === 'copy');
  const b = tasks.find((t) => t.kind === 'modular');
  return a && b ? [a, b] : null;
}

/**
 * The original's two-task comparison (z-test on the pairwise values), plus Welch's t-test: copy against modular
 * addition; null for a run without both (the synthetic run's tasks are compared on the site, not by this test).
 */
export function compareTasks(tasks: TaskResult[]): Results['comparison'] {
  const pair = comparedTasks(tasks);
  if (!pair) return null;
  const [a, b] = pair;
  const x = a.pwmcc.pairs.map((p) => p.value);
  const y = b.pwmcc.pairs.map((p) => p.value);
  return finiteOrNull({ tasks: [a.name, b.name] as [string, string], zTest: zTest(x, y), welch: welchTTest(x, y) });
}
