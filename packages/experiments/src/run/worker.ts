/**
 * A pool worker: sets up its backend once, on one thread (the pool runs one worker per core), says so, then runs
 * the jobs the main thread sends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setBackend } from '@saelab/tensor';
import type { Config } from '../config/schema.js';
import { jobId, runJob, type JobSpec, type WorkerMessage } from './pool.js';

const { config, out, backend } = workerData as { config: Config; out: string; backend: string };
const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);

const b = await setBackend(backend, { threads: 1 });
// Without the threads capability: one thread.
send({ type: 'ready', backend: b.name, threads: b.threads ?? 1, details: b.describe?.() ?? {} });
port.on('message', async ({ index, spec }: { index: number; spec: JobSpec }) => {
  const id = jobId(spec);
  try {
    const result = await runJob(spec, config, out, backend, {
      start: (label, total) => send({ type: 'progress', id, event: 'start', label, total }),
      update: (done, status) => send({ type: 'progress', id, event: 'update', done, ...(status ? { status } : {}) }),
      finish: (summary) => send({ type: 'progress', id, event: 'finish', summary }),
    });
    send({ type: 'done', index, result });
  } catch (e) {
    const err = e as Error;
    send({ type: 'error', index, name: err.name, message: err.message });
  }
});
