import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuns, publishedFiles, resolveResultsDir } from '../src/lib/results.js';
import { makeResults } from '@saelab/experiments/fixture';

const folder = () => mkdtempSync(join(tmpdir(), 'site-results-'));
function write(dir: string, name: string, value: unknown) {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'results.json'), typeof value === 'string' ? value : JSON.stringify(value));
}
const copy = { kind: 'copy' as const, pairs: Array(10).fill(0.3) };

describe('loading results', () => {
  it('reads every <config>/results.json, husai and corrected first', () => {
    const dir = folder();
    for (const name of ['zeta', 'corrected', 'husai']) write(dir, name, makeResults(name, [copy]));
    mkdirSync(join(dir, '.work'));
    expect(loadRuns(dir).map((r) => r.name)).toEqual(['husai', 'corrected', 'zeta']);
  });

  it('names the folder and the fix when there are no results', () => {
    const dir = folder();
    expect(() => loadRuns(dir)).toThrow(`results folder ${dir} holds no <config>/results.json. Generate results with `
      + `\`npx saelab run`);
    expect(() => loadRuns(join(dir, 'nope'))).toThrow(`results folder ${join(dir, 'nope')} does not exist`);
  });

  it('names the file and the field of an invalid results file', () => {
    const dir = folder();
    const bad = makeResults('husai', [copy]) as unknown as { tasks: { pwmcc: Record<string, unknown> }[] };
    delete bad.tasks[0]!.pwmcc.mean;
    write(dir, 'husai', bad);
    expect(() => loadRuns(dir))
      .toThrow(/husai\/results\.json is not a valid saelab results file[\s\S]*tasks\.0\.pwmcc\.mean/);
    write(dir, 'husai', '{ not json');
    expect(() => loadRuns(dir)).toThrow(/husai\/results\.json is not valid JSON/);
  });

  it('refuses a results file whose config does not match its folder', () => {
    const dir = folder();
    write(dir, 'corrected', makeResults('husai', [copy]));
    expect(() => loadRuns(dir)).toThrow(/holds config 'husai' but sits in a folder named 'corrected'/);
  });

  it('resolves SAELAB_RESULTS against the folder the command was typed in', () => {
    expect(resolveResultsDir({}, '/repo')).toBe('/repo/results');
    expect(resolveResultsDir({ SAELAB_RESULTS: '/abs' }, '/repo')).toBe('/abs');
    expect(resolveResultsDir({ SAELAB_RESULTS: 'out', INIT_CWD: '/home/me' }, '/repo')).toBe('/home/me/out');
  });

  it('publishes results.json, the transformer and each SAE\'s weights and cfg, never activations', () => {
    const files = publishedFiles({ name: 'husai', results: makeResults('husai', [copy]) });
    expect(files.slice(0, 4)).toEqual(['results.json', 'copy/transformer.safetensors', 'copy/sae-seed42.safetensors',
      'copy/sae-seed42.cfg.json']);
    expect(files).toHaveLength(2 + 2 * 5);
    expect(files.some((f) => f.includes('activations'))).toBe(false);
  });
});
