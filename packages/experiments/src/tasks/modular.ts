/**
 * Modular addition (PROTOCOL.md): [BOS, a, PLUS, b, EQUALS, c, EOS] with c = (a + b) mod p and
 * BOS = p, EOS = p+1, EQUALS = p+2, PLUS = p+3. All p^2 pairs, split by a seeded shuffle.
 * `readAt: 'answer'` reads the prediction at index 5, which already holds c (the original's
 * label leakage); `readAt: 'equals'` reads it at index 4, where c must be computed.
 */
import { Rng } from '@saelab/tensor';
import { z } from 'zod';
import type { Split, TaskData } from './dataset.js';
import type { TransformerTask } from './definition.js';
import { ActivationsSchema, fraction, int, TransformerTrainingSchema } from './fields.js';

export const ModularTaskSchema = z.strictObject({
  kind: z.literal('modular'),
  p: int(2), // 113
  /** Where the answer is read: 'answer' = index 5, which holds c itself (husai's leak); 'equals' = index 4. */
  readAt: z.enum(['answer', 'equals']),
  trainFraction: fraction(), // 0.9 of all p^2 pairs, split by a seeded shuffle
  dataSeed: int(0),
  transformer: TransformerTrainingSchema,
  activations: ActivationsSchema,
});
export type ModularTaskConfig = z.infer<typeof ModularTaskSchema>;

export const MODULAR_POSITIONS = { answer: 5, equals: 4 } as const;
const SEQ_LEN = 7;

/** Sequences for the given pairs (pair = a * p + b) and their answers c. */
export function modularSequences(p: number, pairs: readonly number[]): Split {
  const [BOS, EOS, EQUALS, PLUS] = [p, p + 1, p + 2, p + 3];
  const tokens = new Float32Array(pairs.length * SEQ_LEN);
  const targets = new Float32Array(pairs.length);
  pairs.forEach((pair, i) => {
    const a = Math.floor(pair / p);
    const b = pair % p;
    const c = (a + b) % p;
    tokens.set([BOS, a, PLUS, b, EQUALS, c, EOS], i * SEQ_LEN);
    targets[i] = c;
  });
  return { tokens, targets, n: pairs.length };
}

/** The modular task's data: all p^2 pairs split by a seeded shuffle, the answer read at `readAt`. */
export function makeModularTask(name: string, cfg: ModularTaskConfig): Omit<TaskData, 'activationInputs'> {
  const { p } = cfg;
  const order = new Rng(cfg.dataSeed).fork('modular-split').permutation(p * p);
  const nTrain = Math.round(p * p * cfg.trainFraction);
  const position = MODULAR_POSITIONS[cfg.readAt];
  return {
    name,
    kind: 'modular',
    dVocab: p + 4,
    seqLen: SEQ_LEN,
    window: [position, position + 1],
    activationPosition: position,
    train: modularSequences(p, order.slice(0, nTrain)),
    val: modularSequences(p, order.slice(nTrain)),
  };
}

/** Every pair in (a, b) order, for activation extraction: row i is pair i. */
export function allModularPairs(cfg: Pick<ModularTaskConfig, 'p'>): Split {
  return modularSequences(cfg.p, Array.from({ length: cfg.p * cfg.p }, (_, i) => i));
}

/** The activations are read from every pair, so row i of the matrix is pair i. */
export const modular = {
  source: 'transformer',
  kind: 'modular',
  title: 'modular addition',
  schema: ModularTaskSchema,
  make: makeModularTask,
  activationInputs: allModularPairs,
  dIn: (cfg) => cfg.transformer.dModel,
} as const satisfies TransformerTask<ModularTaskConfig>;
