/**
 * The computed floor of the SAE step (d_in 128, d_sae 1024, k 32, batch 256, Adam), measured on this machine now, so
 * that bench/models.ts can say how far its step is from it (RESULT sae_step_over_floor). The floor is the step's
 * unavoidable work at the best rates the engine's kernels reach here, and nothing else (no dispatch, no tape):
 *  - the dense encoder product, 256 x 128 x 1024 (67 MFLOP), needed whole since top-k must see every latent's
 *    pre-activation, at the best dense-product rate measured here (this shape or 512 x 512 x 512, hot);
 *  - the sparse products of a top-k code: 3 gatherDot, 1 gatherCombine and 3 scatterOuter of B k d multiply-adds
 *    each (14 MFLOP), at that same rate;
 *  - Adam over the 263,296 parameters (reading p, g, m, v and writing p, m, v: 7.4 MB), at the fused kernel's speed
 *    on hot memory (it is memory-bound: its speed is the memory's).
 * Each is the fastest of `reps` calls, so the floor is what the machine can do at its best moment.
 */
import { getKernel, type Backend } from '@saelab/tensor';

const B = 256, D_IN = 128, D_SAE = 1024, K = 32;
const PARAMS = 2 * D_SAE * D_IN + D_SAE + D_IN;

/** Fastest of `reps` calls of f, in ms (the result of each call handed back). */
function fastest(b: Backend, reps: number, f: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = f();
    best = Math.min(best, performance.now() - t0);
    if (out) b.release?.(out);
  }
  return best;
}

export interface SaeFloor {
  ms: number;
  gflops: number; // the dense rate it assumes
  parts: { encoder: number; sparse: number; adam: number };
}

/** Measures the floor on backend b (see the file's comment). */
export function saeStepFloor(b: Backend, reps = 30): SaeFloor {
  const fill = (n: number, seed: number) => b.fromHost(Float32Array.from({ length: n }, (_, i) => Math.sin(i * seed)));
  const x = fill(B * D_IN, 1), w = fill(D_SAE * D_IN, 2), big = fill(512 * 512, 3);
  const encoderMs = fastest(b, reps, () => b.matmul(x, w, 1, B, D_IN, D_SAE, false, true, false));
  const cubeMs = fastest(b, reps, () => b.matmul(big, big, 1, 512, 512, 512, false, false, false));
  const gflops = Math.max(2 * B * D_IN * D_SAE / encoderMs, 2 * 512 ** 3 / cubeMs) / 1e6;
  const adam = getKernel('adam', b);
  if (!adam) throw new Error(`floor: backend ${b.name} has no fused adam kernel to time`);
  const [p, g, m, v] = [fill(PARAMS, 4), fill(PARAMS, 5), b.zeros(PARAMS), b.zeros(PARAMS)];
  const o = { lr: 1e-9, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
  const adamMs = fastest(b, reps, () => adam(b, p, g, m, v, PARAMS, o));
  for (const s of [x, w, big, p, g, m, v]) b.release?.(s);
  const encoder = 2 * B * D_IN * D_SAE / gflops / 1e6;
  const sparse = 7 * 2 * B * K * D_IN / gflops / 1e6;
  return { ms: encoder + sparse + adamMs, gflops, parts: { encoder, sparse, adam: adamMs } };
}
