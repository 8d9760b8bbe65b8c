/**
 * Training curves: the transformer's loss and validation accuracy, each SAE's loss, and each SAE
 * decoder's PWMCC with its own initialisation by epoch. Quantities with different units get
 * separate charts (Plot facets share one y scale).
 */
import * as Plot from '@observablehq/plot';
import type { TaskResult } from '@saelab/results';
import { f3, f4, renderPlot, type Chart } from './dom.js';

/** Whole-epoch ticks: at most about 8 of them, never 1.5. */
function epochTicks(epochs: number): number[] {
  const step = Math.max(1, Math.ceil(epochs / 8));
  return Array.from({ length: Math.floor((epochs - 1) / step) + 1 }, (_, i) => 1 + i * step);
}

const perEpoch = (values: readonly number[]) => values.map((value, i) => ({ epoch: i + 1, value }));
const first = (v: readonly number[]) => (v.length ? f3(v[0]!) : 'none');
const last = (v: readonly number[]) => (v.length ? f3(v[v.length - 1]!) : 'none');

/** One line per epoch (with markers when there are few epochs to see them). */
function curve(label: string, description: string, yLabel: string,
  rows: { epoch: number; value: number; series?: string }[],
  y: Plot.ScaleOptions = {}): Chart {
  const series = rows.some((r) => r.series);
  const epochs = Math.max(...rows.map((r) => r.epoch));
  return renderPlot(label, description, {
    width: 460, height: 240, marginLeft: 55,
    x: { label: 'epoch', grid: true, ticks: epochTicks(epochs), tickFormat: 'd' },
    y: { label: yLabel, grid: true, ...y },
    // Series in the order given (seed order), not sorted as strings.
    ...(series ? { color: { legend: true, domain: [...new Set(rows.map((r) => r.series))] } } : {}),
    marks: [
      Plot.lineY(rows, { x: 'epoch', y: 'value', stroke: series ? 'series' : 'steelblue', marker: epochs <= 40
        ? 'circle' : null }),
    ],
  });
}

/** The transformer's training loss by epoch (undefined for generated activations: no transformer). */
export function transformerLossChart(task: TaskResult): Chart | undefined {
  const tr = task.transformer;
  if (!tr) return undefined;
  const description = `The ${task.name} transformer's training loss over ${tr.epochs} epochs (budget ${tr.epochBudget}`
    + `${tr.stoppedEarly ? ', stopped early once validation accuracy held' : ''}): from ${first(tr.trainLoss)} to `
      + `${last(tr.trainLoss)}.`;
  return curve(`Transformer training loss, ${task.name}`, description, 'cross-entropy', perEpoch(tr.trainLoss));
}

/** The transformer's validation accuracy (whole answer right) by epoch (undefined without a transformer). */
export function transformerAccuracyChart(task: TaskResult): Chart | undefined {
  const tr = task.transformer;
  if (!tr) return undefined;
  const description = `The ${task.name} transformer's validation accuracy by epoch: from ${first(tr.valAccuracyCurve)} `
    + `to ${last(tr.valAccuracyCurve)}.`;
  return curve(`Transformer validation accuracy, ${task.name}`, description, 'accuracy', perEpoch(tr.valAccuracyCurve),
    { domain: [0, 1] });
}

/** Each SAE's training loss by epoch. */
export function saeLossChart(task: TaskResult): Chart {
  const rows = task.saes.flatMap((s) => perEpoch(s.lossCurve).map((d) => ({ ...d, series: `seed ${s.seed}` })));
  const description = `Training loss of each SAE by epoch; final: `
    + `${task.saes.map((s) => `seed ${s.seed} ${f3(s.loss)}`).join(', ')}.`;
  return curve(`SAE training loss, ${task.name}`, description, 'loss', rows);
}

/** Each SAE decoder's PWMCC with its own initial decoder by epoch: near 1 means it barely moved. */
export function trainedVsInitChart(task: TaskResult): Chart {
  const rows = task.saes.flatMap((s) => perEpoch(s.trainedVsInitCurve)
    .map((d) => ({ ...d, series: `seed ${s.seed}` })));
  const description = `PWMCC of each SAE's decoder with its own initial decoder, by epoch (1 = unchanged); final: `
    + `${task.saes.map((s) => `seed ${s.seed} ${f4(s.trainedVsInit)}`).join(', ')}.`;
  return curve(`Decoder drift from initialisation, ${task.name}`, description, 'PWMCC with own init', rows,
    { domain: [0, 1] });
}

/** Mean cross-seed PWMCC of the decoders by epoch (0: untrained), in the full space and within the data's span. */
export function pwmccCurveChart(task: TaskResult): Chart | undefined {
  const c = task.pwmccCurve;
  if (!c) return undefined;
  const span = `top ${c.m} directions`;
  const rows = [...c.full.map((value, epoch) => ({ epoch, value, series: 'full space' })),
    ...c.subspace.map((value, epoch) => ({ epoch, value, series: span }))];
  const description = `Mean PWMCC between the decoders of different seeds after each epoch (epoch 0: untrained), in `
    + `the full space (${f4(c.full[0]!)} untrained, ${last(c.full)} at the end) and within the activations' ${span} `
    + `(${f4(c.subspace[0]!)} untrained, ${last(c.subspace)} at the end).`;
  return curve(`Cross-seed PWMCC by epoch, ${task.name}`, description, 'mean PWMCC', rows, { domain: [0, 1] });
}
