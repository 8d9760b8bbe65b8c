/**
 * `saelab upgrade <dir>`: brings a results.json written by an older schema to the current one in
 * place, without retraining, from the folder's published files alone (on the backend the run
 * recorded): version 1 -> 2 adds per task `randomBaseline.initShapes`, `encoderPwmcc` and `subspace`
 * (the SAE weight files, their untrained decoders regenerated from the seeds, and the activations
 * regenerated through the committed transformer, checked against the recorded spectrum), then the
 * verdicts. Every number already in the file stays as it was; the folder's run manifest
 * (.work/run.json) moves to the new version with it. On a current file it decides the verdicts again
 * with today's rules (the numbers stay as they are).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '@saelab/models';
import { setBackend } from '@saelab/tensor';
import { check } from '@saelab/results';
import { ConfigSchema, saeOf, type Config } from '../config/schema.js';
import { pwmccMatrix } from '../metrics/pwmcc.js';
import { principalAxes, spectrumOf } from '../metrics/spectrum.js';
import {
  checkWritten, ResultsV1Schema, SCHEMA_VERSION, WrittenResultsSchema, type MeasuredResults, type Results,
  type ResultsV1 } from '../results/schema.js';
import { computeVerdicts } from '../verdicts/index.js';
import { initShapes, matrixFrom, pairSummary, subspaceLevels } from './analysis.js';
import { initialDecoder, regenerateActivations } from './regenerate.js';
import { manifestPath } from './layout.js';

type TaskV1 = ResultsV1['tasks'][number];

/** What schema 2 adds to one task, from the folder's files. */
async function upgradeTask(dir: string, config: Config, backend: string,
    t: TaskV1): Promise<MeasuredResults['tasks'][number]> {
  const taskCfg = config.tasks[t.name];
  if (!taskCfg) throw new Error(`${join(dir, 'results.json')}: task '${t.name}' is not in its config`);
  const file = (s: TaskV1['saes'][number]) => join(dir, `${s.file}.safetensors`);
  const decoders = await Promise.all(t.saes.map((s) => matrixFrom(file(s), 'W_dec')));
  const encoders = await Promise.all(t.saes.map((s) => matrixFrom(file(s), 'W_enc', true)));
  const dIn = t.activations.dModel;
  const sae = saeOf(config, t.name);
  const dSae = decoders[0]?.rows ?? sae.expansion * dIn;
  const inits = t.saes.map((s) => initialDecoder(sae, dIn, s.seed));
  const { acts, n } = await regenerateActivations(join(dir, t.transformer.file), t.name, taskCfg, backend);
  const axes = principalAxes(acts, n, dIn);
  if (JSON.stringify(spectrumOf(axes.eigenvalues)) !== JSON.stringify(t.activations.spectrum)) {
    throw new Error(`${join(dir, t.transformer.file)}: the activations it gives do not have the spectrum results.json `
      + `records for task '${t.name}', so they are not the ones its SAEs were trained on; rerun the study with `
      + `\`npx saelab run --config ${config.name}\``);
  }
  return {
    ...t,
    randomBaseline: { ...t.randomBaseline, initShapes: initShapes(dIn, dSae, config.analysis) },
    encoderPwmcc: pairSummary(t.saes.map((s) => s.seed), pwmccMatrix(encoders)),
    subspace: subspaceLevels(t.saes.map((s) => s.seed), decoders, encoders, inits, axes),
  };
}

/** Upgrades `<dir>/results.json`; returns the version it had (SCHEMA_VERSION when there was nothing to do). */
export async function upgradeResults(dir: string): Promise<number> {
  const file = join(dir, 'results.json');
  const raw = JSON.parse(await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${file}: cannot read it (${e.code ?? e.message}); pass the folder of a run that holds `
      + `results.json`);
  })) as { schemaVersion?: unknown };
  if (raw.schemaVersion === SCHEMA_VERSION) {
    // Current already: decide its verdicts again with today's rules (its numbers stay); rewrite only if they changed.
    // The verdicts are not checked first: rules added since the file was written leave them incomplete.
    const { verdicts, ...rest } = raw as Results;
    const measured = check(WrittenResultsSchema.omit({ verdicts: true }), rest, file) as MeasuredResults;
    // Written in the file's own key order, for a small diff.
    const decided: Results = { ...rest, verdicts: computeVerdicts(measured) };
    if (JSON.stringify(decided.verdicts) !== JSON.stringify(verdicts)) {
      checkWritten(decided, file);
      await writeJsonAtomic(file, decided);
    }
    return SCHEMA_VERSION;
  }
  const v1 = check(ResultsV1Schema, raw, file);
  const config = check(ConfigSchema, v1.config, `${file} (its config)`);
  await setBackend(v1.environment.backend);
  const measured: MeasuredResults = {
    ...v1,
    schemaVersion: SCHEMA_VERSION,
    environment: { ...v1.environment, upgradedFrom: { schemaVersion: 1, at: new Date().toISOString() } },
    tasks: await Promise.all(v1.tasks.map((t) => upgradeTask(dir, config, v1.environment.backend, t))),
  };
  const results: Results = { ...measured, verdicts: computeVerdicts(measured) };
  checkWritten(results, file);
  await writeJsonAtomic(file, results);
  // The folder's run manifest names the schema its results follow; a later `saelab run` there resumes under it.
  if (existsSync(manifestPath(dir))) {
    await writeJsonAtomic(manifestPath(dir), { config: config.name, schemaVersion: SCHEMA_VERSION });
  }
  return 1;
}
