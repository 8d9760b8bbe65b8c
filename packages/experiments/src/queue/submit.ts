/**
 * `saelab sweep --queue redis://HOST:PORT`: a sweep whose training runs on `saelab worker`s (worker.ts), on any
 * machines that share the output folder. The submitter puts every job of the sweep (plan.ts) on the queue at
 * once: the activation stages ready to run, each SAE delayed until its activation stage is done (then the
 * submitter adopts shared transformers into the cells that use them and promotes the SAE jobs). So the queue
 * is never empty while work remains, and a worker that finds it empty can stop. When every job has finished,
 * the submitter runs the sweep itself (src/sweep/run.ts) on the shared folder: every finished stage replays,
 * the analysis is computed, and sweep.json and sweep.csv are those of a local sweep, bit for bit.
 *
 * Retries with backoff are BullMQ's, for a machine's errors; a job's own failure is unrecoverable (processor.ts)
 * and fails once. A cell with a failed job is recorded failed in sweep.json with that job's error, as a local
 * sweep records it: the local pass runs that job again (resuming from its checkpoint) and fails the same way.
 */
import { join } from 'node:path';
import { Queue, QueueEvents, type Job, type JobsOptions } from 'bullmq';
import type { Sweep } from '@saelab/results';
import { adoptFinishedStages } from '../run/reuse.js';
import { expandGrid, isInvalid, type Cell, type Grid } from '../sweep/grid.js';
import { runSweep, type SweepOptions } from '../sweep/run.js';
import { checkRedis, QUEUE_NAME } from './connection.js';
import { cellDir, planSweep, type ActivationJob, type PlannedJob, type QueueJobData } from './plan.js';
import type { ProgressEvent } from './processor.js';

export interface QueueSweepOptions extends SweepOptions {
  /** The Redis of the queue: redis://HOST:PORT[/db]. */
  url: string;
  /** Lines about the queue: jobs enqueued, failed, done. */
  log?: (line: string) => void;
}

const DAY_MS = 24 * 3600 * 1000;

/** Every job: three attempts with exponential backoff (2 s, 4 s); finished jobs stay a day (failed a week). */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 3, backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: DAY_MS / 1000 }, removeOnFail: { age: (7 * DAY_MS) / 1000 },
};

/**
 * Adds a job under its id; one already there and still to run (another submission's) is kept and waited for,
 * one that finished (a submission before) is replaced, so it runs again: a job whose outputs are there replays.
 */
async function enqueue(queue: Queue<QueueJobData>, job: PlannedJob, opts: JobsOptions): Promise<Job<QueueJobData>> {
  const existing = await queue.getJob(job.id);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return existing;
    await existing.remove();
  }
  return queue.add(job.data.kind, job.data, { ...opts, jobId: job.id });
}

/** Runs the grid's jobs on the queue, then the local sweep over their outputs; returns what sweep.json holds. */
export async function queueSweep(grid: Grid, base: Record<string, unknown>, o: QueueSweepOptions): Promise<Sweep> {
  const connection = await checkRedis(o.url);
  const log = o.log ?? (() => {});
  const cells = expandGrid(grid, base).filter((c): c is Cell => !isInvalid(c));
  const byName = new Map(cells.map((c) => [c.name, c]));
  const plan = planSweep(cells, o.backend);
  const queue: Queue<QueueJobData> = new Queue(QUEUE_NAME, { connection, defaultJobOptions: JOB_OPTIONS });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  try {
    await events.waitUntilReady(); // listening before any job is added: no event is missed
    const ours = new Set([...plan.activations, ...plan.saes].map((j) => j.id));
    const total = ours.size;
    const overall = o.reporter.job('queue');
    overall.start(`queue ${grid.name}`, total);
    let settled = 0;
    const failures: string[] = [];
    events.on('progress', ({ jobId, data }) => {
      if (!ours.has(jobId)) return;
      const e = data as ProgressEvent;
      const p = o.reporter.job(jobId);
      if (e.event === 'start') p.start(e.label, e.total);
      else if (e.event === 'update') p.update(e.done, e.status);
      else if (e.event === 'finish') p.finish(e.summary);
    });
    const saesOf = new Map<string, PlannedJob[]>(plan.activations.map((a) => [a.id, []]));
    for (const s of plan.saes) saesOf.get(s.after)!.push(s);
    const cancels = new Map<string, () => void>();
    const wait = (job: Job<QueueJobData>): Promise<boolean> => Promise.race([
      job.waitUntilFinished(events).then(() => true, (e: Error) => {
        failures.push(`${job.id}: ${e.message}`);
        log(`queue: job ${job.id} failed: ${e.message}`);
        return false;
      }),
      new Promise<boolean>((resolve) => cancels.set(job.id!, () => resolve(false))),
    ]).finally(() => overall.update(++settled, `${settled} of ${total} jobs`));

    const activationJobs = await Promise.all(plan.activations.map((a) => enqueue(queue, a, {})));
    const saeJobs = await Promise.all(plan.saes.map((s) => enqueue(queue, s, { delay: DAY_MS })));
    log(`queue: ${total} jobs on ${QUEUE_NAME} at ${o.url} (${plan.activations.length} activation stages, `
      + `${plan.saes.length} SAEs); start workers with \`saelab worker --queue ${o.url} --out <this folder>\``);

    /** Its SAE jobs may start: the cells sharing its transformer take copies first (as a local sweep's do). */
    const release = async (a: ActivationJob) => {
      for (const name of a.cells.slice(1)) {
        const config = byName.get(name)!.config;
        const only = { ...config, tasks: { [a.data.task]: config.tasks[a.data.task]! } };
        await adoptFinishedStages(only, join(o.out, cellDir(name)), o.backend, [join(o.out, a.data.dir)]);
      }
      for (const s of saesOf.get(a.id)!) {
        await (await queue.getJob(s.id))?.promote().catch(() => {}); // not delayed any more: nothing to do
      }
    };
    /** SAE jobs that can never run: taken off the queue (one a worker already holds finishes on its own). */
    const cancel = async (a: ActivationJob) => {
      for (const s of saesOf.get(a.id)!) {
        try {
          await (await queue.getJob(s.id))?.remove();
          cancels.get(s.id)?.();
        } catch { /* locked by a worker */ }
      }
    };
    const saeWaits = saeJobs.map(wait);
    await Promise.all(activationJobs.map(async (job, i) => {
      const a = plan.activations[i]!;
      await ((await wait(job)) ? release(a) : cancel(a));
    }));
    await Promise.all(saeWaits);
    overall.finish(`queue ${grid.name}: ${total - failures.length} of ${total} jobs done`
      + (failures.length ? `; failed: ${failures.join('; ')}` : ''));
  } finally {
    await events.close();
    await queue.close();
  }
  log('queue: every job finished; collecting the sweep here (finished stages replay, the analysis runs)');
  return runSweep(grid, base, o);
}
