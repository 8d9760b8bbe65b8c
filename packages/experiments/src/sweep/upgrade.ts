/**
 * `saelab upgrade <sweep dir>`: brings a sweep.json of an older sweep schema to the current one in place, from the
 * cells' own results.json files, without rerunning a cell: version 1 -> 2 adds the sweep's verdicts
 * (verdicts/sweep.ts), decided from each finished cell's results as `saelab sweep` decides them. On a current file it
 * decides the verdicts again with today's rules, and rewrites the file only if they changed. Every other field stays
 * as it was.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '@saelab/models';
import { parseResults, parseSweep, SWEEP_SCHEMA_VERSION, type Sweep } from '@saelab/results';
import { sweepCellVerdicts, sweepVerdicts } from '../verdicts/sweep.js';

/** Upgrades `<dir>/sweep.json`; returns the version it had. */
export async function upgradeSweep(dir: string): Promise<number> {
  const file = join(dir, 'sweep.json');
  const raw = JSON.parse(await readFile(file, 'utf8')) as Omit<Sweep, 'verdicts' | 'schemaVersion'> & {
    schemaVersion?: unknown; verdicts?: unknown };
  const from = typeof raw.schemaVersion === 'number' ? raw.schemaVersion : 0;
  if (from !== 1 && from !== SWEEP_SCHEMA_VERSION) {
    throw new Error(`${file}: sweep schema version ${String(raw.schemaVersion)} is not one this upgrade knows (1, `
      + `${SWEEP_SCHEMA_VERSION}); rerun the sweep with \`npx saelab sweep --grid ${raw.name} --out ${dir}\``);
  }
  const verdicts = [];
  for (const cell of raw.cells.filter((c) => c.status === 'done')) {
    const path = join(dir, cell.dir, 'results.json');
    const results = parseResults(JSON.parse(await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new Error(`${path}: cannot read it (${e.code ?? e.message}); the sweep's cell ${cell.name} is recorded `
        + `as done, so rerun the sweep with \`npx saelab sweep --grid ${raw.name} --out ${dir}\``);
    })), path);
    verdicts.push(...sweepCellVerdicts(cell.name, results));
  }
  const { verdicts: old, ...rest } = raw;
  const upgraded = { ...rest, schemaVersion: SWEEP_SCHEMA_VERSION, verdicts: sweepVerdicts(verdicts) };
  parseSweep(upgraded, file);
  if (from !== SWEEP_SCHEMA_VERSION || JSON.stringify(upgraded.verdicts) !== JSON.stringify(old)) {
    await writeJsonAtomic(file, upgraded);
  }
  return from;
}
