/**
 * Runs the run's jobs (a task's transformer, an SAE seed) on a pool of worker threads sized to the
 * cores, or inline when one worker is asked for. A job may wait for others (a task's SAEs for its
 * transformer); among the jobs that are ready, the earliest listed starts first, so one task's SAEs
 * train while another task's transformer is still training. Each worker uses its own single-threaded
 * wasm backend, so two jobs on two cores do not fight over threads. Results do not depend on the
 * pool size or the order: every job is deterministic on its own.
 */
import { Worker } from 'node:worker_threads';
import { setBackend } from '@saelab/tensor';
import type { Config } from '../config/schema.js';
import type { Progress } from '../train/progress.js';
import { saeJob, transformerJob } from './jobs.js';

export type JobSpec = { kind: 'transformer'; task: string } | { kind: 'sae'; task: string; seed: number };

/** A job and the jobs (indices into the same list, all earlier) that must finish before it starts. */
export interface ScheduledJob {
  spec: JobSpec;
  after?: readonly number[];
}

/** A job's result and when it ran (performance.now() milliseconds). */
export interface JobOutcome<T> {
  result: T;
  startedMs: number;
  finishedMs: number;
}

/** Receives progress from every job; `id` tells jobs apart. */
export interface Reporter {
  job(id: string): Progress;
}

export interface PoolOptions {
  config: Config;
  out: string;
  backend: string;
  workers: number;
  reporter: Reporter;
}

export const jobId = (s: JobSpec) => (s.kind === 'transformer' ? `${s.task}/transformer` : `${s.task}/sae-seed${s.seed}`);

/** Runs one job in this thread. */
export function runJob(spec: JobSpec, config: Config, out: string, backend: string, progress: Progress): Promise<unknown> {
  return spec.kind === 'transformer'
    ? transformerJob(config, spec.task, out, backend, progress)
    : saeJob(config, spec.task, spec.seed, out, backend, progress);
}

/**
 * How many workers a backend can use. `gpujs` runs its jobs one at a time in this thread: in Node it
 * draws through headless-gl, a native addon that loads in one thread per process (a second worker
 * fails with 'Module did not self-register'), and its jobs share one GPU anyway.
 */
export function workersFor(backend: string, asked: number): number {
  return backend === 'gpujs' ? 1 : asked;
}

/**
 * Runs tasks 0..n-1 at most `slots` at a time, each once the tasks listed in after[i] (all < i) have
 * finished; a freed slot takes the earliest ready task. run(i, slot) gets the slot it occupies.
 * Resolves with the results in task order; the first failure rejects and starts nothing more.
 */
export function schedule<T>(n: number, after: readonly (readonly number[] | undefined)[], slots: number,
  run: (index: number, slot: number) => Promise<T>): Promise<T[]> {
  for (let i = 0; i < n; i++) {
    for (const d of after[i] ?? []) {
      if (!Number.isInteger(d) || d < 0 || d >= i) throw new Error(`schedule: job ${i} waits for job ${d}; a job may only wait for earlier jobs`);
    }
  }
  if (!(slots >= 1)) throw new Error(`schedule: slots (${slots}) must be >= 1`);
  return new Promise((resolve, reject) => {
    const results = new Array<T>(n);
    const state = new Array<'waiting' | 'running' | 'done'>(n).fill('waiting');
    const free = Array.from({ length: slots }, (_, s) => s);
    let finished = 0;
    let failed = false;
    const ready = (i: number) => state[i] === 'waiting' && (after[i] ?? []).every((d) => state[d] === 'done');
    const pump = (): void => {
      if (failed) return;
      if (finished === n) return resolve(results);
      for (let i = state.findIndex((_, j) => ready(j)); i >= 0 && free.length > 0; i = state.findIndex((_, j) => ready(j))) {
        const slot = free.shift()!;
        state[i] = 'running';
        run(i, slot).then((r) => {
          results[i] = r;
          state[i] = 'done';
          finished++;
          free.push(slot);
          pump();
        }, (e: unknown) => {
          failed = true;
          reject(e);
        });
      }
    };
    pump();
  });
}

/** Runs every job, each after the jobs it waits for; returns their outcomes in order. The first failure stops the rest. */
export async function runJobs<T>(jobs: readonly ScheduledJob[], o: PoolOptions): Promise<JobOutcome<T>[]> {
  const size = Math.max(1, Math.min(workersFor(o.backend, o.workers), jobs.length));
  const timed = async (work: () => Promise<unknown>): Promise<JobOutcome<T>> => {
    const startedMs = performance.now();
    const result = (await work()) as T;
    return { result, startedMs, finishedMs: performance.now() };
  };
  const after = jobs.map((j) => j.after);
  if (size === 1) {
    await setBackend(o.backend);
    return schedule(jobs.length, after, 1, (i) => {
      const spec = jobs[i]!.spec;
      return timed(() => runJob(spec, o.config, o.out, o.backend, o.reporter.job(jobId(spec))));
    });
  }
  const workers = Array.from({ length: size }, () => new PoolWorker(o));
  try {
    return await schedule(jobs.length, after, size, (i, slot) => timed(() => workers[slot]!.run(i, jobs[i]!.spec)));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** One worker thread of the pool: runs one job at a time and relays its progress to the reporter. */
class PoolWorker {
  private readonly worker: Worker;
  private current: { spec: JobSpec; resolve: (r: unknown) => void; reject: (e: Error) => void } | null = null;

  constructor(o: PoolOptions) {
    this.worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { config: o.config, out: o.out, backend: o.backend },
      env: { ...process.env, SAELAB_WASM_THREADS: '1' },
    });
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        const p = o.reporter.job(m.id);
        if (m.event === 'start') p.start(m.label, m.total);
        else if (m.event === 'update') p.update(m.done, m.status);
        else p.finish(m.summary);
      } else if (m.type === 'done') {
        this.settle()?.resolve(m.result);
      } else {
        const e = new Error(m.message);
        e.name = m.name;
        this.settle()?.reject(e);
      }
    });
    this.worker.on('error', (e) => this.settle()?.reject(e));
    this.worker.on('exit', (code) => {
      const job = this.settle();
      if (job) job.reject(new Error(`worker running ${jobId(job.spec)} exited with code ${code}`));
    });
  }

  /** Sends a job to the thread; resolves with its result. */
  run(index: number, spec: JobSpec): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.current = { spec, resolve, reject };
      this.worker.postMessage({ index, spec });
    });
  }

  /** The job in flight, now finished one way or another (null if none). */
  private settle() {
    const job = this.current;
    this.current = null;
    return job;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export type WorkerMessage =
  | { type: 'progress'; id: string; event: 'start'; label: string; total: number }
  | { type: 'progress'; id: string; event: 'update'; done: number; status?: string }
  | { type: 'progress'; id: string; event: 'finish'; summary: string }
  | { type: 'done'; index: number; result: unknown }
  | { type: 'error'; index: number; name: string; message: string };
