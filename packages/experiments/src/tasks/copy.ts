/**
 * The copy task (PROTOCOL.md): input [t1..tL, SEP, PAD x L], target [PAD x L, SEP, t1..tL], with
 * the loss on positions L+1..2L, where the model must reproduce t1..tL. Content tokens are
 * 0..vocab-1, SEP = vocab, PAD = vocab + 1.
 */
import { Rng } from '@saelab/tensor';
import { z } from 'zod';
import type { Split, TaskData } from './dataset.js';
import type { TransformerTask } from './definition.js';
import { ActivationsSchema, fraction, int, TransformerTrainingSchema } from './fields.js';

export const CopyTaskSchema = z.strictObject({
  kind: z.literal('copy'),
  vocab: int(2), // 20 content tokens; SEP = vocab, PAD = vocab + 1
  length: int(), // 10 tokens copied
  examples: int(2), // 10,000
  trainFraction: fraction(), // 0.9: the first 90% train, the rest validation
  dataSeed: int(0),
  transformer: TransformerTrainingSchema,
  activations: ActivationsSchema.extend({
    count: int(), // 50,000 fresh sequences
    seed: int(0), // their generator, distinct from the training data's
  }),
});
export type CopyTaskConfig = z.infer<typeof CopyTaskSchema>;

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
export function makeCopyTask(name: string, cfg: CopyTaskConfig): Omit<TaskData, 'activationInputs'> {
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

/** The activations are read from `activations.count` fresh sequences, drawn from their own seed. */
export function copyActivationInputs(cfg: CopyTaskConfig): Split {
  return copySequences(cfg, cfg.activations.count, new Rng(cfg.activations.seed).fork('copy-activations'));
}

export const copy = {
  source: 'transformer',
  kind: 'copy',
  title: 'sequence copying',
  schema: CopyTaskSchema,
  make: makeCopyTask,
  activationInputs: copyActivationInputs,
  dIn: (cfg) => cfg.transformer.dModel,
} as const satisfies TransformerTask<CopyTaskConfig>;
