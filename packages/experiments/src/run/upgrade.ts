/**
 * `saelab upgrade <dir>`: brings a results.json written by an older schema to the current one in
 * place, without retraining: version 1 -> 2 adds each task's `randomBaseline.initShapes` (computed on
 * the backend the run recorded) and the verdicts. Every number already in the file stays as it was;
 * the folder's run manifest (.work/run.json) is moved to the new version with it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '@saelab/models';
import { setBackend } from '@saelab/tensor';
import { check } from '@saelab/results';
import { ConfigSchema } from '../config/schema.js';
import { checkWritten, ResultsV1Schema, SCHEMA_VERSION, type MeasuredResults, type Results } from '../results/schema.js';
import { computeVerdicts } from '../verdicts/index.js';
import { initShapes } from './analysis.js';
import { manifestPath } from './layout.js';

/** Upgrades `<dir>/results.json`; returns the version it had (SCHEMA_VERSION when there was nothing to do). */
export async function upgradeResults(dir: string): Promise<number> {
  const file = join(dir, 'results.json');
  const raw = JSON.parse(await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${file}: cannot read it (${e.code ?? e.message}); pass the folder of a run that holds results.json`);
  })) as { schemaVersion?: unknown };
  if (raw.schemaVersion === SCHEMA_VERSION) {
    checkWritten(raw, file);
    return SCHEMA_VERSION;
  }
  const v1 = check(ResultsV1Schema, raw, file);
  const config = check(ConfigSchema, v1.config, `${file} (its config)`);
  await setBackend(v1.environment.backend);
  const measured: MeasuredResults = {
    ...v1,
    schemaVersion: SCHEMA_VERSION,
    environment: { ...v1.environment, upgradedFrom: { schemaVersion: 1, at: new Date().toISOString() } },
    tasks: v1.tasks.map((t) => {
      const sae = t.saes[0];
      const [dIn, dSae] = [t.activations.dModel, sae?.dSae ?? config.sae.expansion * t.activations.dModel];
      return { ...t, randomBaseline: { ...t.randomBaseline, initShapes: initShapes(dIn, dSae, config.analysis) } };
    }),
  };
  const results: Results = { ...measured, verdicts: computeVerdicts(measured) };
  checkWritten(results, file);
  await writeJsonAtomic(file, results);
  // The folder's run manifest names the schema its results follow; a later `saelab run` there resumes under it.
  if (existsSync(manifestPath(dir))) await writeJsonAtomic(manifestPath(dir), { config: config.name, schemaVersion: SCHEMA_VERSION });
  return 1;
}
