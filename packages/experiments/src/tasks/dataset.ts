/** What every task provides to training and activation extraction. */
import type { TaskKind } from './index.js';

/** Token sequences with their targets over the loss window. */
export interface Split {
  tokens: Float32Array; // [n, seqLen], integer token ids stored as floats
  targets: Float32Array; // [n, window length]
  n: number;
}

export interface TaskData {
  name: string;
  kind: TaskKind;
  dVocab: number;
  seqLen: number;
  /** The positions [from, to) whose logits the loss reads. */
  window: readonly [number, number];
  /** The position whose residual stream the SAEs are trained on. */
  activationPosition: number;
  train: Split;
  val: Split;
  /** The sequences the activations are read from, built when asked (copy draws 50,000 fresh ones). */
  activationInputs(): Split;
}

/** Gathers the rows `order[start..end)` of a split into a batch. */
export function batchOf(split: Split, order: readonly number[], start: number, end: number, seqLen: number,
  windowLen: number): Split {
  const n = end - start;
  const tokens = new Float32Array(n * seqLen);
  const targets = new Float32Array(n * windowLen);
  for (let i = 0; i < n; i++) {
    const r = order[start + i]!;
    tokens.set(split.tokens.subarray(r * seqLen, (r + 1) * seqLen), i * seqLen);
    targets.set(split.targets.subarray(r * windowLen, (r + 1) * windowLen), i * windowLen);
  }
  return { tokens, targets, n };
}
