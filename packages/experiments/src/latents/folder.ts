/**
 * `saelab latents <dir>`: writes the latents files of a finished run's folder from its published files, without
 * touching results.json, so a committed run gets its latent pages. The activations are the folder's own where
 * present (checked against results.json's shape), else regenerated: through the committed transformer (checked
 * against the recorded spectrum, as `saelab upgrade` does) or from a generated task's config. Runs on the backend
 * the run recorded.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSafetensors } from '@saelab/models';
import { setBackend } from '@saelab/tensor';
import { ConfigSchema, type Config } from '../config/schema.js';
import { principalAxes, spectrumOf } from '../metrics/spectrum.js';
import { checkWritten, type Results } from '../results/schema.js';
import { isTransformerTask } from '../tasks/index.js';
import { regenerateActivations, regenerateGenerated } from '../run/regenerate.js';
import { check } from '@saelab/results';
import { writeTaskLatents } from './write.js';

type TaskResult = Results['tasks'][number];

/** A task's activations [n, d]: the folder's file if it has one, else regenerated and checked. */
async function activationsOf(dir: string, config: Config, t: TaskResult, backend: string): Promise<Float32Array> {
  const { count, dModel } = t.activations;
  const file = join(dir, t.activations.file);
  if (existsSync(file)) {
    const acts = (await loadSafetensors(file)).tensors.activations;
    if (!acts || acts.shape.join() !== [count, dModel].join()) {
      throw new Error(`${file}: expected a tensor activations of shape [${count}, ${dModel}] (results.json's count `
        + `and dModel for task ${t.name}), found ${acts ? `[${acts.shape.join(', ')}]` : 'none'}; delete the file `
        + 'to have it regenerated');
    }
    return acts.data as Float32Array;
  }
  const taskCfg = config.tasks[t.name]!;
  if (!isTransformerTask(taskCfg)) return regenerateGenerated(t.name, taskCfg).activations;
  if (!t.transformer) throw new Error(`${join(dir, 'results.json')}: task ${t.name} has no transformer file`);
  const { acts } = await regenerateActivations(join(dir, t.transformer.file), t.name, taskCfg, backend);
  if (JSON.stringify(spectrumOf(principalAxes(acts, count, dModel).eigenvalues))
    !== JSON.stringify(t.activations.spectrum)) {
    throw new Error(`${join(dir, t.transformer.file)}: the activations it gives do not have the spectrum results.json `
      + `records for task '${t.name}', so they are not the ones its SAEs were trained on; rerun the study with `
      + `\`npx saelab run --config ${config.name}\``);
  }
  return acts;
}

/** Writes every task's latents files in the run folder `dir`; returns the paths written. */
export async function writeFolderLatents(dir: string, log: (line: string) => void = () => {}): Promise<string[]> {
  const file = join(dir, 'results.json');
  const raw: unknown = JSON.parse(await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${file}: cannot read it (${e.code ?? e.message}); pass the folder of a run that holds `
      + 'results.json');
  }));
  const results = checkWritten(raw, file);
  const config = check(ConfigSchema, results.config, `${file} (its config)`);
  await setBackend(results.environment.backend);
  const written: string[] = [];
  for (const t of results.tasks) {
    const acts = await activationsOf(dir, config, t, results.environment.backend);
    const paths = await writeTaskLatents({
      config, taskName: t.name, out: dir, seeds: t.saes.map((s) => s.seed),
      saeFile: (seed) => join(dir, t.saes.find((s) => s.seed === seed)!.file),
      acts, n: t.activations.count, d: t.activations.dModel,
      ...(t.truth ? { truthPath: join(dir, t.truth.file) } : {}),
    });
    log(`${t.name}: ${paths.length} latents files`);
    written.push(...paths);
  }
  return written;
}
