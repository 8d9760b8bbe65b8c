/**
 * The study trains on the `gpujs` backend: `saelab run --config smoke --backend gpujs` runs every stage
 * there (the pool runs gpujs jobs one at a time in the CLI's own thread, with `setBackend('gpujs')`), and
 * every loss it records tracks the `wasm` run's (the backend the published results come from).
 *
 * Runs where gpujs has a GL context: `runnableBackends()` lists it under an X display with headless-gl
 * built (this package's `npm test` starts an Xvfb when it can), and CI sets SAELAB_GPUJS_MODE=gpu, which
 * makes a missing context an error instead of a skip. Elsewhere it is skipped, and `npm test`'s summary
 * names it. The gpujs run itself gets SAELAB_GPUJS_MODE=gpu (unless another mode is asked for), so that
 * gpu.js cannot quietly fall back to its CPU mode: without a GL context the run fails.
 *
 * Two checks that it computed on gpujs at all: results.json names the backend, and the losses are not
 * bit-identical to wasm's (the backends sum in different float32 orders, and wasm's results do not
 * depend on its thread count, so a gpujs run that fell through to wasm would match it exactly).
 *
 * The tolerance: a relative 1e-4 on every recorded loss and 1e-4 absolute on PWMCC. The backends differ
 * by about 1e-7 relative per reduction; over the smoke run's Adam steps the measured gap was 1.5e-7 on
 * losses and 2.7e-9 on PWMCC (HeadlessGL on Mesa llvmpipe, 2026-12-03; the test prints its figures).
 * A wrong kernel or gradient moves these numbers by percent (an SAE's loss falls about 5% from its first
 * epoch to its second), not by 1e-4.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResults, type Results } from '@saelab/experiments';
import { runnableBackends } from '@saelab/tensor';

const root = resolve(import.meta.dirname, '../..');
const hasGpujs = (await runnableBackends()).includes('gpujs');

function smoke(backend: string, env: Record<string, string> = {}): Results {
  const out = mkdtempSync(join(tmpdir(), `saelab-${backend}-`));
  const args = ['saelab', 'run', '--config', 'smoke', '--backend', backend, '--out', out];
  const r = spawnSync('npx', args, { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain(`backend ${backend}`);
  return parseResults(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')), `${out}/results.json`);
}

const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe.runIf(hasGpujs)('the smoke preset on gpujs', () => {
  it('completes on gpujs, and its losses and PWMCC track the wasm run', () => {
    const gpu = smoke('gpujs', { SAELAB_GPUJS_MODE: process.env.SAELAB_GPUJS_MODE || 'gpu' });
    const cpu = smoke('wasm');
    expect(gpu.environment.backend).toBe('gpujs');
    expect(cpu.environment.backend).toBe('wasm');
    expect(gpu.tasks.map((t) => t.name)).toEqual(cpu.tasks.map((t) => t.name));
    let worstLoss = 0;
    let worstPwmcc = 0;
    for (const [i, g] of gpu.tasks.entries()) {
      const c = cpu.tasks[i]!;
      const gLoss = g.transformer?.trainLoss ?? []; // a generated task (synthetic) trains no transformer
      const cLoss = c.transformer?.trainLoss ?? [];
      expect(gLoss.length).toBe(cLoss.length);
      expect(g.saes.map((s) => s.lossCurve.length)).toEqual(c.saes.map((s) => s.lossCurve.length));
      // Every epoch's loss: the transformer's, and each SAE's (the last is the SAE's `loss`).
      const losses: [number, number][] = [
        ...gLoss.map((v, e) => [v, cLoss[e]!] as [number, number]),
        ...g.saes.flatMap((s, j) => s.lossCurve.map((v, e) => [v, c.saes[j]!.lossCurve[e]!] as [number, number])),
      ];
      for (const [a, b] of losses) worstLoss = Math.max(worstLoss, relDiff(a, b));
      worstPwmcc = Math.max(worstPwmcc, Math.abs(g.pwmcc.mean - c.pwmcc.mean));
      expect(g.saes.map((s) => s.l0)).toEqual(c.saes.map((s) => s.l0));
    }
    console.log(`gpujs vs wasm, smoke: worst relative loss gap ${worstLoss.toExponential(2)},`
      + ` worst PWMCC gap ${worstPwmcc.toExponential(2)}`);
    expect(worstLoss, 'gpujs gave the very floats wasm did: the gpujs run did not compute on gpujs').toBeGreaterThan(0);
    expect(worstLoss).toBeLessThan(1e-4);
    expect(worstPwmcc).toBeLessThan(1e-4);
  });
});
