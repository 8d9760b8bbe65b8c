/**
 * The run page's side-by-side table: for every task of a run, where each column's number sits in results.json.
 * Nothing is computed: per-SAE metrics are shown as their range over the SAEs, by pointing at the SAE with the
 * smallest and the one with the largest value.
 */
import { spanLevel } from '@saelab/results';
import type { NumberStyle } from './format.js';
import type { NumRef } from './refs.js';
import type { Run } from './run.js';
import { saeRange, taskRef } from './summary.js';

/** One cell of the table: a number, a range of two, or nothing (a task without that measurement). */
export type CompareCell = { one: NumRef } | { from: NumRef; to: NumRef } | null;

export interface CompareColumn {
  id: string;
  label: string;
  /** What the column holds, for the table's caption and the column's title. */
  title: string;
  cell(run: Run, t: number): CompareCell;
}

const one = (run: Run, t: number, path: (string | number)[], style: NumberStyle): CompareCell =>
  ({ one: taskRef(run, t)(path, style) });

/** The range of an SAE metric over a task's SAEs (summary.ts's saeRange); one number where they are all equal. */
function range(run: Run, t: number, field: 'l0' | 'explainedVariance' | 'deadFraction',
    style: NumberStyle): CompareCell {
  const saes = run.results.tasks[t]!.saes;
  if (saes.length === 0) return null;
  const [lo, hi] = saeRange(run.results.tasks[t]!, field);
  const at = (i: number): NumRef => taskRef(run, t)(['saes', i, field], style);
  return saes[lo]![field] === saes[hi]![field] ? { one: at(lo) } : { from: at(lo), to: at(hi) };
}

const col = (id: string, label: string, title: string, cell: CompareColumn['cell']): CompareColumn =>
  ({ id, label, title, cell });
const truthOf = (r: Run, t: number, field: 'recovered90' | 'mmcs', style: NumberStyle): CompareCell =>
  (r.results.tasks[t]!.truth ? one(r, t, ['truth', 'mean', 'decoder', field], style) : null);
const span = (r: Run, t: number, which: 'decoder' | 'untrained'): CompareCell =>
  one(r, t, ['subspace', spanLevel(r.results.tasks[t]!), which, 'mean'], 'pwmcc');

export const COMPARE_COLUMNS: CompareColumn[] = [
  col('pwmcc', 'PWMCC', 'mean PWMCC over the seed pairs', (r, t) => one(r, t, ['pwmcc', 'mean'], 'pwmcc')),
  col('untrained', 'untrained', 'the same seeds\' untrained decoders',
    (r, t) => one(r, t, ['randomBaseline', 'empirical', 'mean'], 'pwmcc')),
  col('chance', 'chance', 'the analytic chance level', (r, t) => one(r, t, ['randomBaseline', 'analytic'], 'pwmcc')),
  col('subspace', 'in span', 'PWMCC within the principal directions holding 99% of the variance',
    (r, t) => span(r, t, 'decoder')),
  col('subspace-untrained', 'untrained in span', 'the untrained decoders projected the same way',
    (r, t) => span(r, t, 'untrained')),
  col('recovered', 'recovered', 'true features recovered at |cos| >= 0.9 (mean over SAEs)',
    (r, t) => truthOf(r, t, 'recovered90', 'percent')),
  col('mmcs', 'MMCS', 'decoder MMCS against the true features (mean over SAEs)',
    (r, t) => truthOf(r, t, 'mmcs', 'pwmcc')),
  col('l0', 'L0', 'active latents per sample (range over SAEs)', (r, t) => range(r, t, 'l0', 'fixed2')),
  col('ev', 'EV', 'explained variance (range over SAEs)', (r, t) => range(r, t, 'explainedVariance', 'ev')),
  col('dead', 'dead', 'dead latents (range over SAEs)', (r, t) => range(r, t, 'deadFraction', 'percent')),
];
