/**
 * `saelab worker --queue redis://HOST:PORT --out DIR`: takes a sweep's jobs from the queue, one at a time, and
 * writes their outputs into DIR, the folder every worker and the submitter share. Without --watch it stops once
 * the queue holds nothing to do or waiting (no job waiting, delayed, or running on any worker); with --watch it
 * waits for more until it is stopped (SIGINT or SIGTERM let the job in hand finish first).
 *
 * Each job runs in a worker thread (BullMQ's sandboxed processor, processor.ts), so this thread keeps renewing
 * the job's lock while training blocks that one. A worker that dies (killed, its machine gone) stops renewing:
 * after `stallMs` another worker's stalled-job check puts the job back, and whoever takes it resumes it.
 */
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type Job } from 'bullmq';
import { checkRedis, QUEUE_NAME } from './connection.js';
import type { QueueJobData } from './plan.js';
import type { ProcessorData } from './processor.js';

export interface WorkerOptions {
  url: string;
  /** The shared folder (its own path on this machine). */
  out: string;
  /** Keep waiting for jobs when the queue is empty. */
  watch?: boolean;
  /** How long a job's lock lasts without renewal, and how often stalled jobs are looked for (default 30 s). */
  stallMs?: number;
  /** A line per job started, done or failed. */
  log: (line: string) => void;
}

const PROCESSOR = fileURLToPath(new URL('./processor.mjs', import.meta.url));

/** The states of a job that is still to be done. */
const PENDING = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children'] as const;

/** Runs the worker until the queue is empty (or, with watch, until a signal); returns its jobs' counts. */
export async function runWorker(o: WorkerOptions): Promise<{ done: number; failed: number }> {
  const connection = await checkRedis(o.url);
  const stallMs = o.stallMs ?? 30_000;
  const queue: Queue<QueueJobData> = new Queue(QUEUE_NAME, { connection });
  let worker: Worker<QueueJobData> | undefined;
  const counts = { done: 0, failed: 0 };
  try {
    const pending = async () => {
      const c = await queue.getJobCounts(...PENDING);
      return PENDING.reduce((n, s) => n + (c[s] ?? 0), 0);
    };
    if (!o.watch && (await pending()) === 0) {
      o.log(`queue ${QUEUE_NAME} at ${o.url} is empty: nothing to do (--watch waits for jobs)`);
      return counts;
    }
    const workerData: ProcessorData = { out: o.out };
    worker = new Worker<QueueJobData>(QUEUE_NAME, PROCESSOR, {
      // BullMQ's blocking connection must wait as long as it takes: no per-request retry limit.
      connection: { ...connection, maxRetriesPerRequest: null },
      concurrency: 1, useWorkerThreads: true, workerThreadsOptions: { workerData },
      lockDuration: stallMs, stalledInterval: stallMs, maxStalledCount: 2,
    });
    const w = worker;
    w.on('active', (job: Job<QueueJobData>) => o.log(`started ${job.id} (attempt ${job.attemptsMade + 1})`));
    w.on('completed', (job: Job<QueueJobData>, r: { replayed?: boolean }) => {
      counts.done++;
      o.log(`done ${job.id}${r?.replayed ? ' (already done: replayed)' : ''}`);
    });
    w.on('failed', (job: Job<QueueJobData> | undefined, e: Error) => {
      counts.failed++;
      o.log(`failed ${job?.id ?? '(unknown job)'}: ${e.message}`);
    });
    w.on('error', (e: Error) => o.log(`worker error: ${e.message}`));
    await new Promise<void>((resolve) => {
      const stop = () => {
        clearInterval(timer);
        process.off('SIGINT', stop).off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop).on('SIGTERM', stop);
      // Empty means nothing pending anywhere: a job another worker holds may still stall and come back.
      const timer = setInterval(() => {
        if (!o.watch) void pending().then((n) => { if (n === 0) stop(); }, () => {});
      }, 1000);
    });
    return counts;
  } finally {
    await worker?.close();
    await queue.close();
  }
}
