// The helper threads of the wasm kernels (Node only): worker_threads started from an inline source string
// (unref'd, so they never keep a process alive), each instantiating the same module against the same shared
// memory. They run the kernels that share out their own work (gemm, mapShared, topkShared, sparseShared,
// scatterOuter, parallel; see SHARED): the main thread
// posts a call through a small control block per worker (Atomics.notify, no postMessage per call), runs the
// same call itself, and the kernel hands out units of work from an atomic counter (assembly/sync.ts).
//
// Protocol, per worker: the main thread writes OP and ARGS, then TOKEN = seq, then SEQ = seq, and notifies
// SEQ if the worker sleeps (a worker polls SEQ for POLL_MS after each call before it sleeps on it). A worker
// that wakes claims the task with compareExchange(TOKEN, seq -> 0) and only then reads the arguments; when
// done it sets DONE = seq. After its own share the main thread tries compareExchange(TOKEN,
// seq -> 0) itself: if that succeeds the worker never started (e.g. its CPU was descheduled) and there is
// nothing to wait for (gemm units are claimed dynamically, so the main thread has already done all the work);
// otherwise it waits for DONE.

/** int32 slots per worker: 128 bytes, so no two workers share a cache line. */
const CTRL_INTS = 32;
const C_SEQ = 0; // bumped by the main thread to post a task (the worker sleeps on it)
const C_DONE = 1; // set to the task's seq by the worker when finished
const C_OP = 2; // 0 = exit, else 1 + the index in SHARED of the function to call
const C_ERR = 3; // 1 if the task threw
const C_TOKEN = 4; // seq while the posted task is unclaimed, 0 once claimed (by the worker or cancelled)
const C_UNITS = 5; // work units the worker computed in the last task
const C_ARGS = 6; // the function's arguments
const MAX_ARGS = 20;
const C_WORKER_ASLEEP = 26; // 1 while the worker sleeps on SEQ (else a new call needs no notify: it is polling)
const C_MAIN_ASLEEP = 27; // 1 while the main thread sleeps on DONE (likewise for the worker's end of a call)
/**
 * How long a thread polls before it sleeps, in ms: a worker between two calls, the main thread waiting for a
 * worker to finish. Waking a sleeping thread (Atomics.notify, a futex) takes tens of microseconds on these
 * virtual machines, and a training step makes a shared call every few hundred microseconds, so a worker that
 * sleeps after each call starts the next one late and the main thread that sleeps in join() wakes late.
 * Polling for 0.2 ms made the SAE and the transformer training steps about 6% faster each (2-core machine,
 * rounds of 0, 0.05, 0.2 and 0.5 ms interleaved in one process); longer gained nothing more.
 */
const POLL_MS = 0.2;

/** The exports helpers can run (each shares out its work itself), and how many arguments each takes. */
const SHARED = { gemm: 20, mapShared: 6, topkShared: 8, sparseShared: 9, scatterOuter: 11, parallel: 4 } as const;
export type SharedKernel = keyof typeof SHARED;
const SHARED_NAMES = Object.keys(SHARED) as SharedKernel[];

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, ctrl, index } = workerData;
let ex;
try {
  ex = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } }).exports;
} catch (e) {
  parentPort.postMessage({ error: String(e && e.stack || e) });
  throw e;
}
parentPort.postMessage({ ready: true });
const c = new Int32Array(ctrl, index * ${CTRL_INTS * 4}, ${CTRL_INTS});
let seen = 0;
for (;;) {
  let s = Atomics.load(c, ${C_SEQ});
  for (let i = 1, t0 = performance.now(); s === seen; i++) {
    if ((i & 63) === 0 && performance.now() - t0 > ${POLL_MS}) break;
    s = Atomics.load(c, ${C_SEQ});
  }
  if (s === seen) {
    Atomics.store(c, ${C_WORKER_ASLEEP}, 1);
    Atomics.wait(c, ${C_SEQ}, seen);
    Atomics.store(c, ${C_WORKER_ASLEEP}, 0);
    continue;
  }
  seen = s;
  if (Atomics.compareExchange(c, ${C_TOKEN}, s, 0) !== s) continue; // cancelled or superseded
  const op = c[${C_OP}];
  if (op === 0) break;
  let err = 0;
  try {
    c[${C_UNITS}] = ex[${JSON.stringify(SHARED_NAMES)}[op - 1]](...c.subarray(${C_ARGS}, ${C_ARGS + MAX_ARGS}));
  } catch (e) {
    err = 1;
  }
  c[${C_ERR}] = err;
  if (err) c[${C_UNITS}] = 0;
  Atomics.store(c, ${C_DONE}, s);
  if (Atomics.load(c, ${C_MAIN_ASLEEP})) Atomics.notify(c, ${C_DONE});
}
`;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(ev: string, cb: (v: unknown) => void): unknown;
  off(ev: string, cb: (v: unknown) => void): unknown;
}

/** `helpers` worker threads that can each run one shared kernel call at a time beside the main thread. */
export class WorkerPool {
  private seq = 0;
  /** Work units the helpers have computed in all calls so far (diagnostics, used by the tests). */
  unitsDone = 0;

  private constructor(private readonly workers: NodeWorker[], private readonly ctrl: Int32Array) {}

  /** Number of helper threads (the main thread not counted). */
  get helpers(): number {
    return this.workers.length;
  }

  /** Starts the workers and waits until each has instantiated the module; null where worker_threads is missing. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory,
    helpers: number): Promise<WorkerPool | null> {
    let Worker: (new (src: string, opts: object) => NodeWorker) | undefined;
    try {
      const spec = 'node:worker_threads';
      Worker = ((await import(/* @vite-ignore */ spec)) as { Worker: typeof Worker }).Worker;
    } catch {
      return null;
    }
    if (!Worker) return null;
    const ctrlBuf = new SharedArrayBuffer(helpers * CTRL_INTS * 4);
    const workers: NodeWorker[] = [];
    try {
      for (let t = 0; t < helpers; t++) {
        const workerData = { module, memory, ctrl: ctrlBuf, index: t };
        workers.push(new Worker(WORKER_SOURCE, { eval: true, workerData }));
      }
      await Promise.all(workers.map(ready));
    } catch (e) {
      for (const w of workers) void w.terminate();
      throw e;
    }
    for (const w of workers) w.unref();
    return new WorkerPool(workers, new Int32Array(ctrlBuf));
  }

  /** Posts fn(...argsOf(t)) to every helper t (1-based); returns the task's seq, for join. */
  post(fn: SharedKernel, argsOf: (t: number) => readonly number[]): number {
    const seq = ++this.seq;
    for (let t = 1; t <= this.helpers; t++) {
      const o = (t - 1) * CTRL_INTS, args = argsOf(t);
      if (args.length !== SHARED[fn]) {
        throw new Error(`wasm kernels: ${fn} takes ${SHARED[fn]} arguments, got ${args.length}`);
      }
      for (let i = 0; i < args.length; i++) this.ctrl[o + C_ARGS + i] = args[i]! | 0;
      this.send(o, 1 + SHARED_NAMES.indexOf(fn), seq);
    }
    return seq;
  }

  /** Waits for the helpers that took task seq (cancelling those that never started: their share was done by
   *  the threads that did); returns the work units they computed, and throws if one failed. */
  join(seq: number): number {
    const ctrl = this.ctrl;
    let units = 0;
    let failed = false;
    for (let t = 1; t <= this.helpers; t++) {
      const o = (t - 1) * CTRL_INTS;
      if (Atomics.compareExchange(ctrl, o + C_TOKEN, seq, 0) === seq) continue; // never started: cancelled
      for (let i = 1, t0 = performance.now(); ; i++) {
        const d = Atomics.load(ctrl, o + C_DONE);
        if (d === seq) break;
        if ((i & 63) === 0 && performance.now() - t0 > POLL_MS) {
          Atomics.store(ctrl, o + C_MAIN_ASLEEP, 1);
          Atomics.wait(ctrl, o + C_DONE, d);
          Atomics.store(ctrl, o + C_MAIN_ASLEEP, 0);
        }
      }
      if (ctrl[o + C_ERR]) failed = true;
      units += ctrl[o + C_UNITS]!;
    }
    if (failed) throw new Error('wasm kernels: a worker thread failed in a shared kernel');
    this.unitsDone += units;
    return units;
  }

  /** Asks every worker to exit, and terminates it. */
  dispose(): void {
    const seq = ++this.seq;
    for (let t = 0; t < this.helpers; t++) this.send(t * CTRL_INTS, 0, seq);
    for (const w of this.workers) void w.terminate();
  }

  private send(o: number, op: number, seq: number): void {
    this.ctrl[o + C_OP] = op;
    Atomics.store(this.ctrl, o + C_TOKEN, seq);
    Atomics.store(this.ctrl, o + C_SEQ, seq);
    // No notify for a polling worker (a futex call costs microseconds). Both sides are sequentially consistent:
    // a worker about to sleep either sees the new SEQ in its wait, or is seen asleep here.
    if (Atomics.load(this.ctrl, o + C_WORKER_ASLEEP)) Atomics.notify(this.ctrl, o + C_SEQ);
  }
}

/** Resolves once the worker reports that its module instance is ready. */
function ready(w: NodeWorker): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onMsg = (m: unknown): void => {
      cleanup();
      const msg = m as { ready?: boolean; error?: string };
      if (msg.ready) resolve();
      else reject(new Error(`wasm kernels worker failed to start: ${msg.error}`));
    };
    const onErr = (e: unknown): void => {
      cleanup();
      reject(e instanceof Error ? e : new Error(String(e)));
    };
    const cleanup = (): void => {
      w.off('message', onMsg);
      w.off('error', onErr);
    };
    w.on('message', onMsg);
    w.on('error', onErr);
  });
}
