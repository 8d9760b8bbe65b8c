/**
 * `saelab sweep`: runs every cell of a grid (grid.ts) on this machine, one after another, each as
 * `saelab run` runs a config, into `<out>/cells/<cell>/`; then writes `<out>/sweep.json` and
 * `<out>/sweep.csv` (table.ts), sweep.json with the verdicts per cell (verdicts/sweep.ts). Each
 * cell may adopt what an earlier cell already finished with the same stage key (its transformers and
 * activations: `--reuse` of every earlier cell), and resumes, like any run, from its own stage
 * records: a killed sweep, started again, redoes nothing that finished, and a widened grid trains
 * only its new cells. A cell whose config is invalid, or whose run fails, is recorded in sweep.json
 * with its error; the other cells still run.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '@saelab/models';
import {
  parseSweep, SWEEP_SCHEMA_VERSION, type Sweep, type SweepCell, type SweepCellVerdict, type SweepRow,
} from '@saelab/results';
import { runExperiment } from '../run/pipeline.js';
import type { Reporter } from '../run/pool.js';
import { sweepCellVerdicts, sweepVerdicts } from '../verdicts/sweep.js';
import { axisPaths, axisValues, expandGrid, isInvalid, type Grid } from './grid.js';
import { cellRows, toCsv } from './table.js';

export interface SweepOptions {
  out: string;
  backend: string;
  workers?: number;
  /**
   * Progress of every job of every cell (ids are prefixed with the cell's name), and of the whole sweep as the job
   * 'sweep': its total is every job of every valid cell, advanced as jobs finish (a cell found done counts whole).
   */
  reporter: Reporter;
  /** A line per cell as it starts and ends. */
  onCell?: (line: string) => void;
}

/** Runs the sweep; returns what sweep.json holds. */
export async function runSweep(grid: Grid, base: Record<string, unknown>, o: SweepOptions): Promise<Sweep> {
  const startedAt = new Date().toISOString();
  const cells = expandGrid(grid, base);
  await mkdir(join(o.out, 'cells'), { recursive: true });
  const records: SweepCell[] = [];
  const rows: SweepRow[] = [];
  const verdicts: SweepCellVerdict[] = [];
  const finished: string[] = [];
  const jobsOf = (c: (typeof cells)[number]) => (isInvalid(c) ? 0
    : Object.keys(c.config.tasks).length * (c.config.seeds.length + 2)); // activations, SAEs, analysis per task
  const total = cells.reduce((n, c) => n + jobsOf(c), 0);
  const overall = o.reporter.job('sweep');
  overall.start(`sweep ${grid.name}`, total);
  let before = 0; // jobs of the cells already through
  let inCell = 0;
  for (const [i, cell] of cells.entries()) {
    const dir = join('cells', cell.name);
    const where = `cell ${i + 1}/${cells.length} ${cell.name}`;
    const t0 = performance.now();
    if (isInvalid(cell)) {
      records.push({ name: cell.name, dir, axes: cell.axes, status: 'failed', error: cell.error, durationMs: 0 });
      o.onCell?.(`${where}: not run, its config is invalid: ${cell.error}`);
      continue;
    }
    o.onCell?.(`${where}: ${Object.entries(cell.axes).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}`);
    const reporter: Reporter = { job: (id) => {
      const p = o.reporter.job(`${cell.name}/${id}`);
      return { ...p, finish: (summary) => {
        p.finish(summary);
        inCell = Math.min(inCell + 1, jobsOf(cell));
        overall.update(before + inCell, `cell ${i + 1}/${cells.length}`);
      } };
    } };
    try {
      const results = await runExperiment(cell.config, {
        out: join(o.out, dir), backend: o.backend, ...(o.workers ? { workers: o.workers } : {}), reporter,
        reuse: finished.filter((d) => existsSync(d)),
      });
      rows.push(...cellRows(cell.name, cell.axes, results));
      verdicts.push(...sweepCellVerdicts(cell.name, results));
      records.push({ name: cell.name, dir, axes: cell.axes, status: 'done',
        durationMs: Math.round(performance.now() - t0) });
      finished.push(join(o.out, dir));
      o.onCell?.(`${where}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s; `
        + results.tasks.map((t) => `${t.name} PWMCC ${t.pwmcc.mean.toFixed(3)}`).join(', '));
    } catch (e) {
      // A failure of one cell (bad input, a diverged SAE) is recorded once; what it finished stays for a rerun.
      const error = (e as Error).message;
      records.push({ name: cell.name, dir, axes: cell.axes, status: 'failed', error,
        durationMs: Math.round(performance.now() - t0) });
      o.onCell?.(`${where}: failed: ${error}`);
    }
    before += jobsOf(cell);
    inCell = 0;
    overall.update(before, `cell ${i + 1}/${cells.length}`);
  }
  overall.finish(`sweep ${grid.name}: ${records.filter((r) => r.status === 'done').length} of ${cells.length} cells `
    + 'done');
  const sweep: Sweep = {
    schemaVersion: SWEEP_SCHEMA_VERSION, name: grid.name, description: grid.description, base: grid.base,
    axes: axisValues(grid), ...(grid.set ? { set: grid.set } : {}), backend: o.backend, startedAt,
    finishedAt: new Date().toISOString(), cells: records, rows, verdicts: sweepVerdicts(verdicts),
  };
  parseSweep(sweep, join(o.out, 'sweep.json'));
  await writeJsonAtomic(join(o.out, 'sweep.json'), sweep);
  await writeFileAtomic(join(o.out, 'sweep.csv'), toCsv(axisPaths(grid), rows));
  return sweep;
}
