/** The sweep's verdicts: per cell and task, the flags its rules decide from the cell's numbers. */
import { describe, expect, it } from 'vitest';
import type { Results, Truth } from '@saelab/results';
import { SWEEP_RULES, sweepCellVerdicts, sweepVerdicts } from '../src/verdicts/index.js';
import { makeResults } from './fixture.js';

/** A cell of one copy task at mean PWMCC `pwmcc`; with `recovered`, a truth of `features` true features. */
function cell(pwmcc: number, recovered?: number, features = 512, dSae = 1024): Results {
  const r = makeResults('cell', [{ kind: 'copy', pairs: Array(10).fill(pwmcc) }]);
  const t = r.tasks[0]!;
  const truth = recovered === undefined ? undefined : { features,
    saes: t.saes.map((s) => ({ seed: s.seed, decoder: { recovered90: recovered } })),
    mean: { decoder: { recovered90: recovered } } } as unknown as Truth;
  // The means set exactly (a mean of ten equal values need not be that value), so the boundaries are tested.
  return { ...r, tasks: [{ ...t, pwmcc: { ...t.pwmcc, mean: pwmcc }, saes: t.saes.map((s) => ({ ...s, dSae })),
    randomBaseline: { ...t.randomBaseline, empirical: { ...t.randomBaseline.empirical, mean: 0.3 } },
    ...(truth ? { truth } : {}) }] };
}
const verdict = (...a: Parameters<typeof cell>) => sweepCellVerdicts('c', cell(...a))[0]!;

describe('sweep verdicts', () => {
  it('are written with their rules: recovery the per-run rule, agreement high at 0.9, recovery low under 0.5', () => {
    expect(sweepVerdicts([]).rules).toEqual({ recoveredMost: 0.9, highAgreement: 0.9, recoveredLow: 0.5 });
    expect(SWEEP_RULES.recoveredMost).toBe(0.9);
  });

  it('flag a cell that recovers the truth while its seeds\' PWMCC is below high agreement', () => {
    expect(verdict(0.8, 0.95)).toEqual({ cell: 'c', task: 'copy', pwmcc: 0.8, untrainedPwmcc: 0.3, recovered90: 0.95,
      aboveUntrained: true, recovers: true, recoversWithoutAgreement: true, agreesWithoutRecovery: false,
      fewerLatentsThanFeatures: false });
    expect(verdict(0.95, 0.95)).toMatchObject({ recovers: true, recoversWithoutAgreement: false });
    expect(verdict(0.8, 0.85)).toMatchObject({ recovers: false, recoversWithoutAgreement: false });
  });

  it('flag agreement without recovery, and a dictionary smaller than the truth', () => {
    expect(verdict(0.93, 0.45, 512, 256)).toMatchObject({ recovers: false, agreesWithoutRecovery: true,
      fewerLatentsThanFeatures: true });
    expect(verdict(0.93, 0.55)).toMatchObject({ agreesWithoutRecovery: false, fewerLatentsThanFeatures: false });
    expect(verdict(0.85, 0.1)).toMatchObject({ agreesWithoutRecovery: false });
  });

  it('take each threshold as inclusive where the rule says "at least"', () => {
    expect(verdict(0.9, 0.9)).toMatchObject({ recovers: true, recoversWithoutAgreement: false });
    expect(verdict(0.9, 0.5)).toMatchObject({ agreesWithoutRecovery: false });
    expect(verdict(0.9, 0.4999)).toMatchObject({ agreesWithoutRecovery: true });
  });

  it('leave every truth flag null on a task without a truth, and compare with the untrained decoders', () => {
    expect(verdict(0.25)).toMatchObject({ recovered90: null, aboveUntrained: false, recovers: null,
      recoversWithoutAgreement: null, agreesWithoutRecovery: null, fewerLatentsThanFeatures: null });
    expect(verdict(0.31).aboveUntrained).toBe(true);
  });
});
