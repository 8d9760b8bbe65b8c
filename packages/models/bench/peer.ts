/**
 * This checkout's training steps (bench/steps.ts) as a peer process speaking pytorch_peer.py's protocol: each
 * line "run <sae|sae_openai|transformer> <steps> <warmup>" on stdin answers "TIMES <name> <ms> <ms> ...".
 * bench/ab.ts runs one per checkout and alternates rounds between them, to compare two versions of the code on one
 * machine.
 * Run: npx tsx bench/peer.ts (SAELAB_BACKEND picks the backend).
 */
import { createInterface } from 'node:readline';
import { defaultBackendName, disposeBackends, releaseMemory, setBackend } from '@saelab/tensor';
import { saeOpenaiStep, saeStep, transformerStep } from './steps.js';

await setBackend(defaultBackendName());
const makers = { sae: () => saeStep(), sae_openai: saeOpenaiStep, transformer: transformerStep } as const;
const built = new Map<string, () => void>();
for await (const line of createInterface({ input: process.stdin })) {
  const [verb, name, steps, warmup] = line.split(' ');
  if (verb !== 'run' || !(name! in makers)) throw new Error(`peer: cannot answer '${line}'`);
  if (!built.has(name!)) built.set(name!, makers[name as keyof typeof makers]());
  const step = built.get(name!)!;
  const ms: number[] = [];
  for (let i = 0; i < Number(warmup) + Number(steps); i++) {
    const t0 = performance.now();
    step();
    await releaseMemory();
    if (i >= Number(warmup)) ms.push(performance.now() - t0);
  }
  console.log(`TIMES ${name} ${ms.map((t) => t.toFixed(4)).join(' ')}`);
}
disposeBackends();
