/** Sweeps: a grid expands into validated cells; the local runner runs them, shares stages, resumes, and tabulates. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SweepSchema } from '@saelab/results';
import { loadRawConfig } from '../src/config/load.js';
import type { Reporter } from '../src/run/pool.js';
import { axisPaths, axisValues, expandGrid, isInvalid, loadGrid, type Grid } from '../src/sweep/grid.js';
import { runSweep } from '../src/sweep/run.js';
import { upgradeSweep } from '../src/sweep/upgrade.js';
import { toCsv } from '../src/sweep/table.js';
import { SWEEP_RULES, sweepCellVerdicts } from '../src/verdicts/sweep.js';

const quiet: Reporter = { job: () => ({ start() {}, update() {}, finish() {} }) };
const base = loadRawConfig('smoke');
const grid = (axes: Grid['axes']): Grid => ({ name: 'test', description: '', base: 'smoke', axes });

describe('sweep grid', () => {
  it('is the Cartesian product of its axes, the last varying fastest, each cell a validated config', () => {
    const cells = expandGrid(grid({ 'sae.k': [2, 3], 'sae.epochs': [1, 2, 3] }), base);
    expect(cells.map((c) => c.name)).toEqual(['k-2_epochs-1', 'k-2_epochs-2', 'k-2_epochs-3', 'k-3_epochs-1',
      'k-3_epochs-2', 'k-3_epochs-3']);
    const last = cells[5]!;
    if (isInvalid(last)) throw new Error(last.error);
    expect([last.config.sae.k, last.config.sae.epochs, last.config.name]).toEqual([3, 3, 'test/k-3_epochs-3']);
    expect(Object.keys(last.config.tasks)).toEqual(['copy', 'modular', 'synthetic']);
  });

  it('sets a task\'s own field, keeps a subset of tasks, and replaces the seeds', () => {
    const axes = { 'tasks.synthetic.sae.k': [2], tasks: [['copy', 'synthetic']], seeds: [[4, 5, 6]] };
    const [cell] = expandGrid(grid(axes), base);
    if (!cell || isInvalid(cell)) throw new Error('expected a valid cell');
    expect(cell.name).toBe('k-2_tasks-copy+synthetic_seeds-4+5+6');
    expect(Object.keys(cell.config.tasks)).toEqual(['copy', 'synthetic']);
    expect(cell.config.tasks.synthetic!.sae).toEqual({ variant: 'openai', k: 2 });
    expect(cell.config.seeds).toEqual([4, 5, 6]);
  });

  it('takes a list of blocks as the union of their products, and gives every cell the set overrides', () => {
    const g: Grid = { ...grid([{ 'sae.k': [2, 3], 'sae.expansion': [2] }, { 'sae.variant': ['husai', 'standard'] }]),
      set: { tasks: ['synthetic'], 'sae.epochs': 2 } };
    const cells = expandGrid(g, base);
    expect(cells.map((c) => c.name)).toEqual(['k-2_expansion-2', 'k-3_expansion-2', 'variant-husai',
      'variant-standard']);
    for (const c of cells) {
      if (isInvalid(c)) throw new Error(c.error);
      expect([Object.keys(c.config.tasks), c.config.sae.epochs]).toEqual([['synthetic'], 2]);
    }
    const [, second, third] = cells as { config: { sae: { k: number; variant: string; expansion: number } } }[];
    expect([second!.config.sae.k, second!.config.sae.expansion]).toEqual([3, 2]);
    expect([third!.config.sae.variant, third!.config.sae.k]).toEqual(['husai', (base.sae as { k: number }).k]);
    expect(axisValues(g)).toEqual({ 'sae.k': [2, 3], 'sae.expansion': [2], 'sae.variant': ['husai', 'standard'] });
    expect(axisPaths(g)).toEqual(['sae.k', 'sae.expansion', 'sae.variant']);
    expect(() => expandGrid({ ...g, set: { 'sae.width': 1 } }, base)).toThrow(/sweep axis 'sae.width'/);
    expect(() => expandGrid(grid([{ 'sae.k': [2] }, { 'sae.k': [2] }]), base))
      .toThrow(/two cells are both called 'k-2'/);
  });

  it('names a bad axis and what it may be, before any cell is built', () => {
    expect(() => expandGrid(grid({ 'model.k': [1] }), base)).toThrow(/sweep axis 'model.k': an axis is a path/);
    expect(() => expandGrid(grid({ 'sae.width': [1] }), base))
      .toThrow(/sweep axis 'sae.width': the SAE fields are sae.variant, sae.expansion, sae.k/);
    expect(() => expandGrid(grid({ 'tasks.sorting.p': [1] }), base))
      .toThrow("sweep axis 'tasks.sorting.p': the base config has no task 'sorting'; its tasks are copy, modular, "
        + 'synthetic');
    expect(() => expandGrid(grid({ tasks: [['copy', 'nope']] }), base).map((c) => {
      if (isInvalid(c)) throw new Error(c.error);
      return c;
    })).toThrow(/axis 'tasks': each value must be a list of the base config's task names/);
  });

  it('keeps a cell with an invalid value as invalid, naming the cell and the field, and builds the others', () => {
    const cells = expandGrid(grid({ 'sae.k': [4, 100] }), base);
    expect(cells.map(isInvalid)).toEqual([false, true]);
    const bad = cells[1]!;
    expect(isInvalid(bad) && bad.error)
      .toMatch(/config sweep test, cell k-100 is invalid:\n {2}sae\.k: k \(100\) must be <= d_sae/);
  });

  it('reads a grid file, resolving a base given as a path against the file', () => {
    const { grid: g, base: b } = loadGrid(join(import.meta.dirname, '../grids/smoke.json'));
    expect(g.name).toBe('smoke-sweep');
    expect(b.name).toBe('smoke');
  });
});

describe('sweep runner (smoke grid)', () => {
  const { grid: smokeGrid, base: smokeBase } = loadGrid(join(import.meta.dirname, '../grids/smoke.json'));
  const run = (out: string) => runSweep(smokeGrid, smokeBase,
    { out, backend: 'reference', workers: 1, reporter: quiet });

  it('runs every cell, shares the copy transformer, tabulates every pair and SAE, and resumes without retraining',
      async () => {
    const out = mkdtempSync(join(tmpdir(), 'saelab-sweep-'));
    const s = await run(out);
    expect(SweepSchema.parse(JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')))).toEqual(
      JSON.parse(JSON.stringify(s)));
    expect(s.cells.map((c) => [c.name, c.status])).toEqual([
      ['expansion-2_k-2_tasks-copy+synthetic', 'done'], ['expansion-2_k-3_tasks-copy+synthetic', 'done'],
      ['expansion-4_k-2_tasks-copy+synthetic', 'done'], ['expansion-4_k-3_tasks-copy+synthetic', 'done']]);
    // 4 cells x 2 tasks x (3 pairs + 3 SAEs)
    expect(s.rows).toHaveLength(48);
    const synthetic = s.rows.filter((r) => r.kind === 'synthetic' && r.level === 'sae');
    expect(synthetic.map((r) => [r.dSae, r.k])).toEqual([32, 32, 32, 32, 32, 32, 64, 64, 64, 64, 64, 64]
      .map((d, i) => [d, i % 6 < 3 ? 2 : 3]));
    expect(synthetic.every((r) => r.mmcs !== null && r.recovered90 !== null)).toBe(true);
    const cellResults = (c: string) => JSON.parse(readFileSync(join(out, 'cells', c, 'results.json'), 'utf8'));
    // Cells after the first adopt its copy transformer (same stage key); each pair row is its results.json's.
    expect(cellResults(s.cells[3]!.name).environment.reusedTransformers).toEqual(
      { copy: `../${s.cells[0]!.name}` });
    const pair = s.rows.find((r) => r.level === 'pair' && r.task === 'copy')!;
    expect(pair.pwmcc).toBe(cellResults(pair.cell).tasks[0].pwmcc.pairs[0].value);
    const csv = readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(49);
    expect(csv[0]!.startsWith('sae.expansion,tasks.synthetic.sae.k,tasks,cell,task,kind,')).toBe(true);
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8')).toBe(toCsv(Object.keys(smokeGrid.axes), s.rows));
    // The verdicts: the rules, and per cell and task the flags decided from its results.json.
    expect(s.verdicts.rules).toEqual(SWEEP_RULES);
    expect(s.verdicts.cells).toEqual(s.cells.flatMap((c) => sweepCellVerdicts(c.name, cellResults(c.name))));
    expect(s.verdicts.cells.map((v) => [v.task, v.recovers === null])).toEqual(
      Array(4).fill([['copy', true], ['synthetic', false]]).flat());
    // A sweep.json of schema 1 (no verdicts) upgrades in place to the file the sweep writes, from the cells' results.
    const written = readFileSync(join(out, 'sweep.json'), 'utf8');
    const { verdicts: _v, ...v1 } = JSON.parse(written) as Record<string, unknown>;
    writeFileSync(join(out, 'sweep.json'), JSON.stringify({ ...v1, schemaVersion: 1 }, null, 2));
    expect(await upgradeSweep(out)).toBe(1);
    expect(readFileSync(join(out, 'sweep.json'), 'utf8')).toBe(written);
    expect(await upgradeSweep(out)).toBe(2); // current: nothing to do
    // Started again, nothing is trained: every cell replays its stages, and the table is the same.
    const again = await run(out);
    expect([again.rows, again.verdicts]).toEqual([s.rows, s.verdicts]);
    for (const c of again.cells) {
      expect(cellResults(c.name).environment.replayedStages).toEqual(['transformers', 'saes']);
    }
  });

  it('records a cell whose config is invalid, with its error, and runs the others; reports the whole sweep\'s '
    + 'progress', async () => {
    const out = mkdtempSync(join(tmpdir(), 'saelab-sweep-'));
    const g = { ...smokeGrid, axes: { 'tasks.synthetic.sae.k': [3, 500], tasks: [['synthetic']] } };
    const events: string[] = [];
    const reporter: Reporter = { job: (id) => (id !== 'sweep' ? quiet.job(id) : {
      start: (_label, total) => events.push(`start ${total}`), update: (done) => events.push(`${done}`),
      finish: () => events.push('finish'),
    }) };
    const s = await runSweep(g, smokeBase, { out, backend: 'reference', workers: 1, reporter });
    // One valid cell of one task: its activations, 3 SAEs and its analysis.
    expect(events).toEqual(['start 5', '1', '2', '3', '4', '5', '5', 'finish']);
    expect(s.cells.map((c) => c.status)).toEqual(['done', 'failed']);
    expect(s.cells[1]!.error)
      .toMatch(/tasks\.synthetic\.sae\.k: k \(500\) must be <= d_sae \(64 = expansion 4 x d_in 16 of task synthetic/);
    expect(s.rows.every((r) => r.cell === s.cells[0]!.name)).toBe(true);
    expect(s.verdicts.cells.map((v) => v.cell)).toEqual([s.cells[0]!.name]); // none for the failed cell
  });
});
