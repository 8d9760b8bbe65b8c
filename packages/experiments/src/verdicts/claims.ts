/**
 * The original report's claims (PROTOCOL.md, "What the original reported") and the rule that says
 * whether one run reproduces each. A rule only compares numbers already in the results with the
 * report's numbers under a stated tolerance; the tolerance is written beside every verdict.
 *
 * Tolerances are deliberately simple and fixed in advance: about one unit of the report's last
 * digit for the headline PWMCC, a band for per-SAE metrics, and looser bands for the z-test
 * figures, which move a lot with small changes in the stds.
 */
import type { ClaimVerdict, MeasuredResults, NumberStyle, Path } from '@saelab/results';
import { valueAt } from './rules.js';

type Claim = Pick<ClaimVerdict, 'id' | 'label' | 'reported' | 'tolerance' | 'note'>;

interface Rule {
  claim: Claim;
  style: NumberStyle;
  /** The paths this claim reads in a run, or why it cannot be measured there. */
  paths: (r: MeasuredResults) => Path[] | string;
  shape: ClaimVerdict['shape'];
  /** True when the measured values pass (in the order of `paths`). */
  pass: (values: number[], r: MeasuredResults) => boolean;
}

const within = (target: number, tol: number) => (v: number) => Math.abs(v - target) <= tol + 1e-12;
const between = (lo: number, hi: number) => (v: number) => v >= lo && v <= hi;
const taskIndex = (r: MeasuredResults, kind: string) => r.tasks.findIndex((t) => t.kind === kind);

/** Paths of one field of the run's first task of a kind. */
function taskField(kind: string, ...field: (string | number)[]) {
  return (r: MeasuredResults): Path[] | string => {
    const at = taskIndex(r, kind);
    return at >= 0 ? [['tasks', at, ...field]] : `this run has no ${kind} task`;
  };
}

/** The two ends of a field that is an interval or a min-max pair. */
function ends(paths: (r: MeasuredResults) => Path[] | string, lo: string | number, hi: string | number) {
  return (r: MeasuredResults): Path[] | string => {
    const p = paths(r);
    return typeof p === 'string' ? p : [[...p[0]!, lo], [...p[0]!, hi]];
  };
}

/** The paths of the SAEs with the smallest and largest value of a per-SAE metric (a range). */
function saeRange(kind: string, field: 'l0' | 'explainedVariance' | 'deadFraction') {
  return (r: MeasuredResults): Path[] | string => {
    const at = taskIndex(r, kind);
    if (at < 0) return `this run has no ${kind} task`;
    const order = r.tasks[at]!.saes.map((s, i) => ({ i, v: s[field] })).sort((a, b) => a.v - b.v);
    if (order.length === 0) return 'this run has no SAEs';
    return [['tasks', at, 'saes', order[0]!.i, field], ['tasks', at, 'saes', order[order.length - 1]!.i, field]];
  };
}

/** The z-test between copy and modular; its difference is mean(first task) - mean(second). */
function comparisonField(...field: (string | number)[]) {
  return (r: MeasuredResults): Path[] | string => {
    const c = r.comparison;
    if (!c) return 'this run compares no two tasks';
    const kinds = c.tasks.map((name) => r.tasks.find((t) => t.name === name)?.kind);
    if (!(kinds.includes('copy') && kinds.includes('modular'))) return 'this run does not compare copy with modular';
    return [['comparison', 'zTest', ...field]];
  };
}

/** The report's CI is for modular - copy (centred on +0.003); ours is for first - second task. */
function ciMatches(values: number[], r: MeasuredResults): boolean {
  const copyFirst = r.tasks.find((t) => t.name === r.comparison?.tasks[0])?.kind === 'copy';
  const [lo, hi] = copyFirst ? [-0.017, 0.011] : [-0.011, 0.017];
  return within(lo, 0.003)(values[0]!) && within(hi, 0.003)(values[1]!);
}

const CLAIM_RULES: Rule[] = [
  {
    // The original's "Val Acc" counted correct tokens (task_generalization.py: val_correct / (seq_len * n)).
    claim: { id: 'copy-val-acc', label: 'Copy: validation accuracy (per token, as the original counted it)',
      reported: '100%',
      tolerance: '>= 99.5%' },
    style: 'percent', shape: 'single', paths: taskField('copy', 'transformer', 'valTokenAccuracy'),
    pass: (v) => v.every(between(0.995, 1)),
  },
  {
    claim: { id: 'copy-pwmcc-mean', label: 'Copy: mean PWMCC', reported: '0.306', tolerance: '0.306 +/- 0.010' },
    style: 'pwmcc', shape: 'single', paths: taskField('copy', 'pwmcc', 'mean'),
    pass: (v) => v.every(within(0.306, 0.01)),
  },
  {
    claim: { id: 'copy-pwmcc-std', label: 'Copy: std of the 10 pairwise PWMCC', reported: '0.001',
      tolerance: '0.001 +/- 0.002' },
    style: 'pwmcc', shape: 'single', paths: taskField('copy', 'pwmcc', 'std'),
    pass: (v) => v.every(within(0.001, 0.002)),
  },
  {
    claim: { id: 'copy-pwmcc-range', label: 'Copy: range of pairwise PWMCC', reported: '[0.305, 0.307]',
      tolerance: 'each end +/- 0.010' },
    style: 'pwmcc', shape: 'interval', paths: ends(taskField('copy', 'pwmcc'), 'min', 'max'),
    pass: ([lo, hi]) => within(0.305, 0.01)(lo!) && within(0.307, 0.01)(hi!),
  },
  {
    claim: { id: 'copy-l0', label: 'Copy: L0 per SAE', reported: '32', tolerance: 'every SAE 32 +/- 0.5' },
    style: 'fixed2', shape: 'range', paths: saeRange('copy', 'l0'), pass: (v) => v.every(within(32, 0.5)),
  },
  {
    claim: { id: 'copy-ev', label: 'Copy: explained variance per SAE', reported: '0.9940-0.9944',
      tolerance: 'every SAE in [0.9930, 0.9954]' },
    style: 'ev', shape: 'range', paths: saeRange('copy', 'explainedVariance'),
    pass: (v) => v.every(between(0.993, 0.9954)),
  },
  {
    claim: { id: 'copy-dead', label: 'Copy: dead latents per SAE', reported: '1.9-3.6%',
      tolerance: 'every SAE in [0.9%, 4.6%]' },
    style: 'percent', shape: 'range', paths: saeRange('copy', 'deadFraction'),
    pass: (v) => v.every(between(0.009, 0.046)),
  },
  {
    claim: { id: 'modular-pwmcc-mean', label: 'Modular: mean PWMCC', reported: '0.309', tolerance: '0.309 +/- 0.010' },
    style: 'pwmcc', shape: 'single', paths: taskField('modular', 'pwmcc', 'mean'),
    pass: (v) => v.every(within(0.309, 0.01)),
  },
  {
    claim: {
      id: 'modular-pwmcc-std', label: 'Modular: std of the pairwise PWMCC', reported: '0.023',
      tolerance: '0.023 +/- 0.010',
      note: 'The report typed this std in rather than computing it, and later corrected it to 0.002.',
    },
    style: 'pwmcc', shape: 'single', paths: taskField('modular', 'pwmcc', 'std'),
    pass: (v) => v.every(within(0.023, 0.01)),
  },
  {
    claim: {
      id: 'z', label: 'Copy vs modular: z', reported: '0.41', tolerance: '0.41 +/- 0.25',
      note: 'The z-test used the typed-in modular std of 0.023; with the real stds the same difference gives a far '
        + 'larger z.',
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
      id: 'ci', label: 'Copy vs modular: 95% CI of the difference', reported: '[-0.011, 0.017]',
      tolerance: 'each end +/- 0.003 (the size of the reported difference)',
      note: 'The report\'s interval is for modular - copy; ours is for copy - modular, so it is compared with [-0.017, '
        + '0.011].',
    },
    style: 'pwmcc', shape: 'interval', paths: ends(comparisonField('ci'), 0, 1), pass: ciMatches,
  },
];

/** Every claim's verdict for one run, in the order the report makes them. */
export function claimVerdicts(r: MeasuredResults): ClaimVerdict[] {
  return CLAIM_RULES.map(({ claim, style, shape, paths: pathsOf, pass }) => {
    const paths = pathsOf(r);
    if (typeof paths === 'string') return { ...claim, status: 'not measured', paths: [], shape, style, missing: paths };
    const values = paths.map((p) => valueAt(r, p));
    const defined = values.every((v): v is number => v !== null);
    return { ...claim, status: defined && pass(values, r) ? 'reproduced' : 'not reproduced', paths, shape, style };
  });
}
