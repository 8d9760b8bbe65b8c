/**
 * Activation extraction: run the trained transformer over a task's inputs and keep one hook's
 * residual stream at one position, as a matrix [count, d_model] shared by every SAE of the task.
 * Only the last block's output window is computed, since the hook is read at a single position.
 */
import { noGrad, tensor, tidy } from '@saelab/tensor';
import type { Transformer } from '@saelab/models';
import type { Split } from '../tasks/index.js';
import { silent, type Progress } from './progress.js';

export function extractActivations(model: Transformer, inputs: Split, seqLen: number, hook: string, position: number,
  o: { progress?: Progress; label?: string; chunk?: number } = {}): Float32Array {
  const progress = o.progress ?? silent;
  const chunk = o.chunk ?? 1024;
  const D = model.cfg.dModel;
  const lastBlock = `blocks.${model.cfg.nLayers - 1}.`;
  // A hook inside the last block sees only its output window: make that window the one position.
  const window: [number, number] = hook.startsWith(lastBlock) ? [position, position + 1] : [0, seqLen];
  const out = new Float32Array(inputs.n * D);
  progress.start(o.label ?? 'activations', inputs.n);
  noGrad(() => {
    for (let s = 0; s < inputs.n; s += chunk) {
      const n = Math.min(chunk, inputs.n - s);
      const { P, v } = tidy(() => {
        const tokens = tensor(inputs.tokens.subarray(s * seqLen, (s + n) * seqLen), [n, seqLen]);
        const acts = model.forward(tokens, { window, hooks: [hook] }).cache.get(hook)!; // [n, P, D]
        return { P: acts.shape[1]!, v: acts.toArray() };
      });
      const at = window[0] === position ? 0 : position;
      for (let i = 0; i < n; i++) out.set(v.subarray((i * P + at) * D, (i * P + at + 1) * D), (s + i) * D);
      progress.update(s + n);
    }
  });
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) {
      throw new Error(`activations at ${hook}, position ${position}: row ${Math.floor(i / D)} holds ${out[i]}; the `
        + `transformer diverged, retrain it (delete its checkpoint)`);
    }
  }
  progress.finish(`${o.label ?? 'activations'}: ${inputs.n} x ${D} from ${hook} at position ${position}`);
  return out;
}
