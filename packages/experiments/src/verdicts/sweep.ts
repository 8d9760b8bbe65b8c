/**
 * What a sweep concludes per finished cell and task (sweep.json's `verdicts`; see @saelab/results' sweep.ts for the
 * meaning of each flag): agreement against the untrained decoders, recovery of the truth, recovery without agreement
 * and agreement without recovery. The thresholds are SWEEP_RULES, written beside the flags.
 */
import type { Results, SweepCellVerdict, SweepVerdicts } from '@saelab/results';
import { RULES } from './rules.js';
import { recovery } from './tasks.js';

export const SWEEP_RULES = {
  /** Recovery of the truth is the per-run rule's 'most' (verdicts.tasks[].recovery in each cell's results.json). */
  recoveredMost: RULES.recoveredMost,
  /** Mean PWMCC from which the seeds' dictionaries read as (nearly) the same. */
  highAgreement: 0.9,
  /** Under this fraction of the true features recovered, high agreement is not agreement on the truth. */
  recoveredLow: 0.5,
} as const;

/** The verdicts of one finished cell's tasks, from its results. */
export function sweepCellVerdicts(cell: string, r: Results): SweepCellVerdict[] {
  return r.tasks.map((t) => {
    const pwmcc = t.pwmcc.mean;
    const untrainedPwmcc = t.randomBaseline.empirical.mean;
    const found = recovery(t);
    const recovered90 = found === null ? null : t.truth!.mean.decoder.recovered90;
    const ifTruth = (decide: (r90: number) => boolean) => (recovered90 === null ? null : decide(recovered90));
    return {
      cell, task: t.name, pwmcc, untrainedPwmcc, recovered90,
      aboveUntrained: pwmcc > untrainedPwmcc,
      recovers: ifTruth(() => found === 'most'),
      recoversWithoutAgreement: ifTruth(() => found === 'most' && pwmcc < SWEEP_RULES.highAgreement),
      agreesWithoutRecovery: ifTruth((r90) => pwmcc >= SWEEP_RULES.highAgreement && r90 < SWEEP_RULES.recoveredLow),
      fewerLatentsThanFeatures: ifTruth(() => t.saes[0]!.dSae < t.truth!.features),
    };
  });
}

/** sweep.json's `verdicts`: the rules and every finished cell's verdicts. */
export function sweepVerdicts(cells: SweepCellVerdict[]): SweepVerdicts {
  return { rules: { ...SWEEP_RULES }, cells };
}
