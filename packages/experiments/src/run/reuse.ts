/**
 * Reusing finished stages from other results folders. A stage's key is a hash of everything its
 * output depends on (the task's config fields and the backend; see layout.ts), so a transformer whose
 * key matches one another run already trained is the same model, bit for bit. `husai` and
 * `corrected` share the copy task's transformer and activations this way: `turbo run experiment`
 * trains it once instead of twice. A folder without stage records (a fresh clone's committed results)
 * still lends its transformers: their keys follow from the config its results.json records.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeJsonAtomic } from '@saelab/models';
import { ConfigSchema, type Config } from '../config/schema.js';
import { parseResults } from '../results/schema.js';
import type { TransformerRecord } from './jobs.js';
import { stageKeys, taskPaths } from './layout.js';

async function readRecord(path: string): Promise<TransformerRecord | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as TransformerRecord;
  } catch {
    return undefined;
  }
}

/**
 * The record of a task's transformer as a published folder states it: a fresh clone has the committed
 * results.json and transformer files but not the stage records (.work/ is not committed). The key is
 * recomputed from the config and backend results.json records; the activations are not published, so
 * the adopting job extracts them again. Undefined when the folder has no valid results.json with that task.
 */
async function publishedRecord(dir: string, task: string): Promise<TransformerRecord | undefined> {
  try {
    const results = parseResults(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')),
      join(dir, 'results.json'));
    const t = results.tasks.find((x) => x.name === task);
    const config = ConfigSchema.safeParse(results.config);
    if (!t?.transformer || t.activations.position === undefined || !config.success) return undefined;
    const { epochs, trainLoss, valAccuracyCurve, valAccuracy, valTokenAccuracy, trainAccuracy, stoppedEarly } =
      t.transformer;
    return {
      key: stageKeys(config.data, task, results.environment.backend).transformer, activationsKey: '',
      history: { epochs, trainLoss, valAccuracyCurve, valAccuracy, valTokenAccuracy, trainAccuracy, stoppedEarly },
      position: t.activations.position, count: t.activations.count, dModel: t.activations.dModel,
    };
  } catch {
    return undefined; // no results.json, or one of another schema: nothing to adopt from it
  }
}

/**
 * The tasks a results folder holds (stage records under .work/, or results.json's config). Any of them might hold
 * another task's transformer, since the key, not the name, decides: the architectures run's copy-gated and
 * copy-standard train SAEs on corrected's copy transformer.
 */
function taskNamesIn(dir: string): string[] {
  const names = new Set<string>();
  try {
    for (const e of readdirSync(join(dir, '.work'), { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
  } catch { /* no stage records: a fresh clone's folder */ }
  try {
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { config?: { tasks?: object } };
    for (const name of Object.keys(results.config?.tasks ?? {})) names.add(name);
  } catch { /* no results.json yet */ }
  return [...names];
}

/**
 * For each task whose transformer is not yet done in `out`, copies a finished transformer with the same
 * stage key (and its activations, where their key matches too) from the first folder in `from` that has
 * one (under any task name). Returns, per task, the folder it came from (relative to `out`), for the run's record.
 */
export async function adoptFinishedStages(config: Config, out: string, backend: string,
    from: readonly string[]): Promise<Record<string, string>> {
  const adopted: Record<string, string> = {};
  // Every task looks through the same folders: read each folder's task names, and each task's record, once.
  const names = new Map<string, string[]>();
  const records = new Map<string, Promise<TransformerRecord | undefined>>();
  const namesIn = (dir: string, task: string) => { // the task's own name first
    if (!names.has(dir)) names.set(dir, taskNamesIn(dir));
    return [task, ...names.get(dir)!.filter((n) => n !== task)];
  };
  const recordOf = (dir: string, name: string) => {
    const at = `${dir}\0${name}`;
    if (!records.has(at)) {
      records.set(at, (async () => (await readRecord(taskPaths(dir, name).transformerRecord))
        ?? publishedRecord(dir, name))());
    }
    return records.get(at)!;
  };
  for (const task of Object.keys(config.tasks)) {
    const keys = stageKeys(config, task, backend);
    const here = taskPaths(out, task);
    if ((await readRecord(here.transformerRecord))?.key === keys.transformer && existsSync(here.transformer)) continue;
    for (const [dir, name] of from.flatMap((d) => namesIn(d, task).map((n) => [d, n] as const))) {
      const there = taskPaths(dir, name);
      const record = await recordOf(dir, name);
      if (record?.key !== keys.transformer || !existsSync(there.transformer)) continue;
      await mkdir(here.dir, { recursive: true });
      await mkdir(here.work, { recursive: true });
      await copyFile(there.transformer, here.transformer);
      const withActivations = record.activationsKey === keys.activations && existsSync(there.activations);
      if (withActivations) await copyFile(there.activations, here.activations);
      // The record goes last: until it is written, the copies above count for nothing.
      await writeJsonAtomic(here.transformerRecord, withActivations ? record : { ...record, activationsKey: '' });
      adopted[task] = relative(out, dir) || '.';
      break;
    }
  }
  return adopted;
}
