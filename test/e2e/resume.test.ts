/**
 * A run killed with SIGKILL (no chance to clean up) and started again with the same command ends
 * exactly where an uninterrupted run ends: every file is written atomically, every stage resumes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'node_modules/.bin/saelab');
const args = (out: string) => ['run', '--config', 'smoke', '--out', out, '--workers', '1'];
const results = (out: string) => {
  const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  delete r.environment;
  return r;
};

it('resumes after SIGKILL and matches an uninterrupted run', async () => {
  const killed = mkdtempSync(join(tmpdir(), 'saelab-kill-'));
  const clean = mkdtempSync(join(tmpdir(), 'saelab-clean-'));
  // Kill the run as soon as the first transformer has finished: the SAE stage has not started.
  await new Promise<void>((done, fail) => {
    const child = spawn(bin, args(killed), { cwd: root, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (/transformer: \d+ epochs/.test(stdout)) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) =>
      (signal === 'SIGKILL' ? done() : fail(new Error(`run was not killed:\n${stdout}`))));
  });
  expect(existsSync(join(killed, 'results.json'))).toBe(false);
  const again = spawnSync(bin, args(killed), { cwd: root, encoding: 'utf8' });
  expect(again.status, again.stderr).toBe(0);
  const reference = spawnSync(bin, args(clean), { cwd: root, encoding: 'utf8' });
  expect(reference.status, reference.stderr).toBe(0);
  expect(results(killed)).toEqual(results(clean));
});
