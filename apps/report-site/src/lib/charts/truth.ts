/** Charts of a task with known features (the synthetic positive control): recovery of the truth against agreement. */
import * as Plot from '@observablehq/plot';
import type { TaskResult } from '@saelab/results';
import { f4, renderPlot, type Chart } from './dom.js';

/**
 * One dot per seed pair: its decoders' PWMCC (x) against the fraction of true features both SAEs recover at
 * |cos| >= 0.9 (y), with the untrained decoders' mean PWMCC (solid) and the analytic chance level (dashed) as rules.
 * Undefined for a task without a truth.
 */
export function recoveryChart(task: TaskResult): Chart | undefined {
  const truth = task.truth;
  if (!truth) return undefined;
  const dots = truth.pairs.map((p) => ({ pair: `${p.seedA}-${p.seedB}`, pwmcc: p.pwmcc, both: p.bothRecovered90 }));
  const untrained = task.randomBaseline.empirical.mean;
  const analytic = task.randomBaseline.analytic;
  const description = `Per seed pair, the PWMCC between the two decoders against the fraction of the ${truth.features} `
    + `true features both recover at |cos| >= 0.9: ${dots.map((d) => `seeds ${d.pair}: PWMCC ${f4(d.pwmcc)}, both `
      + `recover ${(100 * d.both).toFixed(1)}%`).join('; ')}. Untrained decoders (same seeds) agree at `
    + `${f4(untrained)}; `
    + `the analytic chance level is ${f4(analytic)}.`;
  return renderPlot(`Recovery of the true features against agreement, ${task.name}`, description, {
    width: 460, height: 300, marginLeft: 55, marginTop: 24,
    x: { domain: [0, 1], label: 'PWMCC between the pair\'s decoders', grid: true },
    y: { domain: [0, 1], label: 'true features both recover (|cos| ≥ 0.9)', grid: true, tickFormat: '%' },
    marks: [
      Plot.ruleX([untrained], { stroke: '#444', strokeWidth: 1.5 }),
      Plot.text([untrained], { x: (d) => d, text: () => `untrained ${f4(untrained)}`, frameAnchor: 'top',
        textAnchor: 'start', dx: 4, dy: 2, fontSize: 10, fill: '#444' }),
      Plot.ruleX([analytic], { stroke: '#444', strokeDasharray: '5,3' }),
      Plot.dot(dots, { x: 'pwmcc', y: 'both', stroke: 'steelblue', fill: 'steelblue', fillOpacity: 0.4, r: 5,
        title: (d) => `seeds ${d.pair}: PWMCC ${f4(d.pwmcc)}, both recover ${(100 * d.both).toFixed(1)}%` }),
    ],
  });
}
