import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults, type Results } from '@saelab/results';
import { loadConfig } from '../src/config/load.js';
import { runExperiment } from '../src/run/pipeline.js';
import type { Reporter } from '../src/run/pool.js';
import { upgradeResults } from '../src/run/upgrade.js';
import { computeVerdicts } from '../src/verdicts/index.js';

const quiet: Reporter = { job: () => ({ start() {}, update() {}, finish() {} }) };

/** What schema 1 held of schema-2 results: without the verdicts, initShapes, encoderPwmcc and subspace. */
function downgrade(r: Results): Record<string, unknown> {
  const { verdicts: _, ...rest } = r;
  return { ...rest, schemaVersion: 1, tasks: r.tasks.map(({ encoderPwmcc: __, subspace: ___, pwmccCurve: _____,
      ...t }) => {
    const { initShapes: ____, ...randomBaseline } = t.randomBaseline;
    return { ...t, randomBaseline };
  }) };
}

/** A smoke run in a fresh folder (its weight files and transformers are what upgrade reads), and its results. */
let smokeRun: Promise<{ out: string; results: Results }> | undefined;
const ranSmoke = () => (smokeRun ??= (async () => {
  const out = mkdtempSync(join(tmpdir(), 'saelab-upgrade-'));
  // Schema 1 knew only transformer tasks: the smoke run without its synthetic task.
  const config = loadConfig('smoke');
  delete config.tasks.synthetic;
  const results = await runExperiment(config, { out, backend: 'reference', workers: 1, reporter: quiet });
  return { out, results };
})());

/** A copy of the smoke run's published files with a schema-1 results.json and manifest. */
async function v1File(): Promise<{ dir: string; v1: Record<string, unknown>; results: Results }> {
  const { out, results } = await ranSmoke();
  const dir = mkdtempSync(join(tmpdir(), 'saelab-upgrade-'));
  cpSync(out, dir, { recursive: true, filter: (src) => !src.includes('activations')
    && !src.endsWith('-init.safetensors') });
  const v1 = downgrade(results);
  writeFileSync(join(dir, 'results.json'), JSON.stringify(v1));
  writeFileSync(join(dir, '.work', 'run.json'), JSON.stringify({ config: 'smoke', schemaVersion: 1 }));
  return { dir, v1, results };
}

describe('saelab upgrade', () => {
  it('adds what schema 2 holds from the published files alone, as the pipeline computes it, keeps every number of '
    + 'schema 1, moves the manifest, and does nothing the second time', async () => {
    const { dir, v1, results } = await v1File();
    const read = () => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(() => parseResults(read(), 'x')).toThrow('Upgrade it in place with `npx saelab upgrade <its folder>`');
    expect(await upgradeResults(dir)).toBe(1);
    const v2 = parseResults(read(), 'x');
    // Bit for bit what the pipeline wrote (activations regenerated through the transformer, initial decoders from the
    // seeds).
    const { upgradedFrom, ...environment } = v2.environment;
    expect(upgradedFrom?.schemaVersion).toBe(1);
    // ...but for the cross-seed PWMCC curve, a training-time record (the decoders of every epoch) no upgrade can
    // recover, and so for the verdict read from it (agreementTrend: null without a curve).
    const { verdicts: _, ...measured } = { ...results, tasks: results.tasks.map(({ pwmccCurve: __, ...t }) => t) };
    const withoutCurves = { ...measured, verdicts: computeVerdicts(measured) };
    expect(withoutCurves.verdicts.tasks.map((t) => t.agreementTrend)).toEqual([null, null]);
    expect({ ...v2, environment }).toEqual(JSON.parse(JSON.stringify(withoutCurves)));
    expect(JSON.parse(JSON.stringify(downgrade({ ...v2, environment })))).toEqual(v1);
    expect(JSON.parse(readFileSync(join(dir, '.work', 'run.json'), 'utf8')))
      .toEqual({ config: 'smoke', schemaVersion: 2 });
    const once = readFileSync(join(dir, 'results.json'), 'utf8');
    expect(await upgradeResults(dir)).toBe(2);
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe(once);
  });

  it('decides the verdicts of a current file again with today\'s rules, keeping its numbers', async () => {
    const { out, results } = await ranSmoke();
    const dir = mkdtempSync(join(tmpdir(), 'saelab-upgrade-'));
    cpSync(out, dir, { recursive: true });
    const stale = JSON.parse(JSON.stringify(results)) as Results;
    // Written before that rule existed:
    for (const t of stale.verdicts.tasks) delete (t as Partial<typeof t>).agreementTrend;
    writeFileSync(join(dir, 'results.json'), JSON.stringify(stale));
    expect(() => parseResults(stale, 'x')).toThrow('agreementTrend');
    expect(await upgradeResults(dir)).toBe(2);
    const after = parseResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), 'x');
    expect(after).toEqual(JSON.parse(JSON.stringify(results)));
  });

  it('names the folder when there is nothing to upgrade, and leaves an invalid file as it was', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'saelab-upgrade-'));
    await expect(upgradeResults(empty)).rejects.toThrow(`${join(empty, 'results.json')}: cannot read it (ENOENT)`);
    const { dir } = await v1File();
    const bad = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    delete bad.tasks[0].pwmcc;
    writeFileSync(join(dir, 'results.json'), JSON.stringify(bad));
    await expect(upgradeResults(dir)).rejects.toThrow('tasks.0.pwmcc');
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))).toEqual(bad);
  });
});
