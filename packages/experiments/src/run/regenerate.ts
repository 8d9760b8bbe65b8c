/**
 * What a published results folder does not hold but its files determine: the activations (through
 * the committed transformer, as the pipeline's transformer job extracts them) and the SAEs' untrained
 * decoders (from their seeds, as training initialises them). `saelab upgrade` and the committed-results
 * test use these to compute, from the published files alone, what a newer schema adds.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadTransformer, type Transformer } from '@saelab/models';
import type { SaeTraining, TaskConfig } from '../config/schema.js';
import type { Matrix } from '../metrics/pwmcc.js';
import { isTransformerTask, makeTask, taskOf, transformerConfig, type GeneratedActivations, type GeneratedTask,
} from '../tasks/index.js';
import { extractActivations } from '../train/activations.js';
import { buildSae, decoderMatrix } from '../train/sae.js';

/**
 * The untrained decoder [d_sae, d_in] of an SAE trained with `sae` (a task's, `saeOf(config, task)`), regenerated from
 * its seed as training builds it.
 */
export function initialDecoder(sae: SaeTraining, dIn: number, seed: number): Matrix {
  // buildSae is training's own constructor; the data mean it takes sets only b_dec, not the decoder rows.
  return decoderMatrix(buildSae(sae, dIn, seed));
}

export interface RegeneratedActivations {
  model: Transformer;
  acts: Float32Array; // [n, d_model]
  n: number;
}

/**
 * The activations a task's SAEs were trained on, through the transformer file at `transformerPath`, on the
 * current backend. Memoised by the file's bytes, the task's config without its SAE fields and `backend`, so a config
 * that reused another's transformer (corrected reuses husai's copy transformer), or tasks that train different SAEs on
 * one transformer (the architectures run's), do not extract them twice.
 */
const cache = new Map<string, Promise<RegeneratedActivations>>();
export function regenerateActivations(transformerPath: string, taskName: string, taskCfg: TaskConfig,
    backend: string) {
  const cfg = transformerConfig(taskName, taskCfg);
  const { sae: _ownSae, ...data } = taskCfg as TaskConfig & { sae?: unknown }; // a task's SAE fields key only its SAEs
  const key = `${createHash('sha256').update(readFileSync(transformerPath)).digest('hex')} ${JSON.stringify(data)} `
    + `${backend}`;
  if (!cache.has(key)) {
    cache.set(key, (async () => {
      const model = await loadTransformer(transformerPath);
      const data = makeTask(taskName, cfg);
      const inputs = data.activationInputs(); // the task's own, as the pipeline's transformer job reads them
      const acts = extractActivations(model, inputs, data.seqLen, cfg.activations.hook, data.activationPosition);
      return { model, acts, n: inputs.n };
    })());
  }
  return cache.get(key)!;
}

/**
 * A generated task's activations and truth, generated again from its config; memoised by the config without its SAE
 * fields, so the tasks of one config that train different SAEs on the same data generate it once.
 */
const generated = new Map<string, GeneratedActivations>();
export function regenerateGenerated(taskName: string, taskCfg: TaskConfig): GeneratedActivations {
  if (isTransformerTask(taskCfg)) throw new Error(`task ${taskName} (${taskCfg.kind}) reads a transformer`);
  const { sae: _sae, ...data } = taskCfg;
  const key = JSON.stringify(data);
  if (!generated.has(key)) generated.set(key, (taskOf(taskCfg) as GeneratedTask<TaskConfig>).generate(taskCfg));
  return generated.get(key)!;
}
