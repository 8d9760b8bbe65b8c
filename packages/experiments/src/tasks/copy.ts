/**
 * The copy task (PROTOCOL.md): input [t1..tL, SEP, PAD x L], target [PAD x L, SEP, t1..tL], with
 * the loss on positions L+1..2L, where the model must reproduce t1..tL. Content tokens are
 * 0..vocab-1, SEP = vocab, PAD = vocab + 1.
 */
import { Rng } from '@saelab/tensor';
import type { CopyTaskConfig } from '../config/schema.js';
import type { Split, TaskData } from './dataset.js';

/** `count` copy sequences drawn from `rng`: tokens [count, 2L+1] and targets [count, L]. */
export function copySequences(cfg: Pick<CopyTaskConfig, 'vocab' | 'length'>, count: number, rng: Rng): Split {
  const L = cfg.length;
  const T = 2 * L + 1;
  const SEP = cfg.vocab;
  const PAD = cfg.vocab + 1;
  const tokens = new Float32Array(count * T).fill(PAD);
  const targets = new Float32Array(count * L);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < L; j++) {
      const t = rng.int(cfg.vocab);
      tokens[i * T + j] = t;
      targets[i * L + j] = t;
    }
    tokens[i * T + L] = SEP;
  }
  return { tokens, targets, n: count };
}

/** The copy task's data: `examples` sequences, the first trainFraction for training. */
export function makeCopyTask(name: string, cfg: CopyTaskConfig): TaskData {
  const all = copySequences(cfg, cfg.examples, new Rng(cfg.dataSeed).fork('copy-data'));
  const nTrain = Math.round(cfg.examples * cfg.trainFraction);
  const T = 2 * cfg.length + 1;
  const L = cfg.length;
  const part = (from: number, to: number): Split => ({
    tokens: all.tokens.slice(from * T, to * T),
    targets: all.targets.slice(from * L, to * L),
    n: to - from,
  });
  return {
    name,
    kind: 'copy',
    dVocab: cfg.vocab + 2,
    seqLen: T,
    window: [L + 1, T],
    activationPosition: T - 1, // the last position
    train: part(0, nTrain),
    val: part(nTrain, cfg.examples),
  };
}
