/**
 * The original report's claims (PROTOCOL.md, "What the original reported") and the rule that says
 * whether one run reproduces each. A rule only compares numbers already in results.json with the
 * report's numbers under a stated tolerance; the tolerance is shown beside every verdict.
 *
 * Tolerances are deliberately simple and fixed in advance: about one unit of the report's last
 * digit for the headline PWMCC, a band for per-SAE metrics, and looser bands for the z-test
 * figures, which move a lot with small changes in the stds.
 */
import type { Path, NumRef } from './refs.js';
import { valueAt } from './refs.js';
import { taskOfKind, type Run } from './run.js';
import type { NumberStyle } from './format.js';
import type { TaskResult } from '@saelab/experiments';

export interface Claim {
  id: string;
  /** What the report said, as it said it. */
  label: string;
  reported: string;
  /** The tolerance, in words, as shown on the page. */
  tolerance: string;
  /** Why this claim needs care when read, if it does. */
  note?: string;
}

export type Status = 'reproduced' | 'not reproduced' | 'not measured';

export interface Verdict {
  claim: Claim;
  status: Status;
  /** The measured values that decided it (one, a min-max pair, or the two ends of an interval). */
  measured: NumRef[];
  /** How the measured values are joined when shown: 'range' as a-b, 'interval' as [a, b]. */
  shape: 'single' | 'range' | 'interval';
  /** Why there is no measurement, when there is none. */
  missing?: string;
}

interface Rule {
  claim: Claim;
  style: NumberStyle;
  /** The paths this claim reads in a run, or why it cannot be measured there. */
  paths: (run: Run) => Path[] | string;
  shape: Verdict['shape'];
  /** True when the measured values pass (in the order of `paths`). */
  pass: (values: number[], run: Run) => boolean;
}

const within = (target: number, tol: number) => (v: number) => Math.abs(v - target) <= tol + 1e-12;
const between = (lo: number, hi: number) => (v: number) => v >= lo && v <= hi;

/** Paths of one field of a task, located by kind. */
function taskField(kind: TaskResult['kind'], ...field: (string | number)[]) {
  return (run: Run): Path[] | string => {
    const at = taskOfKind(run, kind);
    return at ? [['tasks', at.index, ...field]] : `this run has no ${kind} task`;
  };
}

/** The paths of the SAEs with the smallest and largest value of a per-SAE metric (a range). */
function saeRange(kind: TaskResult['kind'], field: 'l0' | 'explainedVariance' | 'deadFraction') {
  return (run: Run): Path[] | string => {
    const at = taskOfKind(run, kind);
    if (!at) return `this run has no ${kind} task`;
    const order = at.task.saes.map((s, i) => ({ i, v: s[field] })).sort((a, b) => a.v - b.v);
    if (order.length === 0) return 'this run has no SAEs';
    return [['tasks', at.index, 'saes', order[0]!.i, field], ['tasks', at.index, 'saes', order[order.length - 1]!.i, field]];
  };
}

/** The z-test between copy and modular; its difference is mean(first task) - mean(second). */
function comparisonField(...field: (string | number)[]) {
  return (run: Run): Path[] | string => {
    const c = run.results.comparison;
    if (!c) return 'this run compares no two tasks';
    const kinds = c.tasks.map((name) => run.results.tasks.find((t) => t.name === name)?.kind);
    if (!(kinds.includes('copy') && kinds.includes('modular'))) return 'this run does not compare copy with modular';
    return [['comparison', 'zTest', ...field]];
  };
}

/** The report's CI is for modular - copy (centred on +0.003); ours is for first - second task. */
function ciMatches(values: number[], run: Run): boolean {
  const copyFirst = run.results.tasks.find((t) => t.name === run.results.comparison?.tasks[0])?.kind === 'copy';
  const [lo, hi] = copyFirst ? [-0.017, 0.011] : [-0.011, 0.017];
  return within(lo, 0.003)(values[0]!) && within(hi, 0.003)(values[1]!);
}

const RULES: Rule[] = [
  {
    // The original's "Val Acc" counted correct tokens (task_generalization.py: val_correct / (seq_len * n)).
    claim: { id: 'copy-val-acc', label: 'Copy: validation accuracy (per token, as the original counted it)', reported: '100%', tolerance: '>= 99.5%' },
    style: 'percent', shape: 'single', paths: taskField('copy', 'transformer', 'valTokenAccuracy'), pass: (v) => v.every(between(0.995, 1)),
  },
  {
    claim: { id: 'copy-pwmcc-mean', label: 'Copy: mean PWMCC', reported: '0.306', tolerance: '0.306 +/- 0.010' },
    style: 'pwmcc', shape: 'single', paths: taskField('copy', 'pwmcc', 'mean'), pass: (v) => v.every(within(0.306, 0.01)),
  },
  {
    claim: { id: 'copy-pwmcc-std', label: 'Copy: std of the 10 pairwise PWMCC', reported: '0.001', tolerance: '0.001 +/- 0.002' },
    style: 'pwmcc', shape: 'single', paths: taskField('copy', 'pwmcc', 'std'), pass: (v) => v.every(within(0.001, 0.002)),
  },
  {
    claim: { id: 'copy-pwmcc-range', label: 'Copy: range of pairwise PWMCC', reported: '[0.305, 0.307]', tolerance: 'each end +/- 0.010' },
    style: 'pwmcc', shape: 'interval',
    paths: (run) => { const p = taskField('copy', 'pwmcc')(run); return typeof p === 'string' ? p : [[...p[0]!, 'min'], [...p[0]!, 'max']]; },
    pass: ([lo, hi]) => within(0.305, 0.01)(lo!) && within(0.307, 0.01)(hi!),
  },
  {
    claim: { id: 'copy-l0', label: 'Copy: L0 per SAE', reported: '32', tolerance: 'every SAE 32 +/- 0.5' },
    style: 'fixed2', shape: 'range', paths: saeRange('copy', 'l0'), pass: (v) => v.every(within(32, 0.5)),
  },
  {
    claim: { id: 'copy-ev', label: 'Copy: explained variance per SAE', reported: '0.9940-0.9944', tolerance: 'every SAE in [0.9930, 0.9954]' },
    style: 'ev', shape: 'range', paths: saeRange('copy', 'explainedVariance'), pass: (v) => v.every(between(0.993, 0.9954)),
  },
  {
    claim: { id: 'copy-dead', label: 'Copy: dead latents per SAE', reported: '1.9-3.6%', tolerance: 'every SAE in [0.9%, 4.6%]' },
    style: 'percent', shape: 'range', paths: saeRange('copy', 'deadFraction'), pass: (v) => v.every(between(0.009, 0.046)),
  },
  {
    claim: { id: 'modular-pwmcc-mean', label: 'Modular: mean PWMCC', reported: '0.309', tolerance: '0.309 +/- 0.010' },
    style: 'pwmcc', shape: 'single', paths: taskField('modular', 'pwmcc', 'mean'), pass: (v) => v.every(within(0.309, 0.01)),
  },
  {
    claim: {
      id: 'modular-pwmcc-std', label: 'Modular: std of the pairwise PWMCC', reported: '0.023', tolerance: '0.023 +/- 0.010',
      note: 'The report typed this std in rather than computing it, and later corrected it to 0.002.',
    },
    style: 'pwmcc', shape: 'single', paths: taskField('modular', 'pwmcc', 'std'), pass: (v) => v.every(within(0.023, 0.01)),
  },
  {
    claim: {
      id: 'z', label: 'Copy vs modular: z', reported: '0.41', tolerance: '0.41 +/- 0.25',
      note: 'The z-test used the typed-in modular std of 0.023; with the real stds the same difference gives a far larger z.',
    },
    style: 'fixed2', shape: 'single', paths: comparisonField('z'), pass: (v) => v.every(within(0.41, 0.25)),
  },
  {
    claim: { id: 'p', label: 'Copy vs modular: p', reported: '0.68', tolerance: '0.68 +/- 0.15' },
    style: 'p', shape: 'single', paths: comparisonField('p'), pass: (v) => v.every(within(0.68, 0.15)),
  },
  {
    claim: { id: 'd', label: "Copy vs modular: Cohen's d", reported: '0.18', tolerance: '0.18 +/- 0.10' },
    style: 'fixed2', shape: 'single', paths: comparisonField('cohensD'), pass: (v) => v.every(within(0.18, 0.1)),
  },
  {
    claim: {
      id: 'ci', label: 'Copy vs modular: 95% CI of the difference', reported: '[-0.011, 0.017]', tolerance: 'each end +/- 0.003 (the size of the reported difference)',
      note: 'The report\'s interval is for modular - copy; ours is for copy - modular, so it is compared with [-0.017, 0.011].',
    },
    style: 'pwmcc', shape: 'interval',
    paths: (run) => { const p = comparisonField('ci')(run); return typeof p === 'string' ? p : [[...p[0]!, 0], [...p[0]!, 1]]; },
    pass: ciMatches,
  },
];

/** The claims, in the order the report makes them. */
export const CLAIMS: readonly Claim[] = RULES.map((r) => r.claim);

/** Every claim's verdict for one run. */
export function scorecard(run: Run): Verdict[] {
  return RULES.map((rule) => {
    const paths = rule.paths(run);
    if (typeof paths === 'string') return { claim: rule.claim, status: 'not measured', measured: [], shape: rule.shape, missing: paths };
    const values = paths.map((p) => valueAt(run.results, p));
    const defined = values.every((v): v is number => v !== null);
    return {
      claim: rule.claim,
      status: defined && rule.pass(values, run) ? 'reproduced' : 'not reproduced',
      measured: paths.map((path) => ({ config: run.name, path, style: rule.style })),
      shape: rule.shape,
    };
  });
}
