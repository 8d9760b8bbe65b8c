/**
 * What a latent page shows of an activation row, in the task's own terms: a copy row is the token sequence its
 * activation was read from (with the read position), a modular-addition row the pair a + b, a synthetic row the true
 * features active in the sample. A transformer task's rows are its `activationInputs()`, regenerated from the config
 * (cheap: no model runs); a generated task's come from its generator, when it reports the active features.
 */
import type { LatentEntry, Latents } from '@saelab/results';
import type { TaskConfig } from '../config/schema.js';
import { isTransformerTask, makeTask } from '../tasks/index.js';
import { regenerateGenerated } from '../run/regenerate.js';

type TopInput = LatentEntry['top'][number];

/** How a task's rows are shown: the file's `inputs` header, and each row's own fields. */
export interface InputDescription {
  inputs: Latents['inputs'];
  row(row: number): Omit<TopInput, 'row' | 'value'>;
}

/**
 * The description of task `taskName`'s `n` activation rows `acts`; an error when the task's inputs are not `n` rows,
 * or a generated task's generator does not give `acts` (the activations then belong to another config).
 */
export function describeInputs(taskName: string, taskCfg: TaskConfig, n: number, acts: Float32Array):
    InputDescription {
  const mismatch = (m: number) => new Error(`task ${taskName}: its config gives ${m} activation inputs, but the `
    + `activations have ${n} rows; they were not read from this task (regenerate them with \`saelab run\`)`);
  if (isTransformerTask(taskCfg)) {
    const data = makeTask(taskName, taskCfg);
    const split = data.activationInputs();
    if (split.n !== n) throw mismatch(split.n);
    const T = data.seqLen;
    const tokens = (row: number) => Array.from(split.tokens.subarray(row * T, (row + 1) * T));
    const position = data.activationPosition;
    if (taskCfg.kind === 'modular') {
      const p = (taskCfg as TaskConfig & { p: number }).p;
      return { inputs: { kind: 'modular', position, p }, row: (r) => ({ a: split.tokens[r * T + 1]!,
        b: split.tokens[r * T + 3]! }) }; // [BOS, a, PLUS, b, EQUALS, c, EOS]
    }
    const names: Record<string, string> = {};
    if (taskCfg.kind === 'copy') {
      const vocab = (taskCfg as TaskConfig & { vocab: number }).vocab;
      names[vocab] = 'SEP';
      names[vocab + 1] = 'PAD';
    }
    return { inputs: { kind: 'copy', position, names }, row: (r) => ({ tokens: tokens(r) }) };
  }
  const g = regenerateGenerated(taskName, taskCfg);
  if (g.n !== n) throw mismatch(g.n);
  if (g.activations.length !== acts.length || g.activations.some((v, i) => v !== acts[i])) {
    throw new Error(`task ${taskName}: its generator, run again from the config, does not give the activations `
      + `the SAEs were trained on; regenerate them with \`saelab run\``);
  }
  if (!g.activeFeatures || !g.truth) return { inputs: { kind: 'rows' }, row: () => ({}) };
  const active = g.activeFeatures;
  return { inputs: { kind: 'synthetic', features: g.truth.rows }, row: (r) => ({ features: active(r) }) };
}
