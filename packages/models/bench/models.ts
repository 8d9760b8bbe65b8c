/**
 * Training-step throughput of the protocol's models on the default backend (SAELAB_BACKEND or
 * wasm): the husai and openai TopK SAEs (d_in 128, d_sae 1024, k 32, batch 256, Adam) and the copy-task
 * transformer (batch 256, 21 tokens, loss on positions 11..20, Adam), each beside the same step in
 * PyTorch (bench/pytorch_peer.py) where Debian's PyTorch is installed (apt-get install python3-torch
 * libopenblas0-pthread; SAELAB_PYTORCH_PYTHON picks the interpreter, default /usr/bin/python3). Without
 * it the ratios are left out, not guessed.
 *
 * The machines drift by tens of percent within minutes, so the two are not timed one after the other:
 * rounds of our steps alternate with rounds of PyTorch's (each peer setting a process of its own that
 * waits, idle, between its rounds), and every figure is the median over all of its rounds' steps. A round
 * starts only once every process's threads have gone idle (bench/settle.ts: OpenBLAS's spin for ~0.1 s after
 * each product, which a fixed pause of 20 ms left running beside our next round).
 * PyTorch runs in five settings (PEER_SETTINGS), each a process of its own, and the ratios compare with the fastest
 * of them per step (named in the output). The husai SAE step is also set beside its computed floor
 * (bench/floor.ts), measured in every round.
 * Run: npm run bench -w @saelab/models (ROUNDS=n to change the number of rounds). Ends with RESULT lines.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defaultBackendName, disposeBackends, releaseMemory, setBackend } from '@saelab/tensor';
import { saeStepFloor } from './floor.js';
import { settle } from './settle.js';
import {
  SAE_OPENAI_STEP_LABEL, SAE_STEP_LABEL, saeOpenaiStep, saeStep, TRANSFORMER_STEP_LABEL, transformerStep,
} from './steps.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
/** How long each wait between rounds took until every process was idle (settle.ts), for the report. */
const settled: number[] = [];

/** Per-step ms of `steps` steps after `warmup`, each followed by releaseMemory() as the experiment's loops do. */
async function ours(step: () => void, steps: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    step();
    await releaseMemory();
  }
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    await releaseMemory();
    ms.push(performance.now() - t0);
  }
  return ms;
}

// PyTorch's settings on the 2-core machines. Its default glibc allocator hands big tensors back to the kernel and
// takes fresh pages for the next ones, and on these virtual machines a first touch costs microseconds per page: the
// tuned setting keeps freed memory instead. Threads: 2 torch threads with one OpenBLAS thread was the SAE step's
// fastest in earlier sessions, 1 torch thread with 2 OpenBLAS threads the transformer's; both are measured, and each
// ratio compares with the fastest setting of its step. OpenBLAS's core type: these machines set
// OPENBLAS_CORETYPE=Haswell (and OPENBLAS_L2_SIZE) for every process, which the peers inherit; without both, Debian's
// OpenBLAS 0.3.21 detects this AMD EPYC as Cooperlake and runs its AVX-512 kernels (same products to float32
// rounding, checked against float64 here), much faster on the transformer. So the tuned settings run both ways, and
// the fastest of all is the peer.
const PYTHON = process.env.SAELAB_PYTORCH_PYTHON ?? '/usr/bin/python3';
const PEER = fileURLToPath(new URL('./pytorch_peer.py', import.meta.url));
const TUNED = {
  MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '1073741824', MALLOC_TOP_PAD_: '268435456',
};
const OWN_CORE = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']; // unset: OpenBLAS picks its kernels for this CPU itself
const PEER_SETTINGS: Record<string, { torch: number; blas: number; env: Record<string, string>; unset?: string[] }> = {
  '2 torch threads, OPENBLAS_NUM_THREADS=1, default allocator': { torch: 2, blas: 1, env: {} },
  '2 torch threads, OPENBLAS_NUM_THREADS=1, malloc tuned': { torch: 2, blas: 1, env: TUNED },
  '1 torch thread, OPENBLAS_NUM_THREADS=2, malloc tuned': { torch: 1, blas: 2, env: TUNED },
  '2 torch threads, OPENBLAS_NUM_THREADS=1, malloc tuned, OpenBLAS core detected': {
    torch: 2, blas: 1, env: TUNED, unset: OWN_CORE },
  '1 torch thread, OPENBLAS_NUM_THREADS=2, malloc tuned, OpenBLAS core detected': {
    torch: 1, blas: 2, env: TUNED, unset: OWN_CORE },
};
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** One PyTorch peer process (one allocator setting), answering "run" requests in turn. */
class Peer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(readonly setting: string, { torch, blas, env, unset = [] }: (typeof PEER_SETTINGS)[string]) {
    const all: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(blas), OMP_NUM_THREADS: String(torch),
      ...env };
    for (const name of unset) delete all[name];
    this.proc = spawn(PYTHON, [PEER, String(torch)], { env: all });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  /** Per-step ms of `steps` of PyTorch's `name` step after `warmup`. */
  async run(name: StepName, steps: number, warmup: number): Promise<number[]> {
    this.proc.stdin.write(`run ${name} ${steps} ${warmup}\n`);
    const { value, done } = await this.lines.next();
    const fields = done ? [] : String(value).split(' ');
    if (fields[0] !== 'TIMES' || fields.length !== steps + 2) {
      throw new Error(`PyTorch peer (${this.setting}) failed:\n${this.stderr}`);
    }
    return fields.slice(2).map(Number);
  }

  /** The peer's process id, for settle(). */
  get pid(): number {
    return this.proc.pid!;
  }

  close(): void {
    this.proc.stdin.end();
  }
}

type StepName = 'sae' | 'sae_openai' | 'transformer';
interface Plan { name: StepName; label: string; make: () => () => void; steps: number; warmup: number }

/** Alternates rounds of our step and each peer's (and `perRound`, if given, after ours); returns the medians (ms per
 *  step) over all rounds. */
async function compare(plan: Plan, peers: Peer[], rounds: number,
    perRound?: () => void): Promise<{ ours: number; peers: Map<string, number> }> {
  const step = plan.make();
  const mine: number[] = [];
  const theirs = new Map<string, number[]>(peers.map((p) => [p.setting, []]));
  const everyone = [process.pid, ...peers.map((p) => p.pid)];
  // The peers start by importing torch: seconds of CPU that the first round must not meet.
  await settle(everyone, 30, 60_000);
  for (let r = 0; r < rounds; r++) {
    const warmup = r === 0 ? plan.warmup : 1;
    mine.push(...await ours(step, plan.steps, warmup));
    perRound?.();
    for (const p of peers) {
      settled.push(await settle(everyone)); // no round starts beside another side's spinning threads (settle.ts)
      theirs.get(p.setting)!.push(...await p.run(plan.name, plan.steps, warmup));
    }
    settled.push(await settle(everyone));
  }
  return { ours: median(mine), peers: new Map([...theirs].map(([k, v]) => [k, median(v)])) };
}

/** Prints our figure, each peer's and our speed ratio over each; returns the ratio over the fastest, or null. */
function report(plan: Plan, rounds: number, ms: number, peers: Map<string, number>): number | null {
  const extra = plan.name !== 'transformer' ? ` = ${(256 / ms * 1000).toFixed(0)} samples/s` : '';
  console.log(`${plan.label}: ${ms.toFixed(2)} ms${extra} (median of ${rounds} rounds of ${plan.steps} steps)`);
  if (peers.size === 0) {
    console.log(`  PyTorch not found (${PYTHON}: apt-get install python3-torch libopenblas0-pthread): no ratio`);
    return null;
  }
  for (const [setting, theirs] of peers) {
    console.log(`  PyTorch (${setting}): ${theirs.toFixed(2)} ms, rounds interleaved with ours -> ours is `
      + `${(theirs / ms).toFixed(2)}x`);
  }
  const [best, bestMs] = [...peers].sort((a, b) => a[1] - b[1])[0]!;
  console.log(`  PyTorch's fastest setting for this step here: ${best} (${bestMs.toFixed(2)} ms)`);
  return bestMs / ms;
}

const backend = await setBackend(defaultBackendName());
console.log(`backend: ${backend.name}; PyTorch peer: ${hasTorch ? PYTHON : 'not installed'}`);
// The peers inherit the machine's other OpenBLAS settings, but those marked 'OpenBLAS core detected'.
const inherited = Object.entries(process.env)
  .filter(([k]) => k.startsWith('OPENBLAS_') && k !== 'OPENBLAS_NUM_THREADS').map(([k, v]) => `${k}=${v}`);
if (hasTorch) {
  console.log(`  the peers inherit ${inherited.join(', ') || 'no other OPENBLAS_ setting'}, except those whose setting `
    + `says 'OpenBLAS core detected' (without ${OWN_CORE.join(' and ')})`);
}
const rounds = Number(process.env.ROUNDS ?? 6);
const peers = hasTorch ? Object.entries(PEER_SETTINGS).map(([s, setting]) => new Peer(s, setting)) : [];
const plans: Plan[] = [
  { name: 'sae', label: SAE_STEP_LABEL, make: saeStep, steps: 20, warmup: 30 },
  { name: 'sae_openai', label: SAE_OPENAI_STEP_LABEL, make: saeOpenaiStep, steps: 20, warmup: 60 },
  { name: 'transformer', label: TRANSFORMER_STEP_LABEL, make: transformerStep, steps: 3, warmup: 3 },
];
const results = new Map<string, { ms: number; ratio: number | null }>();
const floors: ReturnType<typeof saeStepFloor>[] = [];
try {
  for (const plan of plans) {
    const perRound = plan.name === 'sae' ? () => void floors.push(saeStepFloor(backend)) : undefined;
    const { ours: ms, peers: theirs } = await compare(plan, peers, rounds, perRound);
    results.set(plan.name, { ms, ratio: report(plan, rounds, ms, theirs) });
  }
} finally {
  for (const p of peers) p.close();
  disposeBackends();
}
const sae = results.get('sae')!, openai = results.get('sae_openai')!, tr = results.get('transformer')!;
const floor = [...floors].sort((a, b) => a.ms - b.ms)[floors.length >> 1]!;
console.log(`SAE step floor (bench/floor.ts; median of ${floors.length} rounds): ${floor.ms.toFixed(2)} ms = encoder `
  + `product ${floor.parts.encoder.toFixed(2)} + sparse products ${floor.parts.sparse.toFixed(2)} (both at `
  + `${floor.gflops.toFixed(1)} GFLOP/s) + Adam ${floor.parts.adam.toFixed(2)}; the husai step is `
  + `${(sae.ms / floor.ms).toFixed(2)}x it`);
if (settled.length > 0) {
  console.log(`Between rounds each process waited until every one was idle (bench/settle.ts): median `
    + `${median(settled).toFixed(0)} ms, longest ${Math.max(...settled).toFixed(0)} ms`);
}
console.log(`RESULT sae_samples_per_s ${(256 / sae.ms * 1000).toFixed(0)}`);
console.log(`RESULT transformer_step_ms ${tr.ms.toFixed(1)}`);
console.log(`RESULT sae_step_over_floor ${(sae.ms / floor.ms).toFixed(2)}`);
if (sae.ratio !== null) console.log(`RESULT sae_speedup_vs_pytorch_best ${sae.ratio.toFixed(2)}`);
if (openai.ratio !== null) console.log(`RESULT sae_openai_speedup_vs_pytorch_best ${openai.ratio.toFixed(2)}`);
if (tr.ratio !== null) console.log(`RESULT transformer_speedup_vs_pytorch_best ${tr.ratio.toFixed(2)}`);
