/** Charts that compare runs: the headline PWMCC chart and trained-vs-random with bootstrap intervals. */
import * as Plot from '@observablehq/plot';
import { taskLabel, taskTitle, type Run } from '../run.js';
import { f4, renderPlot, type Chart } from './dom.js';

/**
 * The headline chart's facet of a task: its kind's title, the same task in every run (copy under husai and corrected
 * side by side); for a kind that some run holds several tasks of (one per SAE setting, as the synthetic config does),
 * the task's name, short enough to fit a facet.
 */
function facetOf(runs: readonly Run[]) {
  const repeated = new Set(runs.flatMap((r) => r.results.tasks.map((t) => t.kind)
    .filter((kind, i, all) => all.indexOf(kind) !== i)));
  return (t: Run['results']['tasks'][number]) => (repeated.has(t.kind) ? t.name : taskTitle(t.kind));
}

/** Mean PWMCC per task and protocol (bars), the pairwise values (dots), chance and stability (rules). */
export function headlineChart(runs: readonly Run[]): Chart {
  // The threshold the verdicts used (the same rule in every run the experiment wrote).
  const STABILITY_THRESHOLD = runs[0]?.results.verdicts.rules.stabilityThreshold ?? NaN;
  const configs = runs.map((r) => r.name);
  const facet = facetOf(runs);
  const tasks = [...new Set(runs.flatMap((r) => r.results.tasks.map(facet)))];
  const bars = runs.flatMap((r) => r.results.tasks.map((t) =>
    ({ config: r.name, task: facet(t), mean: t.pwmcc.mean })));
  const dots = runs.flatMap((r) => r.results.tasks.flatMap((t) =>
    t.pwmcc.pairs.map((p) => ({ config: r.name, task: facet(t), value: p.value }))));
  // One chance rule per task and value (the analytic baseline depends only on the dictionary size).
  const chance = [...new Map(runs.flatMap((r) => r.results.tasks.map((t) => {
    const row = { task: facet(t), analytic: t.randomBaseline.analytic };
    return [`${row.task}/${row.analytic}`, row] as const;
  }))).values()];
  const description = `Mean PWMCC across seed pairs, by task and protocol: `
    + `${bars.map((b) => `${b.task}, ${b.config}: ${f4(b.mean)}`).join('; ')}. Analytic random baseline: `
      + `${chance.map((c) => `${c.task} ${f4(c.analytic)}`).join('; ')}. Stability threshold ${STABILITY_THRESHOLD}.`;
  return renderPlot('Mean PWMCC per task and protocol', description, {
    width: 920, height: 360, marginTop: 30, marginBottom: 40,
    fx: { label: null, padding: 0.15, domain: tasks }, // tasks in the results' order, not alphabetical
    // The colour legend names the runs; a band per run in every facet leaves no room for their names below.
    x: { label: null, domain: configs, padding: 0.25, axis: null },
    y: { domain: [0, 1], label: 'PWMCC between seeds', grid: true },
    color: { domain: configs, legend: true },
    marks: [
      Plot.barY(bars, { fx: 'task', x: 'config', y: 'mean', fill: 'config', fillOpacity: 0.45,
        title: (d) => `${d.config}: mean ${f4(d.mean)}` }),
      Plot.dot(dots, { fx: 'task', x: 'config', y: 'value', stroke: 'config', r: 3, strokeWidth: 1.5,
        title: (d) => f4(d.value) }),
      Plot.ruleY(chance, { fx: 'task', y: 'analytic', stroke: '#444', strokeDasharray: '5,3' }),
      Plot.text(chance, { fx: 'task', y: 'analytic', text: () => 'random', frameAnchor: 'right', dy: -6, fontSize: 10,
        fill: '#444' }),
      Plot.ruleY([STABILITY_THRESHOLD], { stroke: '#b2182b', strokeWidth: 1.5 }),
      Plot.text([STABILITY_THRESHOLD], { y: (d) => d, text: () => `stable (${STABILITY_THRESHOLD.toFixed(2)})`,
        frameAnchor: 'left', dy: -6, fontSize: 10, fill: '#b2182b' }),
      Plot.ruleY([0]),
    ],
  });
}

/** Per task and protocol: trained PWMCC with its bootstrap 95% interval, beside the untrained decoders' mean. */
export function trainedVsRandomChart(runs: readonly Run[]): Chart {
  const rows = runs.flatMap((r) => r.results.tasks.map((t, i) => ({
    row: `${taskLabel(r, i)} / ${r.name}`, config: r.name,
    mean: t.bootstrap.mean, lo: t.bootstrap.ci95[0], hi: t.bootstrap.ci95[1], random: t.randomBaseline.empirical.mean,
  })));
  const description = rows.map((d) => `${d.row}: trained ${f4(d.mean)} (95% interval ${f4(d.lo)} to ${f4(d.hi)}), `
    + `untrained ${f4(d.random)}`).join('; ') + '.';
  return renderPlot('Trained PWMCC with bootstrap intervals against untrained decoders', description, {
    // Room for the longest row label (about 6 px a character at Plot's 10 px font).
    width: 640, height: 60 + 40 * rows.length, marginLeft: Math.max(170, ...rows.map((d) => 6 * d.row.length)),
    x: { label: 'PWMCC between seeds', grid: true, nice: true },
    y: { label: null, domain: rows.map((d) => d.row) },
    color: { domain: runs.map((r) => r.name) },
    marks: [
      Plot.ruleY(rows, { y: 'row', x1: 'lo', x2: 'hi', stroke: 'config', strokeWidth: 3 }),
      Plot.dot(rows, { y: 'row', x: 'mean', fill: 'config', r: 4, title: (d) => `trained ${f4(d.mean)}` }),
      Plot.tickX(rows, { y: 'row', x: 'random', stroke: '#444', strokeWidth: 2,
        title: (d) => `untrained ${f4(d.random)}` }),
    ],
  });
}
