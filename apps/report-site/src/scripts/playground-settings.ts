/**
 * The playground's settings, kept in the page's query string so that a result can be shared:
 *   /playground/?d=32&features=128&samples=4096&seeds=0,1,2&arch=husai&k=4&dsae=128&epochs=8
 * Every field has a default; a bad value is an error naming the field and what it allows (the page shows it and
 * does not train). The limits keep a run to laptop sizes: it trains in the reader's browser.
 */
// The registry's own file: the package's index also brings the weight files' Node-only I/O.
import { saeArchitectureNames, type SaeArchitectureName } from '../../../../packages/models/src/sae/index.js';

export const BACKENDS = ['wasm', 'gpujs'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface PlaygroundSettings {
  backend: BackendName;
  /** The synthetic data: dimension d, N true features, samples, E[L0], the generator's seed. */
  d: number;
  features: number;
  samples: number;
  meanActive: number;
  dataSeed: number;
  /** One SAE per seed (2 to 5, distinct): the seed sets its initialisation and shuffle order. */
  seeds: number[];
  arch: SaeArchitectureName;
  k: number;
  /** Latents; a multiple of d (the study's SAEs have d_sae = expansion x d_in). */
  dSae: number;
  epochs: number;
  batchSize: number;
  lr: number;
}

export const DEFAULT_SETTINGS: PlaygroundSettings = {
  backend: 'wasm', d: 32, features: 64, samples: 4096, meanActive: 3, dataSeed: 0, seeds: [0, 1, 2],
  arch: 'husai', k: 4, dSae: 128, epochs: 20, batchSize: 128, lr: 0.01,
};

/** Query-string keys, in the order they are written. */
const KEYS = {
  backend: 'backend', d: 'd', features: 'features', samples: 'samples', meanActive: 'active', dataSeed: 'data',
  seeds: 'seeds', arch: 'arch', k: 'k', dSae: 'dsae', epochs: 'epochs', batchSize: 'batch', lr: 'lr',
} as const satisfies Record<keyof PlaygroundSettings, string>;

/** Inclusive ranges of the integer fields. */
const INT_RANGES: Partial<Record<keyof PlaygroundSettings, [number, number]>> = {
  d: [2, 128], features: [2, 512], samples: [64, 20_000], dataSeed: [0, 1_000_000], k: [1, 512], dSae: [2, 1024],
  epochs: [1, 50], batchSize: [8, 4096],
};

function parseInt(key: string, text: string, [lo, hi]: [number, number]): number {
  if (!/^\d+$/.test(text)) throw new Error(`${key} must be a whole number from ${lo} to ${hi} (got '${text}')`);
  const v = Number(text);
  if (v < lo || v > hi) throw new Error(`${key} must be from ${lo} to ${hi} (got ${v})`);
  return v;
}

function parseNumber(key: string, text: string, lo: number, hi: number): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= lo || v > hi) {
    throw new Error(`${key} must be a number greater than ${lo} and at most ${hi} (got '${text}')`);
  }
  return v;
}

/** The settings in a query string (`location.search`); missing keys take DEFAULT_SETTINGS. Throws on a bad value. */
export function parseSettings(query: string | URLSearchParams): PlaygroundSettings {
  const params = typeof query === 'string' ? new URLSearchParams(query) : query;
  const known = new Set<string>(Object.values(KEYS));
  const unknown = [...params.keys()].filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`unknown setting '${unknown[0]}': the settings are ${[...known].join(', ')}`);
  const s: PlaygroundSettings = { ...DEFAULT_SETTINGS, seeds: [...DEFAULT_SETTINGS.seeds] };
  for (const [field, key] of Object.entries(KEYS) as [keyof PlaygroundSettings, string][]) {
    const text = params.get(key);
    if (text === null) continue;
    const range = INT_RANGES[field];
    if (range) (s as unknown as Record<string, number>)[field] = parseInt(key, text, range);
  }
  const backend = params.get(KEYS.backend);
  if (backend !== null) {
    if (!(BACKENDS as readonly string[]).includes(backend)) {
      throw new Error(`backend must be one of ${BACKENDS.join(', ')} (got '${backend}')`);
    }
    s.backend = backend as BackendName;
  }
  const arch = params.get(KEYS.arch);
  if (arch !== null) {
    if (!(saeArchitectureNames as readonly string[]).includes(arch)) {
      throw new Error(`arch must be one of ${saeArchitectureNames.join(', ')} (got '${arch}')`);
    }
    s.arch = arch as SaeArchitectureName;
  }
  const seeds = params.get(KEYS.seeds);
  if (seeds !== null) s.seeds = seeds.split(',').map((t) => parseInt('each of seeds', t.trim(), [0, 1_000_000]));
  const active = params.get(KEYS.meanActive);
  if (active !== null) s.meanActive = parseNumber(KEYS.meanActive, active, 0, 512);
  const lr = params.get(KEYS.lr);
  if (lr !== null) s.lr = parseNumber(KEYS.lr, lr, 0, 1);
  checkSettings(s);
  return s;
}

/** The relations between fields that single values cannot break; throws naming the fields. */
export function checkSettings(s: PlaygroundSettings): void {
  if (s.seeds.length < 2 || s.seeds.length > 5) {
    throw new Error(`seeds must list 2 to 5 seeds, comma-separated (got ${s.seeds.length}): PWMCC compares seeds`);
  }
  if (new Set(s.seeds).size !== s.seeds.length) throw new Error(`seeds must not repeat a seed (got ${s.seeds})`);
  if (s.dSae % s.d !== 0) throw new Error(`dsae (${s.dSae}) must be a multiple of d (${s.d}): d_sae = expansion x d`);
  if (s.k > s.dSae) throw new Error(`k (${s.k}) must be at most dsae (${s.dSae})`);
  if (s.meanActive > s.features) throw new Error(`active (${s.meanActive}) must be at most features (${s.features})`);
  if (s.batchSize > s.samples) throw new Error(`batch (${s.batchSize}) must be at most samples (${s.samples})`);
}

/** The query string of `s` (without '?'), every field written, so a shared link does not depend on the defaults. */
export function settingsToQuery(s: PlaygroundSettings): string {
  const params = new URLSearchParams();
  for (const [field, key] of Object.entries(KEYS) as [keyof PlaygroundSettings, string][]) {
    const v = s[field];
    params.set(key, Array.isArray(v) ? v.join(',') : String(v));
  }
  return params.toString().replaceAll('%2C', ',');
}
