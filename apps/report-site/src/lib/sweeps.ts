/**
 * The sweeps the site renders: every `<results>/<sweep>/sweep.json` (what `saelab sweep` writes), validated, with the
 * results.json of each cell that finished. Node-only; runs at build time. A folder without sweep.json is not a sweep;
 * a sweep.json that does not validate, or a finished cell without its results.json, fails the build naming the file
 * and the fix.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseResults, parseSweep, type Results, type Sweep } from '@saelab/results';

/** A sweep as the site reads it: sweep.json and, per finished cell, its results. */
export interface LoadedSweep {
  name: string;
  dir: string;
  sweep: Sweep;
  /** By cell name, the cells whose status is 'done'. */
  results: Map<string, Results>;
}

const rerun = (name: string) => `regenerate it with \`npx saelab sweep --grid ${name}\``;

function readJson(file: string, name: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} cannot be read as JSON (${(e as Error).message}); ${rerun(name)}.`);
  }
}

/** Reads one sweep folder; its name must be the sweep's (`saelab sweep` writes results/<grid name>/ by default). */
export function loadSweep(dir: string, name: string): LoadedSweep {
  const file = join(dir, 'sweep.json');
  const sweep = parseSweep(readJson(file, name), file);
  if (sweep.name !== name) {
    throw new Error(`${file} holds sweep '${sweep.name}' but sits in a folder named '${name}'; the folder name must be `
      + `the sweep's (move it to ${join(dir, '..', sweep.name)}).`);
  }
  const results = new Map<string, Results>();
  for (const cell of sweep.cells.filter((c) => c.status === 'done')) {
    const at = join(dir, cell.dir, 'results.json');
    if (!existsSync(at)) {
      throw new Error(`${file} says cell ${cell.name} is done, but ${at} is missing; ${rerun(name)} (finished cells `
        + 'are not retrained).');
    }
    results.set(cell.name, parseResults(readJson(at, name), at));
  }
  return { name, dir, sweep, results };
}

/** Every sweep folder under `dir` (those holding a sweep.json), by name. */
export function loadSweeps(dir: string): LoadedSweep[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && existsSync(join(dir, e.name, 'sweep.json')))
    .map((e) => loadSweep(join(dir, e.name), e.name))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The files a sweep publishes, relative to its folder: the table as JSON and as CSV. */
export const sweepFiles = ['sweep.json', 'sweep.csv'] as const;
