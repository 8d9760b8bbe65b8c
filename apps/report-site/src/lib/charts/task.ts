/** Charts of one task's seed comparison: the PWMCC heatmap, trained vs untrained pairs, matching. */
import * as Plot from '@observablehq/plot';
import type { TaskResult } from '@saelab/results';
import { f4, renderPlot, type Chart } from './dom.js';

const pairLabel = (p: { seedA: number; seedB: number }) => `${p.seedA}-${p.seedB}`;

/** The seeds x seeds PWMCC matrix as coloured cells with the value written in each. */
export function heatmapChart(task: TaskResult): Chart {
  const seeds = task.pwmcc.seeds.map(String);
  const cells = task.pwmcc.matrix.flatMap((row, i) => row.map((value, j) => ({ a: seeds[i]!, b: seeds[j]!, value })));
  const description = `PWMCC between the SAEs of ${seeds.length} seeds (${seeds.join(', ')}); 1 on the diagonal. `
    + task.pwmcc.pairs.map((p) => `seeds ${pairLabel(p)}: ${f4(p.value)}`).join('; ') + '.';
  const size = Math.max(240, 70 * seeds.length + 80);
  return renderPlot(`PWMCC matrix, ${task.name}`, description, {
    width: size, height: size - 20, marginLeft: 60, marginBottom: 50, padding: 0.04,
    x: { domain: seeds, label: 'seed', tickSize: 0 },
    y: { domain: seeds, label: 'seed', tickSize: 0 },
    // no ramp legend: it needs a canvas, and every cell shows its value
    color: { type: 'linear', domain: [0, 1], scheme: 'blues' },
    marks: [
      Plot.cell(cells, { x: 'a', y: 'b', fill: 'value', inset: 0.5 }),
      // 4 decimals: chance-level values differ in the fourth.
      Plot.text(cells, { x: 'a', y: 'b', text: (d) => f4(d.value), fill: (d) => (d.value > 0.6 ? 'white' : 'black'),
        fontSize: 11 }),
    ],
  });
}

/** The pairwise PWMCC of trained SAEs against that of their untrained decoders, with the analytic chance level. */
export function distributionChart(task: TaskResult): Chart {
  const trained = 'trained SAEs';
  const untrained = 'untrained (same seeds)';
  const dots = [
    ...task.pwmcc.pairs.map((p) => ({ group: trained, value: p.value, pair: pairLabel(p) })),
    ...task.randomBaseline.empirical.pairs.map((p) => ({ group: untrained, value: p.value, pair: pairLabel(p) })),
  ];
  const means = [{ group: trained, value: task.pwmcc.mean },
    { group: untrained, value: task.randomBaseline.empirical.mean }];
  const analytic = task.randomBaseline.analytic;
  const description = `The ${task.pwmcc.pairs.length} pairwise PWMCC values of the trained SAEs (mean `
    + `${f4(task.pwmcc.mean)}, from ${f4(task.pwmcc.min)} to ${f4(task.pwmcc.max)}) against those of their untrained `
    + `decoders (mean ${f4(task.randomBaseline.empirical.mean)}, from ${f4(task.randomBaseline.empirical.min)} to `
      + `${f4(task.randomBaseline.empirical.max)}); analytic chance level ${f4(analytic)}.`;
  return renderPlot(`Pairwise PWMCC against the random baseline, ${task.name}`, description, {
    width: 920, height: 170, marginLeft: 150, marginBottom: 40,
    x: { label: 'PWMCC between seeds', grid: true, nice: true },
    y: { label: null, domain: [trained, untrained] },
    marks: [
      Plot.ruleX([analytic], { stroke: '#444', strokeDasharray: '5,3' }),
      Plot.text([analytic], { x: (d) => d, text: () => `analytic chance ${f4(analytic)}`, frameAnchor: 'top', dy: -2,
        fontSize: 10, fill: '#444' }),
      Plot.tickX(means, { x: 'value', y: 'group', stroke: 'black', strokeWidth: 2 }),
      Plot.dot(dots, { x: 'value', y: 'group', stroke: (d) => d.group, r: 4,
        title: (d) => `seeds ${d.pair}: ${f4(d.value)}` }),
    ],
  });
}

/** Per seed pair after Hungarian one-to-one matching: one bar per pair, on [0, 1], with an optional reference rule. */
function pairBars(label: string, description: string, xLabel: string, rows: { pair: string; value: number }[],
    rule?: number): Chart {
  return renderPlot(label, description, {
    width: 460, height: 50 + 24 * rows.length, marginLeft: 70, marginRight: 20,
    x: { domain: [0, 1], label: xLabel, grid: true },
    y: { label: 'seeds', domain: rows.map((r) => r.pair) },
    marks: [
      Plot.barX(rows, { y: 'pair', x: 'value', fill: 'steelblue', title: (d) => `${d.pair}: ${f4(d.value)}` }),
      ...(rule === undefined ? [] : [Plot.ruleX([rule], { stroke: '#444', strokeDasharray: '5,3', strokeWidth: 1.5 })]),
      Plot.ruleX([0]),
    ],
  });
}

/** Mean matched decoder cosine per seed pair, with the same for the untrained decoders as a rule. */
export function matchedCosineChart(task: TaskResult): Chart {
  const m = task.matching;
  const rows = task.pwmcc.pairs.map((p, i) => ({ pair: pairLabel(p), value: m.meanMatchedCosine.values[i]! }));
  const description = `Mean decoder |cosine| of latents paired one to one (Hungarian), per seed pair: `
    + `${rows.map((r) => `${r.pair}: ${f4(r.value)}`).join('; ')}. Untrained decoders: `
      + `${f4(m.randomMeanMatchedCosine)}.`;
  return pairBars(`Mean matched cosine, ${task.name}`, description, 'mean matched |cosine|', rows,
    m.randomMeanMatchedCosine);
}

/** Fraction of latents whose one-to-one match exceeds the threshold on both encoder and decoder, per seed pair. */
export function sharedFractionChart(task: TaskResult): Chart {
  const m = task.matching;
  const rows = task.pwmcc.pairs.map((p, i) => ({ pair: pairLabel(p), value: m.sharedFraction.values[i]! }));
  const description = `Fraction of latents matched above ${m.threshold} on both encoder and decoder, per seed pair: `
    + `${rows.map((r) => `${r.pair}: ${(100 * r.value).toFixed(1)}%`).join('; ')}.`;
  return pairBars(`Shared latents, ${task.name}`, description, `fraction shared (> ${m.threshold})`, rows);
}

/**
 * The activations' PCA spectrum as the cumulative fraction of variance held by the first n
 * principal components, with a rule at the SAE's k (latents per sample) and the 99% level.
 */
export function spectrumChart(task: TaskResult): Chart {
  const { eigenvalues, componentsFor, participationRatio } = task.activations.spectrum;
  const total = eigenvalues.reduce((s, v) => s + v, 0);
  let acc = 0;
  const rows = eigenvalues.map((v, i) => ({ n: i + 1, fraction: total > 0 ? (acc += v) / total : 0 }));
  const k = task.saes[0]?.k;
  const description = `Cumulative fraction of the variance of the ${task.name} activations (dimension `
    + `${task.activations.dModel}) held by the first n principal components: 90% in ${componentsFor['0.9']}, 99% in `
    + `${componentsFor['0.99']}, 99.9% in ${componentsFor['0.999']}; participation ratio `
      + `${participationRatio.toFixed(2)}.${k === undefined ? '' : ` Each sample uses k = ${k} SAE latents.`}`;
  return renderPlot(`Variance held by the first principal components, ${task.name}`, description, {
    width: 460, height: 240, marginLeft: 50,
    x: { label: 'principal components', grid: true, domain: [0, eigenvalues.length] },
    y: { label: 'fraction of variance', grid: true, domain: [0, 1] },
    marks: [
      Plot.ruleY([0.99], { stroke: '#888', strokeDasharray: '2,3' }),
      ...(k === undefined ? [] : [
        Plot.ruleX([k], { stroke: '#b2182b', strokeWidth: 1.5 }),
        Plot.text([k], { x: (d) => d, text: () => `k = ${k}`, frameAnchor: 'bottom', textAnchor: 'start', dx: 4, dy: -4,
          fontSize: 10, fill: '#b2182b' }),
      ]),
      Plot.lineY(rows, { x: 'n', y: 'fraction', stroke: 'steelblue', strokeWidth: 2 }),
      Plot.dot(rows.filter((r) => r.n === componentsFor['0.99']), { x: 'n', y: 'fraction', fill: 'steelblue', r: 3,
        title: () => `99% of the variance in ${componentsFor['0.99']} components` }),
    ],
  });
}
