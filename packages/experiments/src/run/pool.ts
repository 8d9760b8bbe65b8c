/**
 * Runs independent jobs (a task's transformer, an SAE seed) on a pool of worker threads sized to
 * the cores, or inline when one worker is asked for. Each worker uses its own single-threaded
 * wasm backend, so two jobs on two cores do not fight over threads. Results do not depend on the
 * pool size: every job is deterministic on its own.
 */
import { Worker } from 'node:worker_threads';
import { setBackend } from '@saelab/tensor';
import type { Config } from '../config/schema.js';
import type { Progress } from '../train/progress.js';
import { saeJob, transformerJob } from './jobs.js';

export type JobSpec = { kind: 'transformer'; task: string } | { kind: 'sae'; task: string; seed: number };

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

/** Runs every job and returns their results in order; the first failure stops the rest. */
export async function runJobs<T>(specs: JobSpec[], o: PoolOptions): Promise<T[]> {
  const size = Math.max(1, Math.min(workersFor(o.backend, o.workers), specs.length));
  if (size === 1) {
    await setBackend(o.backend);
    const results: T[] = [];
    for (const spec of specs) results.push((await runJob(spec, o.config, o.out, o.backend, o.reporter.job(jobId(spec)))) as T);
    return results;
  }
  const results = new Array<T>(specs.length);
  let next = 0;
  const workers = Array.from({ length: size }, () => new Worker(new URL('./worker.mjs', import.meta.url), {
    workerData: { config: o.config, out: o.out, backend: o.backend },
    env: { ...process.env, SAELAB_WASM_THREADS: '1' },
  }));
  try {
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      let current = -1;
      const dispatch = () => {
        if (next >= specs.length) return resolve();
        current = next++;
        w.postMessage({ index: current, spec: specs[current] });
      };
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress') {
          const p = o.reporter.job(m.id);
          if (m.event === 'start') p.start(m.label, m.total);
          else if (m.event === 'update') p.update(m.done, m.status);
          else p.finish(m.summary);
        } else if (m.type === 'done') {
          results[m.index] = m.result as T;
          dispatch();
        } else if (m.type === 'error') {
          const e = new Error(m.message);
          e.name = m.name;
          reject(e);
        }
      });
      w.on('error', reject);
      w.on('exit', (code) => {
        if (code !== 0 && current >= 0 && results[current] === undefined) reject(new Error(`worker running ${jobId(specs[current]!)} exited with code ${code}`));
      });
      dispatch();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

export type WorkerMessage =
  | { type: 'progress'; id: string; event: 'start'; label: string; total: number }
  | { type: 'progress'; id: string; event: 'update'; done: number; status?: string }
  | { type: 'progress'; id: string; event: 'finish'; summary: string }
  | { type: 'done'; index: number; result: unknown }
  | { type: 'error'; index: number; name: string; message: string };
