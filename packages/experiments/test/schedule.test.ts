/**
 * The job scheduler of the pool: every job runs once, only after the jobs it waits for, on as many free slots
 * as it needs (never more than `slots` in use), the earliest ready job first, and a failure stops everything
 * not yet started; each worker thread's backend runs on one thread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { PoolWorker, schedule, workersFor } from '../src/run/pool.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('schedule', () => {
  it('respects dependencies and slot widths, and returns results in job order', async () => {
    // Jobs with random earlier dependencies, random durations (in timer ticks) and random widths.
    const jobs = fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(
      fc.tuple(...Array.from({ length: n }, (_, i) => fc.uniqueArray(fc.nat(Math.max(0, i - 1)), { maxLength: i }))),
      fc.array(fc.nat(3), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: n, maxLength: n }),
      fc.integer({ min: 1, max: 4 }),
    ));
    await fc.assert(fc.asyncProperty(jobs, async ([after, ticks, need, slots]) => {
      const n = ticks.length;
      const deps = after.map((a, i) => (i === 0 ? [] : a));
      const log: string[] = [];
      const busy = new Set<number>();
      let most = 0;
      const results = await schedule(n, deps, slots, async (i, taken) => {
        expect(taken.length).toBe(Math.min(need[i]!, slots));
        for (const s of taken) {
          expect(busy.has(s)).toBe(false);
          expect(s).toBeLessThan(slots);
          busy.add(s);
        }
        most = Math.max(most, busy.size);
        for (const d of deps[i]!) expect(log).toContain(`end ${d}`);
        log.push(`start ${i}`);
        await tick(ticks[i]!);
        for (const s of taken) busy.delete(s);
        log.push(`end ${i}`);
        return i * 10;
      }, need);
      expect(results).toEqual(Array.from({ length: n }, (_, i) => i * 10));
      expect(most).toBeLessThanOrEqual(slots);
      expect(log.filter((l) => l.startsWith('start')).length).toBe(n);
    }), { numRuns: 60 });
  });

  it('lets no later job overtake a ready wide job that waits for slots', async () => {
    // Two slots: job 0 (narrow, slow) runs; job 1 (wide) waits for both slots; narrow job 2 must not start first.
    const order: number[] = [];
    await schedule(3, [[], [], []], 2, async (i) => {
      order.push(i);
      await tick(i === 0 ? 20 : 1);
    }, [1, 2, 1]);
    expect(order).toEqual([0, 1, 2]);
  });

  it('starts a later job whose dependency is done while an earlier job still waits', async () => {
    // Job 0 is slow, job 1 fast; job 2 waits for 0, job 3 for 1: with two slots, 3 must start before 2.
    const order: number[] = [];
    await schedule(4, [[], [], [0], [1]], 2, async (i) => {
      order.push(i);
      await tick(i === 0 ? 30 : 1);
    });
    expect(order.indexOf(3)).toBeLessThan(order.indexOf(2));
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(schedule(4, [[], [0], [1], [2]], 1, async (i) => {
      started.push(i);
      if (i === 1) throw new Error('job 1 failed');
    })).rejects.toThrow('job 1 failed');
    await tick(5);
    expect(started).toEqual([0, 1]);
  });

  it('refuses a job that waits for a later job (a cycle could never start)', () => {
    expect(() => schedule(2, [[1], []], 1, async () => 0)).toThrow('job 0 waits for job 1');
  });
});

describe('workersFor', () => {
  it('gives a backend that cannot run in worker threads one worker, and the others what was asked', () => {
    expect([workersFor('wasm', 4), workersFor('reference', 2), workersFor('gpujs', 4)]).toEqual([4, 2, 1]);
    expect(() => workersFor('tpu', 2)).toThrow("unknown backend 'tpu'");
  });
});

describe('a pool worker', () => {
  it('runs its wasm backend on one thread, asked through setBackend, whatever SAELAB_WASM_THREADS says', async () => {
    const saved = process.env.SAELAB_WASM_THREADS;
    process.env.SAELAB_WASM_THREADS = '2'; // the thread inherits this environment: the pool must not rely on it
    const quiet = { job: () => ({ start() {}, update() {}, finish() {} }) };
    const w = new PoolWorker({ config: loadConfig('smoke'), out: '/nonexistent', backend: 'wasm', reporter: quiet });
    try {
      const ready = await w.ready;
      expect({ backend: ready.backend, threads: ready.threads }).toEqual({ backend: 'wasm', threads: 1 });
      expect(ready.details).toMatchObject({ threads: 1 }); // what results.json records for the pool's threads
    } finally {
      await w.terminate();
      if (saved === undefined) delete process.env.SAELAB_WASM_THREADS;
      else process.env.SAELAB_WASM_THREADS = saved;
    }
  }, 60_000);
});
