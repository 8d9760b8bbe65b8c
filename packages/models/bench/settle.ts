/**
 * Waiting between interleaved rounds until every process of the comparison is idle, so that no round runs beside
 * another side's leftover threads.
 *
 * Why a fixed pause is not enough: OpenBLAS's pthread build keeps its idle threads spinning for 2^28 cycles (about
 * 0.1 s here) after a product before they sleep. Measured on the 2-core machine (2026-12-07): the PyTorch peer with
 * OPENBLAS_NUM_THREADS=2 burnt 120-130 ms of CPU in the 200 ms after each of its rounds, a whole core, while the
 * benches paused 20 ms; our next round (20 SAE steps, ~100 ms) then ran on one core, and our husai step read 7.23 ms
 * against 4.08 ms with no peer beside it. So a round starts only when the processes' CPU time (all their threads,
 * /proc/<pid>/stat) has stopped growing.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** CPU time of process `pid` so far, all threads, in clock ticks (utime + stime); null where /proc cannot say. */
function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the state (the 3rd) on
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/**
 * Resolves once the processes `pids` used no CPU for `quietMs` (their threads asleep), or after `maxMs`; returns the
 * ms waited. Without /proc (not Linux) it waits `quietMs` and returns.
 */
export async function settle(pids: readonly number[], quietMs = 30, maxMs = 2000): Promise<number> {
  const t0 = performance.now();
  const total = () => pids.reduce<number | null>((s, pid) => {
    const t = cpuTicks(pid);
    return s === null || t === null ? null : s + t;
  }, 0);
  let before = total();
  if (before === null) {
    await sleep(quietMs);
    return quietMs;
  }
  for (;;) {
    await sleep(quietMs);
    const now = total();
    if (now === before || now === null || performance.now() - t0 > maxMs) return performance.now() - t0;
    before = now;
  }
}
