/** The sweep page's data: folders load or fail clearly; cells summarise their results; findings follow the numbers. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SWEEP_SCHEMA_VERSION, spanLevel, type Results, type Sweep, type SweepCellVerdict, type SweepRules,
} from '@saelab/results';
import { architectureChart, gridChart, METRICS } from '../src/lib/charts/sweep.js';
import { architectureCells, cellSummaries, gridCells, sweepFindings } from '../src/lib/sweep-summary.js';
import { loadSweep, loadSweeps } from '../src/lib/sweeps.js';
import { syntheticResults } from './synthetic-fixture.js';

interface CellSpec { name: string; variant?: string; dSae: number; epochs: number; pwmcc: number; recovered: number;
  axes?: Record<string, unknown>; verdict?: Partial<SweepCellVerdict> }

const RULES: SweepRules = { recoveredMost: 0.9, highAgreement: 0.9, recoveredLow: 0.5 };

/**
 * The verdict sweep.json holds for a cell: the flags as the experiment decides them (verdicts/sweep.ts, tested in
 * packages/experiments/test/sweep-verdicts.test.ts) at these rules, written out; `spec.verdict` overrides any flag.
 */
function verdictOf(c: CellSpec, rules: SweepRules): SweepCellVerdict {
  return { cell: c.name, task: 'synthetic', pwmcc: c.pwmcc, untrainedPwmcc: 0.3, recovered90: c.recovered,
    aboveUntrained: true, recovers: c.recovered >= rules.recoveredMost,
    recoversWithoutAgreement: c.recovered >= rules.recoveredMost && c.pwmcc < rules.highAgreement,
    agreesWithoutRecovery: c.pwmcc >= rules.highAgreement && c.recovered < rules.recoveredLow,
    fewerLatentsThanFeatures: c.dSae < 512, ...c.verdict };
}

/** One cell's results: a synthetic task at that shape and budget, every pair at `pwmcc`. */
function cellResults(c: CellSpec): Results {
  const r = syntheticResults(`fixture/${c.name}`, [{ name: 'synthetic', variant: c.variant ?? 'openai', dSae: c.dSae,
    k: 8, pairs: Array(10).fill(c.pwmcc), recovered: Array(5).fill(c.recovered), both: Array(10).fill(c.recovered) }]);
  return { ...r, config: { ...r.config, sae: { ...r.config.sae, epochs: c.epochs } } };
}

const SPECS: CellSpec[] = [
  { name: 'expansion-2_epochs-5', dSae: 256, epochs: 5, pwmcc: 0.4, recovered: 0.2 },
  { name: 'expansion-2_epochs-80', dSae: 256, epochs: 80, pwmcc: 0.8, recovered: 0.5 },
  { name: 'expansion-4_epochs-5', dSae: 512, epochs: 5, pwmcc: 0.5, recovered: 0.3 },
  { name: 'expansion-4_epochs-80', dSae: 512, epochs: 80, pwmcc: 0.95, recovered: 0.92 },
  { name: 'expansion-8_epochs-5', dSae: 1024, epochs: 5, pwmcc: 0.45, recovered: 0.5 },
  { name: 'expansion-8_epochs-80', dSae: 1024, epochs: 80, pwmcc: 0.7, recovered: 0.99 },
  { name: 'variant-husai', variant: 'husai', dSae: 512, epochs: 80, pwmcc: 0.3, recovered: 0 },
  { name: 'variant-jumprelu_initthreshold-0.3', variant: 'jumprelu', dSae: 512, epochs: 80, pwmcc: 0.6,
    recovered: 0.4, axes: { 'sae.initThreshold': 0.3 } },
];

/** A sweep folder on disk: sweep.json and each cell's results.json. */
function writeSweep(specs: CellSpec[], name = 'fixture', rules = RULES): string {
  const root = mkdtempSync(join(tmpdir(), 'saelab-site-sweep-'));
  const dir = join(root, name);
  const sweep: Sweep = {
    schemaVersion: SWEEP_SCHEMA_VERSION, name: 'fixture', description: 'a fixture', base: 'synthetic', axes: {},
    backend: 'wasm', startedAt: '2026-12-03T00:00:00Z', finishedAt: '2026-12-03T00:30:00Z', rows: [],
    cells: [...specs.map((c) => ({ name: c.name, dir: `cells/${c.name}`, axes: c.axes ?? {}, status: 'done' as const,
      durationMs: 1000 })), { name: 'k-600', dir: 'cells/k-600', axes: { 'sae.k': 600 }, status: 'failed',
      error: 'k (600) must be <= d_sae', durationMs: 0 }],
    verdicts: { rules, cells: specs.map((c) => verdictOf(c, rules)) },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify(sweep));
  for (const c of specs) {
    mkdirSync(join(dir, 'cells', c.name), { recursive: true });
    writeFileSync(join(dir, 'cells', c.name, 'results.json'), JSON.stringify(cellResults(c)));
  }
  return root;
}

describe('sweep folders', () => {
  it('loads every folder with a sweep.json, with the results of its finished cells', () => {
    const root = writeSweep(SPECS);
    mkdirSync(join(root, 'not-a-sweep'));
    const [s, ...rest] = loadSweeps(root);
    expect(rest).toEqual([]);
    expect([s!.name, s!.results.size, s!.sweep.cells.length]).toEqual(['fixture', SPECS.length, SPECS.length + 1]);
    expect(loadSweeps(join(root, 'missing'))).toEqual([]);
  });

  it('names the file and the fix for a finished cell without results, a misnamed folder, or bad JSON', () => {
    const root = writeSweep(SPECS);
    rmSync(join(root, 'fixture', 'cells', SPECS[2]!.name, 'results.json'));
    expect(() => loadSweep(join(root, 'fixture'), 'fixture'))
      .toThrow(/cell expansion-4_epochs-5 is done, but .*results\.json is missing; regenerate it with `npx saelab/);
    const other = writeSweep(SPECS, 'elsewhere');
    expect(() => loadSweeps(other)).toThrow(/holds sweep 'fixture' but sits in a folder named 'elsewhere'/);
    writeFileSync(join(other, 'elsewhere', 'sweep.json'), `{"schemaVersion": ${SWEEP_SCHEMA_VERSION}}`);
    expect(() => loadSweeps(other)).toThrow(/sweep\.json is not a valid sweep\.json:\n {2}name: /);
  });

  it('refuses a sweep.json of an older schema (no verdicts), naming the file and the commands that mend it', () => {
    const root = writeSweep(SPECS);
    const file = join(root, 'fixture', 'sweep.json');
    const { verdicts: _, ...old } = JSON.parse(readFileSync(file, 'utf8')) as Sweep;
    writeFileSync(file, JSON.stringify({ ...old, schemaVersion: 1 }));
    expect(() => loadSweeps(root)).toThrow(`${file} has sweep schema version 1, without the sweep's verdicts; this `
      + `reader needs version ${SWEEP_SCHEMA_VERSION}. Upgrade it in place with \`npx saelab upgrade `
      + `${join(root, 'fixture')}\` (from its cells' results.json; nothing is rerun), or regenerate it with \`npx `
      + `saelab sweep --grid fixture --out ${join(root, 'fixture')}\``);
    writeFileSync(file, JSON.stringify({ ...old, schemaVersion: SWEEP_SCHEMA_VERSION }));
    expect(() => loadSweeps(root)).toThrow(/sweep\.json is not a valid sweep\.json:\n {2}verdicts: /);
  });
});

describe('sweep summaries and findings', () => {
  const s = loadSweeps(writeSweep(SPECS))[0]!;
  const cells = cellSummaries(s);

  it('reads each cell\'s numbers from its results.json', () => {
    expect(cells.map((c) => c.name)).toEqual(SPECS.map((c) => c.name));
    for (const c of cells) {
      const t = s.results.get(c.name)!.tasks[0]!;
      const level = t.subspace[spanLevel(t)]!;
      expect([c.pwmcc, c.untrained, c.chance, c.subspace, c.subspaceChance, c.recovered90, c.dSae, c.k])
        .toEqual([t.pwmcc.mean, t.randomBaseline.empirical.mean, t.randomBaseline.analytic, level.decoder.mean,
          level.analytic, t.truth!.mean.decoder.recovered90, t.saes[0]!.dSae, t.saes[0]!.k]);
    }
    expect(cells.at(-1)!.label).toBe('jumprelu (initThreshold 0.3)');
    expect(cells.map((c) => c.epochs)).toEqual(SPECS.map((c) => c.epochs));
  });

  it('splits the size-by-budget grid from the architectures at their shared setting', () => {
    expect(gridCells(cells).map((c) => c.name)).toEqual(SPECS.slice(0, 6).map((c) => c.name));
    expect(architectureCells(cells).map((c) => c.label)).toEqual(['openai', 'husai', 'jumprelu (initThreshold 0.3)']);
  });

  it('writes findings from the numbers, and they change when the numbers do', () => {
    const text = sweepFindings(cells, RULES).join('\n');
    expect(text).toContain('8 of 8 cells agree above their untrained decoders');
    expect(text).toContain('Longer training raised agreement in 3 of 3 settings of size and k (from 5 to 80 epochs); '
      + 'the largest rise, at d_sae 512 and k 8, took PWMCC from 0.5000 to 0.9500.');
    expect(text).toContain('At 80 epochs, PWMCC is highest at d_sae 512 for k 8 (0.9500).');
    expect(text).toContain('Recovery of the true features at |cos| >= 0.9 is highest at d_sae 1024 for k 8 (99.0%).');
    expect(text).toContain('2 cells recover at least 90% of the true features; in 1 of them PWMCC is below 0.9 '
      + '(lowest: d_sae 1024, k 8, 80 epochs, PWMCC 0.7000');
    expect(text).toContain('the architectures rank by PWMCC: openai 0.9500 (recovers 92.0%');
    expect(text).not.toContain('yet recover under half');
    const small = cellSummaries(loadSweeps(writeSweep(SPECS.map((c) => (c.name === 'expansion-2_epochs-80'
      ? { ...c, pwmcc: 0.93, recovered: 0.45 } : c))))[0]!);
    expect(sweepFindings(small, RULES).join('\n')).toContain('1 cell agrees at PWMCC 0.9 or more yet recovers under '
      + '50% of the true features (highest: d_sae 256, k 8, 80 epochs, PWMCC 0.9300, recovering 45.0%); 1 of them has '
      + 'fewer latents than true features (d_sae 256 < 512), so it can hold at most 50.0% of the features.');
    const worse = cellSummaries(loadSweeps(writeSweep(SPECS.map((c) => (c.name === 'expansion-2_epochs-80'
      ? { ...c, pwmcc: 0.3 } : c))))[0]!);
    expect(sweepFindings(worse, RULES).join('\n')).toContain('Longer training raised agreement in 2 of 3 settings');
  });

  it('words the verdicts sweep.json holds and quotes its rules, deciding none itself', () => {
    // The numbers say one thing, the flags another: the findings follow the flags.
    const flagged = loadSweeps(writeSweep(SPECS.map((c) => (c.name === 'expansion-8_epochs-80'
      ? { ...c, verdict: { recovers: false, recoversWithoutAgreement: false } }
      : c.name === 'expansion-2_epochs-5' ? { ...c, verdict: { aboveUntrained: false, agreesWithoutRecovery: true,
        fewerLatentsThanFeatures: false } } : c))))[0]!;
    const cells = cellSummaries(flagged);
    expect(cells.find((c) => c.name === 'expansion-8_epochs-80')!.verdict.recovers).toBe(false);
    const text = sweepFindings(cells, RULES).join('\n');
    expect(text).toContain('7 of 8 cells agree above their untrained decoders');
    expect(text).toContain('1 cell recovers at least 90% of the true features; in 0 of them PWMCC is below 0.9.');
    expect(text).toContain('1 cell agrees at PWMCC 0.9 or more yet recovers under 50% of the true features (highest: '
      + 'd_sae 256, k 8, 5 epochs, PWMCC 0.4000, recovering 20.0%).');
    // Other rules: the sentences quote them, and the flags written at them.
    const rules = { recoveredMost: 0.95, highAgreement: 0.8, recoveredLow: 0.6 };
    const other = sweepFindings(cellSummaries(loadSweeps(writeSweep(SPECS, 'fixture', rules))[0]!), rules)
      .join('\n');
    expect(other).toContain('1 cell recovers at least 95% of the true features; in 1 of them PWMCC is below 0.8 '
      + '(lowest: d_sae 1024, k 8, 80 epochs, PWMCC 0.7000');
    expect(other).toContain('agrees at PWMCC 0.8 or more yet recovers under 60% of the true features (highest: '
      + 'd_sae 256, k 8, 80 epochs, PWMCC 0.8000, recovering 50.0%)');
  });

  it('names sweep.json and the fix when a finished cell has no verdict', () => {
    const s = loadSweeps(writeSweep(SPECS))[0]!;
    s.sweep.verdicts.cells.splice(1, 1);
    expect(() => cellSummaries(s))
      .toThrow(/sweep\.json has no verdict for cell expansion-2_epochs-80, task synthetic; regenerate it with `npx /);
  });

  it('draws each grid chart with every point and chance level in its text', () => {
    const chart = gridChart(gridCells(cells), METRICS.pwmcc, 'dSae')!;
    expect(chart.html).toContain('<svg');
    expect(chart.description).toContain('epochs 80, k 8, d_sae 512: 0.9500');
    expect(chart.description).toContain(`Analytic chance: epochs 5, d_sae 256: ${cells[0]!.chance.toFixed(4)}`);
    expect(gridChart(gridCells(cells), METRICS.recovered90, 'epochs')!.description)
      .toContain('d_sae 1024, k 8, epochs 80: 99.0%');
    expect(architectureChart(architectureCells(cells))!.description).toContain('husai: PWMCC 0.3000');
    expect(architectureChart([])).toBeUndefined();
  });
});
