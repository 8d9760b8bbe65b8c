/**
 * The README's promise, end to end: `npx saelab run --config smoke` from the repository root, on
 * the default backend, produces a results.json that the schema accepts; bad input fails with a
 * clear message and a non-zero exit, without a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults } from '@saelab/experiments';

const root = resolve(import.meta.dirname, '../..');
const saelab = (...args: string[]) =>
  spawnSync('npx', ['saelab', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } });

describe('saelab command', () => {
  it('runs the smoke preset end to end on the default backend', () => {
    const out = mkdtempSync(join(tmpdir(), 'saelab-e2e-'));
    const r = saelab('run', '--config', 'smoke', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/backend wasm/);
    expect(r.stdout).toMatch(/copy: PWMCC \d\.\d{4}/);
    const results = parseResults(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')), 'results.json');
    expect(results.environment.backend).toBe('wasm');
    expect(results.tasks.map((t) => t.saes.length)).toEqual([3, 3, 3]);
    // The tiny synthetic task: no transformer, its SAEs scored against the true features it was generated from.
    expect(r.stdout).toMatch(/synthetic generated 600 x 16/);
    expect(r.stdout).toMatch(/synthetic: against 32 true features, decoder MMCS \d\.\d{4} \(chance \d\.\d{4}\)/);
  });

  it('explains bad input and exits non-zero without a stack trace', () => {
    const cases: [string[], RegExp][] = [
      [['run', '--config', 'nope'],
        /unknown config 'nope': choose one of architectures, corrected, corrected-long, corrected-wd1, husai, quick/],
      [['run', '--config', 'smoke', '--seeds', '1,x'], /--seeds '1,x' must be comma-separated non-negative integers/],
      [['run', '--config', 'smoke', '--backend', 'tpu'], /unknown backend 'tpu'/],
      [['run'], /--config is required/],
      [['sweep'], /--grid is required: one of smoke/],
      [['sweep', '--grid', 'nope'], /unknown grid 'nope': choose one of smoke, stability or pass a path/],
    ];
    for (const [args, message] of cases) {
      const r = saelab(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
