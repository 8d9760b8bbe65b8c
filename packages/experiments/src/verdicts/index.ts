/**
 * The study's verdicts: the fixed rules that turn a run's numbers into its conclusions (see
 * @saelab/results' verdicts.ts for the meaning of each). The pipeline writes them into results.json,
 * `saelab upgrade` adds them to older files, and the committed-results test recomputes them.
 */
import type { MeasuredResults, Verdicts } from '@saelab/results';
import { claimVerdicts } from './claims.js';
import { RULES } from './rules.js';
import { taskVerdict } from './tasks.js';

export { RULES, valueAt } from './rules.js';
export { agreement, dimension, movement, recovery, subspaceAgreement, taskVerdict } from './tasks.js';
export { claimVerdicts } from './claims.js';
export { SWEEP_RULES, sweepCellVerdicts, sweepVerdicts } from './sweep.js';

/** Every verdict of one run. */
export function computeVerdicts(r: MeasuredResults): Verdicts {
  const p = r.comparison?.zTest.p ?? null;
  return {
    rules: { ...RULES },
    followsReport: r.config.sae.variant === 'husai',
    tasks: r.tasks.map((t) => taskVerdict(t, r.config.tasks[t.name])),
    claims: claimVerdicts(r),
    comparison: r.comparison ? { significant: p !== null && p < RULES.alpha } : null,
  };
}
