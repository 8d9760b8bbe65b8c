/**
 * A/B of the training steps of two (or more) checkouts on this machine: one bench/peer.ts process per checkout,
 * rounds alternating between them (the machines drift by tens of percent within seconds, so versions timed one
 * after the other cannot be compared), medians over all rounds and each version's ratio to the first.
 * Run: npx tsx bench/ab.ts <checkout> <checkout> ...   (ROUNDS=n, STEPS=sae|sae_openai|transformer|both;
 * both = sae and transformer)
 * A checkout may carry environment settings for its peer, `path,NAME=value,...` (SAELAB_WASM_THREADS=1, say),
 * so one checkout can be compared with itself under two settings.
 * A checkout older than peer.ts needs a copy of it in its packages/models/bench/.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { settle } from './settle.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const specs = process.argv.slice(2);
if (specs.length < 2) throw new Error('ab: name at least two checkouts, e.g. npx tsx bench/ab.ts /tmp/old ../..');

const peers = specs.map((spec) => {
  const [path, ...settings] = spec.split(',');
  const root = resolve(path!);
  const env = Object.fromEntries(settings.map((s) => s.split('=') as [string, string]));
  const dir = `${root}/packages/models`;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/peer.ts'],
    { cwd: dir, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const run = async (name: string, steps: number, warmup: number): Promise<number[]> => {
    proc.stdin.write(`run ${name} ${steps} ${warmup}\n`);
    const { value } = await lines.next();
    const f = String(value).split(' ');
    if (f[0] !== 'TIMES') throw new Error(`ab: the peer in ${dir} failed`);
    return f.slice(2).map(Number);
  };
  return { root: spec, run, pid: proc.pid!, close: () => proc.stdin.end() };
});

const rounds = Number(process.env.ROUNDS ?? 10);
const which = process.env.STEPS ?? 'both';
const plans = [['sae', 20, 30], ['sae_openai', 20, 60], ['transformer', 3, 3]]
  .filter(([n]) => (which === 'both' ? n !== 'sae_openai' : which === n)) as [string, number, number][];
const pids = peers.map((p) => p.pid);
try {
  for (const [name, steps, warmup] of plans) {
    await settle(pids, 30, 60_000); // every peer started (tsx compiling, the kernels loading) before the first round
    const times = peers.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      for (const [i, p] of peers.entries()) {
        times[i]!.push(...await p.run(name, steps, r === 0 ? warmup : 1));
        await settle(pids); // the next round starts once every peer is idle (settle.ts)
      }
    }
    const base = median(times[0]!);
    for (const [i, p] of peers.entries()) {
      const m = median(times[i]!);
      console.log(`${name}: ${p.root}: ${m.toFixed(2)} ms per step (median of ${rounds} rounds of ${steps}), `
        + `${(base / m).toFixed(3)}x the first`);
    }
  }
} finally {
  for (const p of peers) p.close();
}
