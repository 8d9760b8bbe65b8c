/**
 * What the Methods page says about configs: the main settings of each run side by side, and the
 * fields in which two configs differ ("what corrected changes"). The reasons come from each
 * config's own `notes`; this only lists the changed values.
 */
import type { Run } from './run.js';

export interface ConfigChange {
  /** Dotted path, e.g. tasks.modular.readAt. */
  path: string;
  a: unknown;
  b: unknown;
}

/** These describe a config rather than configure the run. */
const DESCRIPTIVE = new Set(['name', 'description', 'notes']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaf-level differences between configs a and b (arrays compared whole), in key order. */
export function diffConfigs(a: unknown, b: unknown, prefix = ''): ConfigChange[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .filter((k) => prefix !== '' || !DESCRIPTIVE.has(k));
    return keys.flatMap((k) => diffConfigs(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path: prefix, a, b }];
}

/** A config value as shown in a table cell ("not set" for a missing optional field). */
export function showValue(v: unknown): string {
  return v === undefined ? 'not set' : JSON.stringify(v);
}

type Config = Run['results']['config'];

/** One row of the settings table: a label and its value in each run. */
export interface SettingRow {
  label: string;
  values: string[];
}

/** A config field by its keys, or undefined (configs pass through results.json as the experiment wrote them). */
function field(root: unknown, ...keys: string[]): unknown {
  let node = root;
  for (const k of keys) node = isObject(node) ? node[k] : undefined;
  return node;
}

/** A task's own settings: its scalar fields, e.g. "copy: vocab 20, length 10" or "modular: p 113, readAt equals". */
const taskSettings = (t: Record<string, unknown>) => Object.entries(t)
  .filter(([k, v]) => k !== 'kind' && (typeof v === 'number' || typeof v === 'string')
    && !/seed|fraction|examples/i.test(k))
  .map(([k, v]) => `${k} ${String(v)}`).join(', ');

const ROWS: [string, (c: Config) => string][] = [
  ['SAE seeds', (c) => c.seeds.join(', ')],
  ['SAE variant', (c) => c.sae.variant],
  ['SAE k, expansion', (c) => `k ${c.sae.k}, ${String(c.sae.expansion)}x`],
  ['SAE training', (c) => `${String(c.sae.epochs)} epochs, Adam lr ${String(c.sae.lr)}, batch `
    + `${String(c.sae.batchSize)}`],
  ['Tasks', (c) => Object.entries(c.tasks).map(([name, t]) => `${name} (${t.kind}: ${taskSettings(t)})`).join('; ')],
  ['Transformers', (c) => Object.entries(c.tasks).filter(([, t]) => isObject(t.transformer)).map(([name, t]) => {
    const m = (k: string) => field(t, 'transformer', k);
    const wd = m('weightDecay') ? ` wd ${String(m('weightDecay'))}` : '';
    return `${name}: ${String(m('nLayers'))} layers, d_model ${String(m('dModel'))}, ${String(m('optimizer'))} lr `
      + `${String(m('lr'))}${wd}, ${String(m('epochs'))} epochs${m('stopWhen') ? ' (budget)' : ''}`;
  }).join('; ') || 'none (generated activations)'],
  // A task without a transformer (the synthetic positive control) has generated activations, read nowhere.
  ['Activation site', (c) => [...new Set(Object.values(c.tasks).map((t) => (isObject(t.transformer)
    ? field(t, 'activations', 'hook') : 'generated (no transformer)')).filter(Boolean))].join(', ')],
  ['Per-task SAE settings', (c) => Object.entries(c.tasks).filter(([, t]) => isObject(t.sae))
    .map(([name, t]) => `${name}: ${Object.entries(t.sae as Record<string, unknown>)
      .map(([k, v]) => `${k} ${String(v)}`).join(', ')}`).join('; ') || 'none (every task uses the run\'s SAE)'],
  ['Bootstrap, shared threshold', (c) => `${String(c.analysis.bootstrapIterations)} resamples; `
    + `${c.analysis.sharedThreshold}`],
];

/** The main settings of each run, as table rows. */
export function settings(runs: readonly Run[]): SettingRow[] {
  return ROWS.map(([label, show]) => ({ label, values: runs.map((r) => show(r.results.config)) }));
}
