/** The run page's side-by-side table points at the numbers of each task; it computes none of them. */
import { describe, expect, it } from 'vitest';
import { REPORTED } from '@saelab/experiments/fixture';
import { COMPARE_COLUMNS, type CompareCell } from '../src/lib/compare';
import { valueAt } from '../src/lib/refs';
import { SYNTHETIC } from './synthetic-fixture';

const column = (id: string) => COMPARE_COLUMNS.find((c) => c.id === id)!;
const paths = (cell: CompareCell) => (cell === null ? null : 'one' in cell ? [cell.one.path] : [cell.from.path,
  cell.to.path]);

describe('run comparison table', () => {
  it('shows recovery only for tasks with a truth, and each cell is the number at its path', () => {
    const synthetic = { name: 'synthetic', results: SYNTHETIC() };
    const husai = { name: 'husai', results: REPORTED() };
    expect(column('recovered').cell(husai, 0)).toBeNull();
    const cell = column('recovered').cell(synthetic, 1);
    expect(paths(cell)).toEqual([['tasks', 1, 'truth', 'mean', 'decoder', 'recovered90']]);
    expect(valueAt(synthetic.results, paths(cell)![0]!))
      .toBe(synthetic.results.tasks[1]!.truth!.mean.decoder.recovered90);
    expect(paths(column('pwmcc').cell(husai, 1))).toEqual([['tasks', 1, 'pwmcc', 'mean']]);
  });

  it('gives an SAE metric as the range over the SAEs, pointing at the smallest and the largest', () => {
    const results = SYNTHETIC();
    const saes = results.tasks[0]!.saes;
    saes.forEach((s, i) => { s.explainedVariance = [0.5, 0.9, 0.2, 0.7, 0.6][i]!; });
    const run = { name: 'synthetic', results };
    expect(paths(column('ev').cell(run, 0))).toEqual([['tasks', 0, 'saes', 2, 'explainedVariance'],
      ['tasks', 0, 'saes', 1, 'explainedVariance']]);
    saes.forEach((s) => { s.explainedVariance = 0.8; });
    expect(paths(column('ev').cell(run, 0))).toEqual([['tasks', 0, 'saes', 0, 'explainedVariance']]);
  });
});
