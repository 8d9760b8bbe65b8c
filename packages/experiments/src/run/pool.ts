/**
 * Runs the run's jobs (a task's transformer, an SAE seed, a task's analysis) on the machine's cores. A
 * job may wait for others (a task's SAEs for its own transformer, its analysis for its SAEs); among the
 * jobs that are ready, the earliest listed starts first.
 *
 * Transformer jobs are wide: they run one at a time in this thread, on every thread the backend has,
 * because a transformer step is large matrix products that split well over threads (about 2x on 2
 * cores) and a run has one or two of them, of very unequal length. SAE jobs are narrow: one per core,
 * each in a worker thread with its own single-threaded backend (setBackend(name, { threads: 1 }), which a
 * backend with the `threads` capability honours: wasm), because an SAE step is a dozen small kernels that
 * gain little from a second thread and a run has many of them. Results do not depend on the pool size,
 * the order or the thread count: every job is deterministic on its own.
 */
import { Worker } from 'node:worker_threads';
import { backendCapabilities, setBackend, type BackendDescription } from '@saelab/tensor';
import type { Config } from '../config/schema.js';
import type { Progress } from '../train/progress.js';
import { analysisJob } from './analysis.js';
import { saeJob, taskJob } from './jobs.js';

export type JobSpec =
  | { kind: 'transformer'; task: string }
  | { kind: 'sae'; task: string; seed: number }
  | { kind: 'analysis'; task: string };

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
  /** Called with each worker thread's backend once it is set up (what a results file records of it). */
  onWorkerReady?: (b: WorkerBackend) => void;
}

export const jobId = (s: JobSpec) => (s.kind === 'sae' ? `${s.task}/sae-seed${s.seed}` : `${s.task}/${s.kind}`);

/** Runs one job in this thread. */
export function runJob(spec: JobSpec, config: Config, out: string, backend: string,
    progress: Progress): Promise<unknown> {
  switch (spec.kind) {
    case 'transformer': return taskJob(config, spec.task, out, backend, progress);
    case 'sae': return saeJob(config, spec.task, spec.seed, out, backend, progress);
    case 'analysis': return analysisJob(config, spec.task, out, backend, progress);
  }
}

/**
 * How many workers a backend can use: one (every job in this thread) for a backend that cannot run in
 * several worker threads of a process (gpujs: see its registration in @saelab/tensor).
 */
export function workersFor(backend: string, asked: number): number {
  return backendCapabilities(backend).workerThreads ? asked : 1;
}

/**
 * Runs tasks 0..n-1 on `slots` slots: task i occupies need[i] of them (default 1, at most `slots`) and
 * starts once the tasks in after[i] (all < i) have finished. When slots free up, the earliest ready
 * task starts if it fits; if it does not, nothing later overtakes it (a wide task is never starved).
 * run(i, taken) gets the slots it occupies. Resolves with the results in task order; the first failure
 * rejects and starts nothing more.
 */
export function schedule<T>(n: number, after: readonly (readonly number[] | undefined)[], slots: number,
  run: (index: number, taken: number[]) => Promise<T>, need: readonly number[] = []): Promise<T[]> {
  if (!(Number.isInteger(slots) && slots >= 1)) {
    throw new Error(`schedule: slots (${slots}) must be a positive integer`);
  }
  for (let i = 0; i < n; i++) {
    for (const d of after[i] ?? []) {
      if (!Number.isInteger(d) || d < 0 || d >= i) {
        throw new Error(`schedule: job ${i} waits for job ${d}; a job may only wait for earlier jobs`);
      }
    }
  }
  const width = (i: number) => Math.min(slots, Math.max(1, need[i] ?? 1));
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
      for (let i = state.findIndex((_, j) => ready(j)); i >= 0
          && width(i) <= free.length; i = state.findIndex((_, j) => ready(j))) {
        const taken = free.splice(0, width(i));
        state[i] = 'running';
        run(i, taken).then((r) => {
          results[i] = r;
          state[i] = 'done';
          finished++;
          free.push(...taken);
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

/** Wide jobs run in this thread on all of the backend's threads (see the file's comment). */
const isWide = (spec: JobSpec) => spec.kind === 'transformer';

/**
 * Runs every job, each after the jobs it waits for; returns their outcomes in order. The first failure stops the rest.
 */
export async function runJobs<T>(jobs: readonly ScheduledJob[], o: PoolOptions): Promise<JobOutcome<T>[]> {
  const size = Math.max(1, workersFor(o.backend, o.workers));
  const narrow = jobs.filter((j) => !isWide(j.spec)).length;
  // Worker threads only where narrow jobs can run side by side; everything else runs here.
  const workers = size > 1 && narrow > 1 ? Array.from({ length: Math.min(size, narrow) }, () => new PoolWorker(o)) : [];
  for (const w of workers) w.ready.then((b) => o.onWorkerReady?.(b), () => {});
  const slots = Math.max(1, workers.length);
  await setBackend(o.backend);
  const run = async (i: number, taken: number[]): Promise<JobOutcome<T>> => {
    const spec = jobs[i]!.spec;
    const startedMs = performance.now();
    const result = (workers.length > 0 && !isWide(spec)
      ? await workers[taken[0]!]!.run(i, spec)
      : await runJob(spec, o.config, o.out, o.backend, o.reporter.job(jobId(spec)))) as T;
    return { result, startedMs, finishedMs: performance.now() };
  };
  try {
    return await schedule(jobs.length, jobs.map((j) => j.after), slots, run,
      jobs.map((j) => (isWide(j.spec) ? slots : 1)));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The backend a pool worker set up: its name, how many threads its kernels run on, and its description. */
export interface WorkerBackend {
  backend: string;
  threads: number;
  details: BackendDescription;
}

/**
 * One worker thread of the pool: sets up its backend on one thread (worker.ts), runs one job at a time and
 * relays its progress to the reporter.
 */
export class PoolWorker {
  private readonly worker: Worker;
  private current: { spec: JobSpec; resolve: (r: unknown) => void; reject: (e: Error) => void } | null = null;
  /** Resolves once the thread's backend is set up, with what it runs on. */
  readonly ready: Promise<WorkerBackend>;

  constructor(o: Pick<PoolOptions, 'config' | 'out' | 'backend' | 'reporter'>) {
    this.worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      workerData: { config: o.config, out: o.out, backend: o.backend },
    });
    let ready!: (b: WorkerBackend) => void, failed!: (e: Error) => void;
    this.ready = new Promise((res, rej) => { ready = res; failed = rej; });
    this.ready.catch(() => {}); // a failed start also rejects the job in flight, which is what callers await
    this.worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') {
        ready({ backend: m.backend, threads: m.threads, details: m.details });
      } else if (m.type === 'progress') {
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
    this.worker.on('error', (e) => { failed(e); this.settle()?.reject(e); });
    this.worker.on('exit', (code) => {
      failed(new Error(`worker exited with code ${code}`));
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
  | { type: 'ready'; backend: string; threads: number; details: BackendDescription }
  | { type: 'progress'; id: string; event: 'start'; label: string; total: number }
  | { type: 'progress'; id: string; event: 'update'; done: number; status?: string }
  | { type: 'progress'; id: string; event: 'finish'; summary: string }
  | { type: 'done'; index: number; result: unknown }
  | { type: 'error'; index: number; name: string; message: string };
