/**
 * One run of the study: transformers (one job per task) and SAEs (one job per task and seed, each
 * starting once its task's transformer and activations are done) on one worker pool, then the
 * analysis, then results.json. Each job skips what is already done with the same inputs, so a
 * killed run resumes and a finished one replays in seconds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism, platform } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '@saelab/models';
import { setBackend, type BackendDescription } from '@saelab/tensor';
import type { Config } from '../config/schema.js';
import {
  checkWritten, SCHEMA_VERSION, type MeasuredResults, type Results, type TaskResult,
} from '../results/schema.js';
import { isTransformerTask } from '../tasks/index.js';
import { computeVerdicts } from '../verdicts/index.js';
import { compareTasks } from './analysis.js';
import { isGenerated, type JobResult, type SaeRecord, type TaskRecord } from './jobs.js';
import { manifestPath } from './layout.js';
import { runJobs, type Reporter, type ScheduledJob, type WorkerBackend } from './pool.js';
import { adoptFinishedStages } from './reuse.js';

export interface RunOptions {
  out: string;
  backend: string;
  workers?: number; // default: the number of cores
  reporter: Reporter;
  /** Called after each stage with its one-line summary. */
  onStage?: (line: string) => void;
  /** Other results folders whose finished transformers (same stage key) this run may copy instead of training. */
  reuse?: string[];
}

/** Refuses a results folder that holds another config's or schema's run, instead of overwriting it. */
async function claimOutput(out: string, config: Config): Promise<void> {
  const path = manifestPath(out);
  if (existsSync(path)) {
    const m = JSON.parse(await readFile(path, 'utf8')) as { config: string; schemaVersion: number };
    if (m.config !== config.name || m.schemaVersion !== SCHEMA_VERSION) {
      throw new Error(`${out} holds a run of config '${m.config}' (schema ${m.schemaVersion}); this run is `
        + `'${config.name}' (schema ${SCHEMA_VERSION}). Pass another --out, or delete that folder.`);
    }
  } else if (existsSync(join(out, 'results.json'))) {
    throw new Error(`${out} already holds a results.json from an unknown run; pass another --out, or delete that `
      + `folder.`);
  }
  await writeJsonAtomic(path, { config: config.name, schemaVersion: SCHEMA_VERSION });
}

/** The environment of the results.json already in `out`, if there is a readable one. */
async function previousEnvironment(out: string): Promise<Results['environment'] | undefined> {
  try {
    return (JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results).environment;
  } catch {
    return undefined;
  }
}

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export async function runExperiment(config: Config, o: RunOptions): Promise<Results> {
  const startedAt = new Date();
  await mkdir(o.out, { recursive: true });
  await claimOutput(o.out, config);
  const workers = o.workers ?? availableParallelism();
  let workerBackend: BackendDescription | undefined;
  const pool = { config, out: o.out, backend: o.backend, workers, reporter: o.reporter,
    onWorkerReady: (b: WorkerBackend) => (workerBackend ??= b.details) };
  const taskNames = Object.keys(config.tasks);
  const durationsMs: Record<string, number> = {};
  // A stage whose every job was already done did no work in this run: its duration stays the one the
  // run that did the work recorded, so replaying a finished run (to recompute the analysis with newer
  // code, say) keeps the study's timings.
  const previous = await previousEnvironment(o.out);
  const replayedStages: string[] = [];
  const keepIfReplayed = (stage: string, jobs: JobResult<unknown>[]) => {
    const before = previous?.durationsMs[stage];
    if (before !== undefined && jobs.length > 0 && jobs.every((j) => j.replayed)) {
      durationsMs[stage] = before;
      replayedStages.push(stage);
    }
  };

  const adopted = await adoptFinishedStages(config, o.out, o.backend, o.reuse ?? []);
  for (const [task, dir] of Object.entries(adopted)) {
    o.onStage?.(`${task}: transformer and activations reused from ${dir} (same stage key)`);
  }
  // One pool for every stage: a task's SAEs wait only for that task's transformer (and its activations), its
  // analysis only for its SAEs, so one task's analysis runs beside another's training.
  const nTasks = taskNames.length;
  const nSeeds = config.seeds.length;
  const jobs: ScheduledJob[] = [
    ...taskNames.map((task) => ({ spec: { kind: 'transformer' as const, task } })),
    ...taskNames.flatMap((task, t) => config.seeds.map((seed) =>
      ({ spec: { kind: 'sae' as const, task, seed }, after: [t] }))),
    ...taskNames.map((task, t) => ({ spec: { kind: 'analysis' as const, task },
      after: config.seeds.map((_, s) => nTasks + t * nSeeds + s) })),
  ];
  const outcomes = await runJobs<unknown>(jobs, pool);
  const stage = <R>(name: string, from: number, to: number): JobResult<R>[] => {
    const done = outcomes.slice(from, to);
    // The stages overlap: each lasts from its first job's start to its last job's end.
    durationsMs[name] = Math.round(Math.max(...done.map((j) => j.finishedMs)) - Math.min(...done.map((j) =>
      j.startedMs)));
    const results = done.map((j) => j.result as JobResult<R>);
    keepIfReplayed(name, results);
    return results;
  };
  // The first stage trains transformers (and reads their activations); a run whose every task generates its
  // activations (synthetic) has none, and calls the stage by what it did.
  const taskStage = taskNames.some((t) => isTransformerTask(config.tasks[t]!)) ? 'transformers' : 'activations';
  const transformers = stage<TaskRecord>(taskStage, 0, nTasks);
  const saes = stage<SaeRecord>('saes', nTasks, nTasks + nTasks * nSeeds);
  const tasks = stage<TaskResult>('analysis', nTasks + nTasks * nSeeds, jobs.length);
  // A transformer adopted by an earlier invocation (a run killed and resumed, or replayed) is still another run's
  // work: keep saying so for every task whose transformer job did nothing this time.
  const reused = { ...adopted };
  taskNames.forEach((task, i) => {
    const from = previous?.reusedTransformers?.[task];
    if (from !== undefined && transformers[i]!.replayed && !(task in reused)) reused[task] = from;
  });
  o.onStage?.(`${taskStage}: ${taskNames.map((t, i) => {
    const r = transformers[i]!;
    return isGenerated(r) ? `${t} generated ${r.count} x ${r.dIn}`
      : `${t} ${r.history.epochs} epochs, val acc ${(100 * r.history.valAccuracy).toFixed(1)}%`;
  }).join('; ')}`);
  o.onStage?.(`SAEs: ${saes.length} trained (${config.seeds.length} seeds x ${taskNames.length} tasks)`);

  o.onStage?.(`analysis: ${tasks.map((t) => `${t.name} PWMCC ${t.pwmcc.mean.toFixed(3)} `
    + `(random ${t.randomBaseline.empirical.mean.toFixed(3)})`).join('; ')}`);

  const measured: MeasuredResults = {
    schemaVersion: SCHEMA_VERSION,
    config,
    environment: {
      node: process.version, backend: o.backend, gitCommit: git('rev-parse', 'HEAD') ?? 'unknown',
      gitDirty: (git('status', '--porcelain', '--untracked-files=no') ?? '') !== '', startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(), platform: `${platform()} ${process.arch}`, cpus: availableParallelism(),
      durationsMs,
      backendDetails: (await setBackend(o.backend)).describe?.() ?? {},
      ...(workerBackend ? { workerBackendDetails: workerBackend } : {}),
      ...(Object.keys(reused).length ? { reusedTransformers: reused } : {}),
      ...(replayedStages.length ? { replayedStages } : {}),
    },
    tasks,
    comparison: compareTasks(tasks),
  };
  const results: Results = { ...measured, verdicts: computeVerdicts(measured) };
  checkWritten(results, join(o.out, 'results.json')); // the contract holds before anything reads it
  await writeJsonAtomic(join(o.out, 'results.json'), results);
  return results;
}
