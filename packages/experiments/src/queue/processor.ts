/**
 * Runs one queue job in a worker thread of `saelab worker` (a BullMQ sandboxed processor, so the worker's main
 * thread stays free to renew the job's lock while training blocks this one): a task's activation stage or one
 * SAE, with src/run/jobs.ts's functions, into the shared folder the worker was given. Like every job of a run,
 * it is deterministic, writes atomically and skips itself when its stage record matches its key, so a job
 * started again after a worker died resumes from its checkpoint and ends with the same files.
 *
 * Errors: a job's own failure (bad input, a diverged loss, a config this code cannot read) would fail again on
 * every attempt, so it is a BullMQ UnrecoverableError (failed once, its message kept for sweep.json); an error
 * of the machine (a file system error with a code, such as EIO or ENOSPC) is thrown as it is, to be retried
 * with backoff, perhaps on another worker.
 */
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { setBackend } from '@saelab/tensor';
import { validateConfig } from '../config/load.js';
import { saeJob, taskJob } from '../run/jobs.js';
import { stageKeys } from '../run/layout.js';
import type { Progress } from '../train/progress.js';
import type { QueueJobData } from './plan.js';

/** What the worker's thread is given: its shared folder. */
export interface ProcessorData { out: string }

/** What a job sends as BullMQ progress: the events of a Progress. */
export type ProgressEvent =
  | { event: 'start'; label: string; total: number }
  | { event: 'update'; done: number; status?: string }
  | { event: 'finish'; summary: string };

/** The job's progress as BullMQ progress events; updates at most every `everyMs` (each is a Redis write). */
function progressOf(job: SandboxedJob<QueueJobData>, everyMs = 500): Progress {
  let last = 0;
  const send = (e: ProgressEvent) => { void job.updateProgress(e).catch(() => {}); };
  return {
    start: (label, total) => send({ event: 'start', label, total }),
    update: (done, status) => {
      if (Date.now() - last < everyMs) return;
      last = Date.now();
      send({ event: 'update', done, ...(status ? { status } : {}) });
    },
    finish: (summary) => send({ event: 'finish', summary }),
  };
}

let backendSet: string | undefined;

/** Errors of the machine rather than of the job: worth another attempt. */
const isTransient = (e: unknown) => typeof (e as NodeJS.ErrnoException)?.code === 'string';

export default async function processJob(job: SandboxedJob<QueueJobData>): Promise<{ replayed: boolean }> {
  const { out } = workerData as ProcessorData;
  const d = job.data;
  let run: () => Promise<{ replayed?: true }>;
  try {
    const config = validateConfig(d.config, `queue job ${job.id}`);
    const keys = stageKeys(config, d.task, d.backend);
    const key = d.kind === 'sae' ? keys.sae(d.seed!) : keys.activations;
    if (key !== d.key) {
      throw new Error(`queue job ${job.id}: this worker computes stage key ${key}, the submitter ${d.key}; the `
        + 'worker and the submitter run different saelab code (check out the same commit on both)');
    }
    const dir = join(out, d.dir);
    run = d.kind === 'sae'
      ? () => saeJob(config, d.task, d.seed!, dir, d.backend, progressOf(job))
      : () => taskJob(config, d.task, dir, d.backend, progressOf(job));
  } catch (e) {
    throw new UnrecoverableError((e as Error).message);
  }
  if (backendSet !== d.backend) {
    await setBackend(d.backend);
    backendSet = d.backend;
  }
  try {
    return { replayed: (await run()).replayed === true };
  } catch (e) {
    if (isTransient(e)) throw e;
    throw new UnrecoverableError((e as Error).message);
  }
}
