/**
 * A sweep on a queue (src/queue/): the smoke grid's jobs run by two `saelab worker` processes on a Redis this
 * test starts, one of them SIGKILLed in the middle of an SAE job; the folder must come out byte for byte as a
 * local sweep's. Also: an unreachable Redis is a quick, clear exit 2; a cell that fails on its input fails once.
 * Needs Debian's redis-server (CI installs it); without it these tests fail, saying how to install it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOptions, QUEUE_NAME } from '../src/queue/connection.js';
import type { Reporter } from '../src/run/pool.js';
import { loadGrid } from '../src/sweep/grid.js';
import { runSweep } from '../src/sweep/run.js';

const CLI = join(import.meta.dirname, '../bin/saelab.mjs');
const quiet: Reporter = { job: () => ({ start() {}, update() {}, finish() {} }) };
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `saelab-queue-${name}-`));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** A saelab command as a child process: its output so far, a callback per stdout line, and its exit. */
function saelab(args: string[], onLine: (line: string) => void = () => {}) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let partial = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop()!;
    lines.forEach(onLine);
  });
  child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exit, output: () => out };
}

/** Every file under a folder, relative paths sorted. */
function files(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(d, e.name)) : [relative(dir, join(d, e.name))]);
  return walk(dir).sort();
}

/** A file as compared: results.json without its run's environment, sweep.json without its clock. */
function comparable(path: string): Buffer | unknown {
  if (path.endsWith('results.json')) {
    const { environment: _, ...rest } = JSON.parse(readFileSync(path, 'utf8'));
    return rest;
  }
  if (path.endsWith('sweep.json')) {
    const { startedAt: _s, finishedAt: _f, ...rest } = JSON.parse(readFileSync(path, 'utf8'));
    return { ...rest, cells: rest.cells.map(({ durationMs: _d, ...c }: { durationMs: number }) => c) };
  }
  return readFileSync(path);
}

let redis: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed; these tests start their own: apt-get install redis-server');
  }
  port = await freePort();
  const dir = tmp('redis');
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    redis!.stdout!.on('data', (b: Buffer) => {
      log += b.toString();
      if (log.includes('Ready to accept connections')) resolve();
    });
    redis!.on('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${log}`)));
  });
});

afterAll(() => { redis?.kill('SIGTERM'); });

describe('sweep on a queue', () => {
  it('runs the smoke grid on two workers, one SIGKILLed mid-job; the folder is a local sweep\'s, byte for byte',
      async () => {
    const url = `redis://127.0.0.1:${port}/0`;
    const shared = tmp('shared');
    const local = tmp('local');
    const { grid, base } = loadGrid(join(import.meta.dirname, '../grids/smoke.json'));
    const localRun = runSweep(grid, base, { out: local, backend: 'reference', workers: 1, reporter: quiet });

    let enqueued!: () => void;
    const ready = new Promise<void>((resolve) => { enqueued = resolve; });
    const submitter = saelab(['sweep', '--grid', 'smoke', '--queue', url, '--out', shared, '--backend', 'reference',
      '--workers', '1'], (line) => { if (line.startsWith('queue: 29 jobs on')) enqueued(); });
    await Promise.race([ready, submitter.exit.then(() => { throw new Error(submitter.output()); })]);

    // Worker A dies in an SAE job once that job has finished an epoch (its decoder for epoch 1 is saved).
    let killed: string | undefined;
    const worker = (onLine?: (line: string) => void) => saelab(['worker', '--queue', url, '--out', shared,
      '--stall-ms', '2000'], onLine);
    const a = worker((line) => {
      const m = /^started ((.+?)\/(.+?)\/sae-seed(\d+)\/\w+) /.exec(line);
      if (!m || killed) return;
      const work = join(shared, 'cells', m[2]!, '.work', m[3]!);
      const poll = setInterval(() => {
        if (killed || !existsSync(work)) return;
        if (existsSync(join(work, `sae-seed${m[4]}.json`))) return clearInterval(poll); // done first: next one
        if (existsSync(join(work, `sae-seed${m[4]}-epoch1.safetensors`))) {
          killed = m[1];
          a.child.kill('SIGKILL');
          clearInterval(poll);
        }
      }, 5);
    });
    const b = worker();
    expect(await a.exit).toEqual({ code: null, signal: 'SIGKILL' });
    const [sub, bExit] = await Promise.all([submitter.exit, b.exit]);
    expect(sub.code, submitter.output()).toBe(0);
    expect(bExit.code, b.output()).toBe(0);
    // The job A held went back to the queue (stalled: its lock lapsed) and B took it.
    expect(killed).toBeDefined();
    expect(b.output()).toContain(`started ${killed} `);
    expect(b.output()).toContain(`done ${killed}\n`);
    await localRun;

    // Every file, bit for bit; a killed write may leave its temp file (.name.pid.n.tmp), which counts for nothing.
    const ours = files(shared).filter((f) => !/(^|\/)\.[^/]+\.\d+\.\d+\.tmp$/.test(f));
    expect(ours).toEqual(files(local));
    for (const f of ours) expect(comparable(join(shared, f)), f).toEqual(comparable(join(local, f)));
  }, 300_000);

  it('says at once that Redis is unreachable, naming the URL and how to start it (exit code 2)', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const t0 = performance.now();
    const runs = [['sweep', '--grid', 'smoke', '--queue', url, '--out', tmp('none')],
      ['worker', '--queue', url, '--out', tmp('none')]].map((args) => saelab(args));
    for (const r of runs) {
      expect((await r.exit).code).toBe(2);
      expect(r.output()).toContain(`cannot reach Redis at ${url}: connect ECONNREFUSED`);
      expect(r.output()).toContain('redis-server --port 6379');
      expect(r.output()).toContain('apt-get install redis-server');
    }
    // Node and tsx start in a few seconds on a busy machine; a reconnect loop would never end.
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(() => redisOptions('http://x')).toThrow(/expected a redis:\/\/ \(or rediss:\/\/\) URL/);
  }, 60_000);

  it('records a cell that fails on its input once, with its error, as a local sweep does; the others finish',
      async () => {
    const url = `redis://127.0.0.1:${port}/1`;
    const dir = tmp('bad');
    const path = join(dir, 'bad.json');
    // lr 1e30: a valid config whose SAEs' loss is NaN in their first step.
    const g = { name: 'bad', description: '', base: 'smoke', axes: { tasks: [['synthetic']], 'sae.lr': [1e-3, 1e30] } };
    writeFileSync(path, JSON.stringify(g));
    const { grid, base } = loadGrid(path);
    const local = await runSweep(grid, base, { out: join(dir, 'local'), backend: 'reference', workers: 1,
      reporter: quiet });
    let enqueued!: () => void;
    const ready = new Promise<void>((resolve) => { enqueued = resolve; });
    const submitter = saelab(['sweep', '--grid', path, '--queue', url, '--out', join(dir, 'shared'), '--backend',
      'reference', '--workers', '1'], (line) => { if (line.startsWith('queue: 8 jobs on')) enqueued(); });
    await Promise.race([ready, submitter.exit.then(() => { throw new Error(submitter.output()); })]);
    const worker = saelab(['worker', '--queue', url, '--out', join(dir, 'shared')]);
    const [sub, w] = await Promise.all([submitter.exit, worker.exit]);
    expect(sub.code, submitter.output()).toBe(1); // a cell failed
    expect(w.code, worker.output()).toBe(0);
    const sweep = comparable(join(dir, 'shared', 'sweep.json')) as { cells: unknown[] };
    expect(sweep.cells).toEqual((comparable(join(dir, 'local', 'sweep.json')) as { cells: unknown[] }).cells);
    expect(local.cells.map((c) => c.status)).toEqual(['done', 'failed']);
    // On the queue: each of the bad cell's three SAE jobs failed on its first and only attempt.
    const queue = new Queue(QUEUE_NAME, { connection: redisOptions(url) });
    try {
      const failed = await queue.getFailed();
      expect(failed.map((j) => j.id!.replace(/\/\w+$/, '')).sort()).toEqual([1, 2, 3].map((s) =>
        `tasks-synthetic_lr-1e+30/synthetic/sae-seed${s}`));
      for (const j of failed) {
        expect([j.attemptsMade, j.failedReason]).toEqual([1, expect.stringMatching(
          new RegExp(`^synthetic: SAE seed ${j.data.seed}: the loss became NaN in epoch 0`))]);
      }
    } finally {
      await queue.close();
    }
    expect(worker.output().match(/^failed /gm)).toHaveLength(3);
  }, 180_000);
});
