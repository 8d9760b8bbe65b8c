/**
 * Where a run keeps its files. Public outputs sit in the results folder; checkpoints and stage
 * records in its `.work/` folder. Every stage's record carries the hash of the config fields it
 * depends on, so changing the SAE epochs retrains the SAEs but not the transformer.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { saeOf, type Config } from '../config/schema.js';

/** A short, stable hash of a JSON value (keys sorted). */
export function hashOf(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex').slice(0, 16);
}

/** The keys of each stage: what its output depends on. */
export function stageKeys(config: Config, taskName: string, backend: string) {
  // The task's own SAE settings (if any) key only its SAEs; a transformer task's activation settings only its
  // activations.
  const { activations, sae: _ownSae, ...taskData } = config.tasks[taskName] as Record<string, unknown>;
  const transformer = hashOf({ task: taskData, backend });
  const acts = hashOf({ transformer, activations });
  const sae = (seed: number) => hashOf({ acts, sae: saeOf(config, taskName), seed });
  return { transformer, activations: acts, sae };
}

export function taskPaths(out: string, taskName: string) {
  const dir = join(out, taskName);
  const work = join(out, '.work', taskName);
  return {
    dir,
    work,
    transformer: join(dir, 'transformer.safetensors'),
    transformerRecord: join(work, 'transformer.json'),
    transformerCheckpoint: (key: string) => join(work, `transformer-${key}.ckpt.safetensors`),
    activations: join(dir, 'activations.safetensors'),
    /** A generated task's true features, [N, d] (tensor `features`). */
    truth: join(dir, 'truth.safetensors'),
    /** A generated task's stage record (a transformer task's is transformerRecord). */
    generatedRecord: join(work, 'generated.json'),
    sae: (seed: number) => join(dir, `sae-seed${seed}`),
    saeInit: (seed: number) => join(work, `sae-seed${seed}-init.safetensors`),
    saeRecord: (seed: number) => join(work, `sae-seed${seed}.json`),
    saeCheckpoint: (seed: number, key: string) => join(work, `sae-seed${seed}-${key}.ckpt.safetensors`),
    /**
     * The decoder after epoch `epoch` (1-based), for the cross-seed PWMCC curve; its metadata names the SAE stage key.
     */
    saeEpoch: (seed: number, epoch: number) => join(work, `sae-seed${seed}-epoch${epoch}.safetensors`),
  };
}

/** The marker that ties a results folder to one config and schema version. */
export const manifestPath = (out: string) => join(out, '.work', 'run.json');
