import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults } from '@saelab/results';
import { upgradeResults } from '../src/run/upgrade.js';
import { makeResults } from './fixture.js';

/** A schema-1 file: today's fixture without what version 2 added. */
function v1File(): { dir: string; v1: Record<string, unknown> } {
  const r = makeResults('husai', [{ kind: 'copy', pairs: Array(10).fill(0.3) }, { kind: 'modular', pairs: Array(10).fill(0.31) }]);
  const { verdicts: _, ...rest } = r;
  const v1 = { ...rest, schemaVersion: 1, tasks: r.tasks.map((t) => {
    const { initShapes: __, ...randomBaseline } = t.randomBaseline;
    return { ...t, randomBaseline };
  }) };
  const dir = mkdtempSync(join(tmpdir(), 'saelab-upgrade-'));
  mkdirSync(join(dir, '.work'));
  writeFileSync(join(dir, 'results.json'), JSON.stringify(v1));
  writeFileSync(join(dir, '.work', 'run.json'), JSON.stringify({ config: 'husai', schemaVersion: 1 }));
  return { dir, v1 };
}

describe('saelab upgrade', () => {
  it('adds what schema 2 holds, keeps every number of schema 1, moves the manifest, and does nothing the second time', async () => {
    const { dir, v1 } = v1File();
    const read = () => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(() => parseResults(read(), 'x')).toThrow('Upgrade it in place with `npx saelab upgrade <its folder>`');
    expect(await upgradeResults(dir)).toBe(1);
    const v2 = parseResults(read(), 'x');
    expect(v2.verdicts.tasks.map((t) => t.task)).toEqual(['copy', 'modular']);
    expect(v2.tasks[0]!.randomBaseline.initShapes.uniform.values).toHaveLength(10);
    expect(v2.tasks[0]!.randomBaseline.initShapes).toEqual(v2.tasks[1]!.randomBaseline.initShapes); // same dictionary size
    const { verdicts: _, ...rest } = v2;
    const back = { ...rest, schemaVersion: 1, environment: { ...rest.environment, upgradedFrom: undefined },
      tasks: rest.tasks.map((t) => ({ ...t, randomBaseline: { ...t.randomBaseline, initShapes: undefined } })) };
    expect(JSON.parse(JSON.stringify(back))).toEqual(v1);
    expect(JSON.parse(readFileSync(join(dir, '.work', 'run.json'), 'utf8'))).toEqual({ config: 'husai', schemaVersion: 2 });
    const once = readFileSync(join(dir, 'results.json'), 'utf8');
    expect(await upgradeResults(dir)).toBe(2);
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe(once);
  });

  it('names the folder when there is nothing to upgrade, and leaves an invalid file as it was', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'saelab-upgrade-'));
    await expect(upgradeResults(empty)).rejects.toThrow(`${join(empty, 'results.json')}: cannot read it (ENOENT)`);
    const { dir } = v1File();
    const bad = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    delete bad.tasks[0].pwmcc;
    writeFileSync(join(dir, 'results.json'), JSON.stringify(bad));
    await expect(upgradeResults(dir)).rejects.toThrow('tasks.0.pwmcc');
    expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))).toEqual(bad);
  });
});
