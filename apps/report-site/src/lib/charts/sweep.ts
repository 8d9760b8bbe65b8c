/**
 * A sweep's charts: agreement and recovery against dictionary size (one panel per budget, one line per k), against
 * budget (one panel per size), and the architectures side by side at one setting. Chance levels are drawn beside
 * the values they qualify: the analytic level (dashed) and the untrained decoders of the same seeds (dotted).
 */
import * as Plot from '@observablehq/plot';
import type { CellSummary } from '../sweep-summary.js';
import { f4, renderPlot, type Chart } from './dom.js';

/** A per-cell value the charts plot, with its chance levels where it has them. */
export interface Metric {
  key: 'pwmcc' | 'subspace' | 'recovered90';
  label: string;
  value: (c: CellSummary) => number | null;
  chance?: (c: CellSummary) => number | null;
  untrained?: (c: CellSummary) => number | null;
  percent?: boolean;
}

export const METRICS: Record<Metric['key'], Metric> = {
  pwmcc: { key: 'pwmcc', label: 'PWMCC (full space)', value: (c) => c.pwmcc, chance: (c) => c.chance,
    untrained: (c) => c.untrained },
  subspace: { key: 'subspace', label: 'PWMCC in the 99%-variance subspace', value: (c) => c.subspace,
    chance: (c) => c.subspaceChance, untrained: (c) => c.subspaceUntrained },
  recovered90: { key: 'recovered90', label: 'true features recovered (|cos| ≥ 0.9)', value: (c) => c.recovered90,
    percent: true },
};

const shown = (m: Metric, v: number) => (m.percent ? `${(100 * v).toFixed(1)}%` : f4(v));

type Point = { x: number; y: number; panel: number; k: string; what: string };

/**
 * `metric` against d_sae (x = 'dSae', panels by budget) or against budget (x = 'epochs', panels by d_sae), one line
 * per k. Undefined when no cell has the metric.
 */
export function gridChart(cells: CellSummary[], metric: Metric, x: 'dSae' | 'epochs'): Chart | undefined {
  const panelOf = (c: CellSummary) => (x === 'dSae' ? c.epochs : c.dSae);
  const points: Point[] = cells.flatMap((c) => {
    const y = metric.value(c);
    return y === null ? [] : [{ x: c[x], y, panel: panelOf(c), k: `k ${c.k}`, what: 'trained' }];
  });
  if (points.length === 0) return undefined;
  const level = (f: ((c: CellSummary) => number | null) | undefined, what: string) => {
    if (!f) return [];
    // One value per panel and x (chance depends on d_sae and the data, not on k): the first cell's there.
    const seen = new Map<string, Point>();
    for (const c of cells) {
      const y = f(c);
      const key = `${panelOf(c)}/${c[x]}`;
      if (y !== null && !seen.has(key)) seen.set(key, { x: c[x], y, panel: panelOf(c), k: '', what });
    }
    return [...seen.values()].sort((a, b) => a.panel - b.panel || a.x - b.x);
  };
  const chance = level(metric.chance, 'chance');
  const untrained = level(metric.untrained, 'untrained');
  const xName = x === 'dSae' ? 'd_sae' : 'epochs';
  const panelName = x === 'dSae' ? 'epochs' : 'd_sae';
  const panels = [...new Set(points.map((p) => p.panel))].sort((a, b) => a - b);
  const describe = (ps: Point[]) => ps
    .map((p) => `${panelName} ${p.panel}, ${p.k}, ${xName} ${p.x}: ${shown(metric, p.y)}`).join('; ');
  const description = `${metric.label} against ${xName}, one panel per ${panelName} (${panels.join(', ')}), one line `
    + `per k. ${describe(points)}.${chance.length ? ` Analytic chance: ${chance.map((p) => `${panelName} ${p.panel}, `
      + `${xName} ${p.x}: ${shown(metric, p.y)}`).join('; ')}.` : ''}${untrained.length ? ` Untrained decoders: `
      + `${untrained.map((p) => `${panelName} ${p.panel}, ${xName} ${p.x}: ${shown(metric, p.y)}`).join('; ')}.` : ''}`;
  const ks = [...new Set(points.map((p) => p.k))].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
  return renderPlot(`${metric.label} against ${xName}`, description, {
    width: Math.max(460, 80 + 280 * panels.length), height: 300, marginLeft: 55, marginRight: 30, marginBottom: 40,
    fx: { label: null, padding: 0.15, tickFormat: (v: number) => `${panelName} ${v}` },
    x: { type: 'log', base: 2, label: xName, ticks: [...new Set(points.map((p) => p.x))],
      tickFormat: (v: number) => String(v) },
    y: { domain: [0, 1], label: metric.label, grid: true, ...(metric.percent ? { tickFormat: '%' } : {}) },
    color: { legend: true, type: 'ordinal', scheme: 'tableau10', domain: ks },
    marks: [
      Plot.line(chance, { x: 'x', y: 'y', fx: 'panel', stroke: '#444', strokeDasharray: '5,3' }),
      Plot.line(untrained, { x: 'x', y: 'y', fx: 'panel', stroke: '#444', strokeDasharray: '1,3', strokeWidth: 1.5 }),
      Plot.line(points, { x: 'x', y: 'y', fx: 'panel', stroke: 'k', sort: 'x' }),
      Plot.dot(points, { x: 'x', y: 'y', fx: 'panel', fill: 'k', r: 3,
        title: (p: Point) => `${p.k}, ${xName} ${p.x}, ${panelName} ${p.panel}: ${shown(metric, p.y)}` }),
    ],
  });
}

/**
 * The architectures at one setting: per architecture, PWMCC (full and subspace) and recovery, with each PWMCC's
 * analytic chance as a tick. Undefined without cells.
 */
export function architectureChart(cells: CellSummary[]): Chart | undefined {
  if (cells.length === 0) return undefined;
  const rows = cells.flatMap((c) => (['pwmcc', 'subspace', 'recovered90'] as const).flatMap((key) => {
    const m = METRICS[key];
    const v = m.value(c);
    return v === null ? [] : [{ label: c.label, metric: m.label, v, chance: m.chance?.(c) ?? null }];
  }));
  const description = `Per architecture at d_sae ${cells[0]!.dSae}, k ${cells[0]!.k}, ${cells[0]!.epochs} epochs: `
    + cells.map((c) => `${c.label}: PWMCC ${f4(c.pwmcc)} (chance ${f4(c.chance)}), subspace PWMCC `
      + `${c.subspace === null ? 'none' : f4(c.subspace)} (chance ${c.subspaceChance === null ? 'none'
        : f4(c.subspaceChance)}), recovered ${c.recovered90 === null ? 'no truth'
        : `${(100 * c.recovered90).toFixed(1)}%`}`)
      .join('; ') + '.';
  return renderPlot('Architectures at one setting', description, {
    width: 640, height: 60 + 34 * cells.length, marginLeft: 190, marginRight: 20,
    x: { domain: [0, 1], label: 'value', grid: true },
    y: { label: null, domain: cells.map((c) => c.label) },
    color: { legend: true, type: 'ordinal', scheme: 'tableau10', domain: [...new Set(rows.map((r) => r.metric))] },
    marks: [
      Plot.tickX(rows.filter((r) => r.chance !== null), { x: 'chance', y: 'label', stroke: 'metric',
        strokeDasharray: '3,2' }),
      Plot.dot(rows, { x: 'v', y: 'label', fill: 'metric', r: 5,
        title: (r: (typeof rows)[number]) => `${r.label}, ${r.metric}: ${r.metric.startsWith('true') ? `${(100 * r.v)
          .toFixed(1)}%` : f4(r.v)}` }),
    ],
  });
}
