/**
 * A sweep's cells as the sweep page shows them: per cell, the numbers its results.json holds (PWMCC full and in the
 * 99%-variance subspace with their chance levels, Hungarian matching, recovery of the true features) and the means of
 * its SAEs' EV, L0 and dead fraction over seeds; which cells form the size x k x budget grid and which compare
 * architectures at one setting; and the findings, as sentences written from those numbers and from the verdicts the
 * sweep wrote into sweep.json (which cells recover the truth, agree without recovering it, and so on, with the
 * thresholds it used). It decides nothing: every flag and threshold it words is sweep.json's.
 */
import { spanLevel, type Results, type SweepCellVerdict, type SweepRules } from '@saelab/results';
import { formatNumber, listInWords } from './format.js';
import type { LoadedSweep } from './sweeps.js';

export interface CellSummary {
  name: string;
  /** The architecture and any axis beyond size, k and budget (e.g. "jumprelu, initThreshold 0.3"). */
  label: string;
  variant: string;
  task: string;
  dSae: number;
  k: number;
  epochs: number;
  seeds: number;
  pwmcc: number;
  untrained: number;
  chance: number;
  subspace: number | null;
  subspaceUntrained: number | null;
  subspaceChance: number | null;
  /** Principal directions holding 99% of the variance (the subspace's dimension). */
  m: number | null;
  matched: number;
  shared: number;
  /** Mean over SAEs of the fraction of true features some latent matches at |cos| >= 0.9 (null: no truth). */
  recovered90: number | null;
  recovered99: number | null;
  /** Mean over pairs of the fraction of true features both SAEs recover at 0.9. */
  bothRecovered90: number | null;
  features: number | null;
  ev: number;
  l0: number;
  dead: number;
  durationMs: number;
  /** What the sweep decided about this cell and task (sweep.json's verdicts.cells). */
  verdict: SweepCellVerdict;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const SHAPE_AXES = new Set(['sae.variant', 'sae.expansion', 'sae.k', 'sae.epochs', 'seeds', 'tasks']);

/** The axis values that set a cell apart beyond architecture, size, k and budget (a threshold, a learning rate). */
function extraAxes(axes: Record<string, unknown>): string[] {
  const shapeOfTask = /^tasks\.[^.]+\.sae\.(k|expansion|variant)$/;
  return Object.entries(axes).filter(([p]) => !SHAPE_AXES.has(p) && !shapeOfTask.test(p))
    .map(([p, v]) => `${p.split('.').at(-1)} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
}

const labelOf = (variant: string, extra: string[]) => (extra.length ? `${variant} (${extra.join(', ')})` : variant);

/** One summary per task of every finished cell, in the sweep's cell order. */
export function cellSummaries(s: LoadedSweep): CellSummary[] {
  return s.sweep.cells.flatMap((cell) => {
    const r: Results | undefined = s.results.get(cell.name);
    if (!r) return [];
    return r.tasks.map((t) => {
      const verdict = s.sweep.verdicts.cells.find((v) => v.cell === cell.name && v.task === t.name);
      if (!verdict) {
        throw new Error(`${s.dir}/sweep.json has no verdict for cell ${cell.name}, task ${t.name}; regenerate it with `
          + `\`npx saelab sweep --grid ${s.name} --out ${s.dir}\`.`);
      }
      const level = t.subspace[spanLevel(t)];
      const sae = t.saes[0]!;
      const own = (r.config.tasks[t.name] as { sae?: { epochs?: number } } | undefined)?.sae?.epochs;
      const epochs = Number(own ?? r.config.sae.epochs);
      return {
        name: cell.name, label: labelOf(sae.variant, extraAxes(cell.axes)), variant: sae.variant, task: t.name,
        dSae: sae.dSae, k: sae.k, epochs, seeds: t.saes.length,
        pwmcc: t.pwmcc.mean, untrained: t.randomBaseline.empirical.mean, chance: t.randomBaseline.analytic,
        subspace: level?.decoder.mean ?? null, subspaceUntrained: level?.untrained.mean ?? null,
        subspaceChance: level?.analytic ?? null, m: level?.m ?? null,
        matched: t.matching.meanMatchedCosine.mean, shared: t.matching.sharedFraction.mean,
        recovered90: t.truth?.mean.decoder.recovered90 ?? null, recovered99: t.truth?.mean.decoder.recovered99 ?? null,
        bothRecovered90: t.truth ? mean(t.truth.pairs.map((p) => p.bothRecovered90)) : null,
        features: t.truth?.features ?? null,
        ev: mean(t.saes.map((x) => x.explainedVariance)), l0: mean(t.saes.map((x) => x.l0)),
        dead: mean(t.saes.map((x) => x.deadFraction)), durationMs: cell.durationMs, verdict,
      };
    });
  });
}

/** The grid of sizes, k and budgets: the cells of the architecture most cells train, without extra axes. */
export function gridCells(cells: CellSummary[]): CellSummary[] {
  const count = new Map<string, number>();
  for (const c of cells) count.set(c.label, (count.get(c.label) ?? 0) + 1);
  const main = [...count.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  const seen = new Set<string>();
  return cells.filter((c) => {
    const at = `${c.task}/${c.dSae}/${c.k}/${c.epochs}`;
    if (c.label !== main || seen.has(at)) return false;
    seen.add(at);
    return true;
  });
}

/**
 * The architecture comparison: the setting (task, d_sae, k, budget) that the most distinct labels share, if two or
 * more do, and one cell per label there, in the sweep's order.
 */
export function architectureCells(cells: CellSummary[]): CellSummary[] {
  const bySetting = new Map<string, CellSummary[]>();
  for (const c of cells) {
    const at = `${c.task}/${c.dSae}/${c.k}/${c.epochs}`;
    const list = bySetting.get(at) ?? [];
    if (!list.some((x) => x.label === c.label)) list.push(c);
    bySetting.set(at, list);
  }
  const best = [...bySetting.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  return best.length >= 2 ? best : [];
}

const p4 = (v: number) => formatNumber(v, 'pwmcc');
const pc = (v: number) => formatNumber(v, 'percent');
const verb = (n: number, one: string, many: string) => (n === 1 ? one : many);
const cellsOf = (n: number) => `${n} ${verb(n, 'cell', 'cells')}`;
const shape = (c: CellSummary) => `d_sae ${c.dSae}, k ${c.k}, ${c.epochs} epochs`;

/** A threshold as the findings quote it: a fraction as a whole percentage, a PWMCC as it is written. */
const share = (v: number) => `${Math.round(100 * v)}%`;

/** The findings of a sweep, each a sentence written from the cells' numbers, their verdicts and the sweep's rules. */
export function sweepFindings(cells: CellSummary[], rules: SweepRules): string[] {
  const out: string[] = [];
  const grid = gridCells(cells);
  const above = cells.filter((c) => c.verdict.aboveUntrained);
  out.push(`${above.length} of ${cells.length} cells agree above their untrained decoders (mean PWMCC over seed pairs `
    + 'against the same seeds\' initial decoders).');

  // Budget: per size and k, the shortest against the longest training.
  const groups = new Map<string, CellSummary[]>();
  for (const c of grid) {
    const at = `${c.task}/${c.dSae}/${c.k}`;
    groups.set(at, [...(groups.get(at) ?? []), c]);
  }
  const budgets = [...groups.values()].filter((g) => new Set(g.map((c) => c.epochs)).size >= 2)
    .map((g) => { const s = [...g].sort((a, b) => a.epochs - b.epochs); return [s[0]!, s.at(-1)!] as const; });
  if (budgets.length > 0) {
    const rose = budgets.filter(([a, b]) => b.pwmcc > a.pwmcc);
    const [lo, hi] = [budgets[0]![0].epochs, budgets[0]![1].epochs];
    const biggest = [...budgets].sort((x, y) => (y[1].pwmcc - y[0].pwmcc) - (x[1].pwmcc - x[0].pwmcc))[0]!;
    out.push(`Longer training raised agreement in ${rose.length} of ${budgets.length} settings of size and k (from `
      + `${lo} to ${hi} epochs); the largest rise, at d_sae ${biggest[0].dSae} and k ${biggest[0].k}, took PWMCC from `
      + `${p4(biggest[0].pwmcc)} to ${p4(biggest[1].pwmcc)}.`);
  }

  // Size: at the longest budget, which dictionary agrees most and which recovers most, per k.
  const longest = Math.max(...grid.map((c) => c.epochs));
  const atLongest = grid.filter((c) => c.epochs === longest);
  const ks = [...new Set(atLongest.map((c) => c.k))].sort((a, b) => a - b);
  if (new Set(atLongest.map((c) => c.dSae)).size >= 2) {
    const top = (k: number, f: (c: CellSummary) => number | null) => atLongest.filter((c) => c.k === k)
      .sort((a, b) => (f(b) ?? -1) - (f(a) ?? -1))[0]!;
    out.push(`At ${longest} epochs, PWMCC is highest at ${listInWords(ks.map((k) => {
      const c = top(k, (x) => x.pwmcc);
      return `d_sae ${c.dSae} for k ${k} (${p4(c.pwmcc)})`;
    }))}.`);
    if (atLongest.some((c) => c.recovered90 !== null)) {
      out.push(`Recovery of the true features at |cos| >= 0.9 is highest at ${listInWords(ks.map((k) => {
        const c = top(k, (x) => x.recovered90);
        return `d_sae ${c.dSae} for k ${k} (${pc(c.recovered90!)})`;
      }))}.`);
    }
  }

  // Recovery without agreement: the truth is found, yet the seeds' dictionaries read as far from identical.
  const found = cells.filter((c) => c.verdict.recovers === true);
  const foundLow = found.filter((c) => c.verdict.recoversWithoutAgreement).sort((a, b) => a.pwmcc - b.pwmcc);
  if (found.length > 0) {
    const worst = foundLow[0];
    out.push(`${cellsOf(found.length)} ${verb(found.length, 'recovers', 'recover')} at least `
      + `${share(rules.recoveredMost)} of the true features; in ${foundLow.length} of them PWMCC is below `
      + `${rules.highAgreement}${worst ? ` (lowest: ${shape(worst)}, PWMCC `
        + `${p4(worst.pwmcc)}, dead latents ${pc(worst.dead)})` : ''}.`);
  }

  // Agreement without recovery: the seeds agree, on something other than the truth (or on part of it).
  const agreeing = cells.filter((c) => c.verdict.agreesWithoutRecovery).sort((a, b) => b.pwmcc - a.pwmcc);
  const top = agreeing[0];
  if (top) {
    const small = agreeing.filter((c) => c.verdict.fewerLatentsThanFeatures);
    const sizes = listInWords([...new Set(small.map((c) => String(c.dSae)))]);
    const most = listInWords([...new Set(small.map((c) => pc(c.dSae / c.features!)))]);
    out.push(`${cellsOf(agreeing.length)} ${verb(agreeing.length, 'agrees', 'agree')} at PWMCC `
      + `${rules.highAgreement} or more yet ${verb(agreeing.length, 'recovers', 'recover')} under `
      + `${share(rules.recoveredLow)} of the true features (highest: ${shape(top)}, PWMCC `
      + `${p4(top.pwmcc)}, recovering ${pc(top.recovered90!)})`
      + (small.length ? `; ${small.length} of them ${verb(small.length, 'has', 'have')} fewer latents than true `
        + `features (d_sae ${sizes} < ${small[0]!.features}), so ${verb(small.length, 'it', 'they')} can hold at most `
        + `${most} of the features` : '') + '.');
  }

  // Architectures at one setting.
  const arch = architectureCells(cells);
  if (arch.length > 0) {
    const order = [...arch].sort((a, b) => b.pwmcc - a.pwmcc);
    out.push(`At ${shape(arch[0]!)}, the architectures rank by PWMCC: ${listInWords(order.map((c) => `${c.label} `
      + `${p4(c.pwmcc)} (${c.recovered90 !== null ? `recovers ${pc(c.recovered90)}, ` : ''}L0 `
      + `${formatNumber(c.l0, 'fixed2')}, EV ${formatNumber(c.ev, 'fixed3')})`))}.`);
  }
  return out;
}
