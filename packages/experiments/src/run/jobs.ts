/**
 * The run's independent jobs. Each reads its inputs from files, writes its outputs atomically,
 * and can run in a worker thread or inline: a task's activations (its transformer, then the
 * activations read from it; or, for a generated task, the generated activations and their truth),
 * and one SAE per task and seed. A job whose record matches its stage key is already done and is skipped.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { loadSafetensors, loadTransformer, saveSae, saveSafetensors, saveTransformer,
  writeJsonAtomic } from '@saelab/models';
import { saeOf, type Config } from '../config/schema.js';
import {
  isTransformerTask, makeTask, taskOf, transformerConfig, type GeneratedTask, type TaskConfig,
} from '../tasks/index.js';
import { extractActivations } from '../train/activations.js';
import { silent, type Progress } from '../train/progress.js';
import { trainSae, type SaeMetrics } from '../train/sae.js';
import { trainTransformer, type TransformerHistory } from '../train/transformer.js';
import { stageKeys, taskPaths } from './layout.js';

export interface TransformerRecord {
  key: string; activationsKey: string; history: TransformerHistory; position: number; count: number; dModel: number;
}
/** A generated task's activation stage: `truth` says whether it saved true features (taskPaths' `truth`). */
export interface GeneratedRecord {
  key: string; activationsKey: string; generated: true; count: number; dIn: number; truth: boolean;
  /** The generated data's mean count of active features per sample, when the task reports it. */
  meanActive?: number;
}
/** What a task's activation stage recorded. */
export type TaskRecord = TransformerRecord | GeneratedRecord;
export const isGenerated = (r: TaskRecord): r is GeneratedRecord => 'generated' in r;
export interface SaeRecord { key: string; seed: number; metrics: SaeMetrics; }
/** What a job returns: its record, marked `replayed` when everything was already done and nothing ran. */
export type JobResult<R> = R & { replayed?: true };

export async function readRecord<T extends { key: string }>(path: string, key: string): Promise<T | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as T;
    return record.key === key ? record : undefined;
  } catch {
    return undefined; // a damaged record only means the stage runs again
  }
}

/** A task's activation stage: its transformer and the activations read from it, or its generated activations. */
export function taskJob(config: Config, taskName: string, out: string, backend: string,
    progress: Progress = silent): Promise<JobResult<TaskRecord>> {
  return isTransformerTask(config.tasks[taskName]!)
    ? transformerJob(config, taskName, out, backend, progress)
    : generatedJob(config, taskName, out, backend, progress);
}

/** Where an SAE's cfg.json says its activations came from: the transformer hook, or the generated task's kind. */
export const hookOf = (cfg: TaskConfig): string => (isTransformerTask(cfg) ? cfg.activations.hook : cfg.kind);

/** Generates (or skips) a generated task's activations, and saves its true features beside them. */
export async function generatedJob(config: Config, taskName: string, out: string, backend: string,
    progress: Progress = silent): Promise<JobResult<GeneratedRecord>> {
  const keys = stageKeys(config, taskName, backend);
  const paths = taskPaths(out, taskName);
  await mkdir(paths.work, { recursive: true });
  const taskCfg = config.tasks[taskName]!;
  const done = await readRecord<GeneratedRecord>(paths.generatedRecord, keys.transformer);
  if (done && done.activationsKey === keys.activations && existsSync(paths.activations)
    && (!done.truth || existsSync(paths.truth))) return { ...done, replayed: true };
  const label = `${taskName}: generating activations`;
  progress.start(label, 1);
  const g = (taskOf(taskCfg) as GeneratedTask<TaskConfig>).generate(taskCfg);
  await saveSafetensors(paths.activations, { activations: { shape: [g.n, g.d], data: g.activations } },
    { source: taskCfg.kind, key: keys.activations });
  if (g.truth) {
    await saveSafetensors(paths.truth, { features: { shape: [g.truth.rows, g.truth.cols], data: g.truth.data } },
      { key: keys.activations });
  }
  const record: GeneratedRecord = { key: keys.transformer, activationsKey: keys.activations, generated: true,
    count: g.n, dIn: g.d, truth: g.truth !== undefined,
    ...(g.meanActive !== undefined ? { meanActive: g.meanActive } : {}) };
  await writeJsonAtomic(paths.generatedRecord, record);
  progress.finish(`${label}: ${g.n} x ${g.d}${g.truth ? `, ${g.truth.rows} true features` : ''}`);
  return record;
}

/** Trains (or resumes, or skips) a task's transformer, then extracts its activations. */
export async function transformerJob(config: Config, taskName: string, out: string, backend: string,
    progress: Progress = silent): Promise<JobResult<TransformerRecord>> {
  const keys = stageKeys(config, taskName, backend);
  const paths = taskPaths(out, taskName);
  await mkdir(paths.work, { recursive: true });
  const taskCfg = transformerConfig(taskName, config.tasks[taskName]!);
  const task = makeTask(taskName, taskCfg);
  const done = await readRecord<TransformerRecord>(paths.transformerRecord, keys.transformer);
  let history = done?.history;
  let model = done && existsSync(paths.transformer) ? await loadTransformer(paths.transformer) : undefined;
  const trainedHere = !model || !history;
  if (!model || !history) {
    const ckpt = paths.transformerCheckpoint(keys.transformer);
    const trained = await trainTransformer(task, taskCfg.transformer,
      { checkpointPath: ckpt, progress, label: `${taskName}: transformer` });
    model = trained.model;
    history = trained.history;
    await saveTransformer(paths.transformer, model);
  }
  const record: TransformerRecord = {
    key: keys.transformer, activationsKey: keys.activations, history,
    position: task.activationPosition, count: 0, dModel: taskCfg.transformer.dModel,
  };
  // Activations: the trained model over the task's activation inputs.
  const existing = existsSync(paths.activations) && done?.activationsKey === keys.activations
    ? await loadSafetensors(paths.activations).catch(() => undefined) : undefined;
  if (existing) {
    record.count = existing.tensors.activations!.shape[0]!;
  } else {
    const inputs = task.activationInputs();
    const acts = extractActivations(model, inputs, task.seqLen, taskCfg.activations.hook, task.activationPosition,
      { progress, label: `${taskName}: activations` });
    record.count = inputs.n;
    await saveSafetensors(paths.activations, { activations: { shape: [inputs.n, record.dModel], data: acts } },
      { hook: taskCfg.activations.hook, position: String(task.activationPosition), key: keys.activations });
  }
  await writeJsonAtomic(paths.transformerRecord, record);
  await rm(paths.transformerCheckpoint(keys.transformer), { force: true });
  return !trainedHere && existing ? { ...record, replayed: true } : record;
}

/** Trains (or resumes, or skips) the SAE of one task and seed on the task's saved activations. */
export async function saeJob(config: Config, taskName: string, seed: number, out: string, backend: string,
    progress: Progress = silent): Promise<JobResult<SaeRecord>> {
  const keys = stageKeys(config, taskName, backend);
  const paths = taskPaths(out, taskName);
  const key = keys.sae(seed);
  const done = await readRecord<SaeRecord>(paths.saeRecord(seed), key);
  if (done && existsSync(`${paths.sae(seed)}.safetensors`) && existsSync(paths.saeInit(seed))) {
    return { ...done, replayed: true };
  }
  const { tensors, metadata } = await loadSafetensors(paths.activations);
  if (metadata.key !== keys.activations) {
    throw new Error(`${paths.activations} was made by a different transformer, activation or data config; run the `
      + `task's activation stage first`);
  }
  const acts = tensors.activations!;
  const dIn = acts.shape[1]!;
  const { sae, initDecoder, metrics } = await trainSae(acts.data as Float32Array, dIn, saeOf(config, taskName), seed,
    { checkpointPath: paths.saeCheckpoint(seed, key), progress, label: `${taskName}: SAE seed ${seed}`,
      onEpoch: (epoch, d) => saveSafetensors(paths.saeEpoch(seed, epoch),
        { W_dec: { shape: [d.rows, d.cols], data: d.data } },
        { key, epoch: String(epoch) }) });
  await saveSae(paths.sae(seed), sae, { hookName: hookOf(config.tasks[taskName]!), seed, task: taskName,
    config: config.name });
  await saveSafetensors(paths.saeInit(seed), { W_dec: { shape: [initDecoder.rows, initDecoder.cols],
    data: initDecoder.data } }, { seed: String(seed) });
  const record: SaeRecord = { key, seed, metrics };
  await writeJsonAtomic(paths.saeRecord(seed), record);
  await rm(paths.saeCheckpoint(seed, key), { force: true });
  return record;
}
