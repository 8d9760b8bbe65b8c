/**
 * Finds and validates the results the site is built from: `SAELAB_RESULTS=<dir>` (default: the
 * repository's committed `results/`) holds one subfolder per config, each with a results.json.
 * Node-only; runs at build time. Every failure names the file or folder and the fix.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parseResults } from '@saelab/results';
import { sortRuns, type Run } from './run.js';

/** A run with the folder it was read from. */
export interface LoadedRun extends Run {
  dir: string;
}

/**
 * The absolute results folder. A relative SAELAB_RESULTS is read from the folder the command was
 * typed in (npm sets INIT_CWD; `npm run -w` itself runs in the package folder).
 */
export function resolveResultsDir(env: NodeJS.ProcessEnv, repoRoot: string): string {
  const given = env.SAELAB_RESULTS?.trim();
  if (!given) return join(repoRoot, 'results');
  return isAbsolute(given) ? given : resolve(env.INIT_CWD ?? process.cwd(), given);
}

const HOW_TO_FIX = 'Generate results with `npx saelab run --config <name> --out <dir>/<name>` (e.g. --config smoke), '
  + 'or point SAELAB_RESULTS at a folder that holds <config>/results.json.';

/** Reads and validates every `<dir>/<config>/results.json`; throws if there is none or one is invalid. */
export function loadRuns(dir: string): LoadedRun[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`results folder ${dir} does not exist. ${HOW_TO_FIX}`);
  }
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(dir, e.name, 'results.json')))
    .map((e) => e.name);
  if (names.length === 0) throw new Error(`results folder ${dir} holds no <config>/results.json. ${HOW_TO_FIX}`);
  return sortRuns(names.map((name) => loadRun(join(dir, name), name)));
}

function loadRun(dir: string, name: string): LoadedRun {
  const file = join(dir, 'results.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}). Regenerate it with \`npx saelab run --config `
      + `${name}\`.`);
  }
  const results = parseResults(raw, file);
  if (results.config.name !== name) {
    throw new Error(`${file} holds config '${results.config.name}' but sits in a folder named '${name}'; the folder `
      + `name must be the config name (move it to ${join(dir, '..', results.config.name)}).`);
  }
  return { name, dir, results };
}

/**
 * The files a run publishes, relative to its folder: results.json, the transformer (or, for generated activations, the
 * true features), each SAE's weights and cfg.
 */
export function publishedFiles(run: Run): string[] {
  const files = ['results.json'];
  for (const task of run.results.tasks) {
    if (task.transformer) files.push(task.transformer.file);
    if (task.truth) files.push(task.truth.file);
    for (const sae of task.saes) files.push(`${sae.file}.safetensors`, `${sae.file}.cfg.json`);
  }
  return files;
}
