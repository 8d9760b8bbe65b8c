/**
 * The sweep's tidy table: from each cell's results.json, one row per task and pair of seeds and one
 * per task and SAE (sweep.json's `rows`, @saelab/results' SweepRowSchema), and the same rows as CSV.
 */
import { SPAN_VARIANCE, type Results, type SweepRow } from '@saelab/results';

const EMPTY = {
  seedA: null, seedB: null, pwmcc: null, untrainedPwmcc: null, chance: null, subspacePwmcc: null,
  subspaceUntrained: null, subspaceChance: null, matchedCosine: null, sharedFraction: null, bothRecovered90: null,
  explainedVariance: null, l0: null, deadFraction: null, trainedVsInit: null, mmcs: null, recovered90: null,
  recovered99: null,
} satisfies Partial<SweepRow>;

/** The rows of one cell's results. */
export function cellRows(cell: string, axes: Record<string, unknown>, r: Results): SweepRow[] {
  return r.tasks.flatMap((t) => {
    const sae = t.saes[0]!;
    const cfgSae = { ...(r.config.sae as Record<string, unknown>),
      ...((r.config.tasks[t.name] as { sae?: Record<string, unknown> }).sae ?? {}) };
    const common = { cell, axes, task: t.name, kind: t.kind, variant: sae.variant, dSae: sae.dSae, k: sae.k,
      epochs: Number(cfgSae.epochs) };
    const level = t.subspace.find((l) => l.variance === SPAN_VARIANCE);
    const pairs = t.pwmcc.pairs.map((p, n): SweepRow => ({
      ...common, level: 'pair', ...EMPTY, seedA: p.seedA, seedB: p.seedB,
      pwmcc: p.value, untrainedPwmcc: t.randomBaseline.empirical.pairs[n]?.value ?? null,
      chance: t.randomBaseline.analytic,
      subspacePwmcc: level?.decoder.pairs[n]?.value ?? null,
      subspaceUntrained: level?.untrained.pairs[n]?.value ?? null,
      subspaceChance: level?.analytic ?? null,
      matchedCosine: t.matching.meanMatchedCosine.values[n] ?? null,
      sharedFraction: t.matching.sharedFraction.values[n] ?? null,
      bothRecovered90: t.truth?.pairs[n]?.bothRecovered90 ?? null,
    }));
    const saes = t.saes.map((s, n): SweepRow => {
      const truth = t.truth?.saes[n]?.decoder;
      return {
        ...common, level: 'sae', ...EMPTY, seedA: s.seed, chance: t.randomBaseline.analytic,
        explainedVariance: s.explainedVariance, l0: s.l0, deadFraction: s.deadFraction, trainedVsInit: s.trainedVsInit,
        mmcs: truth?.mmcs ?? null, recovered90: truth?.recovered90 ?? null, recovered99: truth?.recovered99 ?? null,
      };
    });
    return [...pairs, ...saes];
  });
}

const cellText = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** The rows as CSV (RFC 4180): one column per axis (its path), then the row's fields; empty where undefined. */
export function toCsv(axisPaths: string[], rows: SweepRow[]): string {
  const fields = Object.keys(rows[0] ?? {}).filter((f) => f !== 'axes') as (keyof SweepRow)[];
  const header = [...axisPaths, ...fields];
  const lines = rows.map((r) => [...axisPaths.map((p) => cellText(r.axes[p])), ...fields.map((f) => cellText(r[f]))]
    .join(','));
  return `${[header.map(cellText).join(','), ...lines].join('\n')}\n`;
}
