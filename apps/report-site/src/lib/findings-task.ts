/**
 * The findings of one task under one protocol (lib/findings.ts puts them in reading order with the others):
 * where the protocol reads the task, whether its transformer was reused, seed agreement against its controls,
 * how far the decoders moved, the dimension argument and agreement within the activations' span. Every sentence
 * is chosen by the verdicts in results.json; numbers are NumRefs.
 */
import { spanLevel, type Agreement, type ClaimVerdict } from '@saelab/results';
import { valueAt, type NumRef } from './refs.js';
import { saeSetting, taskLabel, taskTitle, type Run } from './run.js';
import { dataSentences, recoverySentences, truthReading } from './findings-truth.js';
import { dimensionRefs, rangeSegments, taskRef, verdictOf, type Segment } from './summary.js';

export interface Finding {
  /** Stable id (the section's anchor on the page). */
  id: string;
  title: string;
  paragraphs: Segment[][];
}

/** The claim verdict with this id, in one run. */
export const claimOf = (run: Run, id: string) => run.results.verdicts.claims.find((v) => v.id === id);

/** A verdict's measured values as segments: one value (also for a range whose ends are equal), "a-b", or "[a, b]". */
export function measured(run: Run, v: ClaimVerdict): Segment[] {
  const [a, b] = v.paths.map((path): NumRef => ({ config: run.name, path, style: v.style }));
  if (!a) return [];
  if (v.shape === 'single' || !b) return [a];
  if (v.shape === 'range' && valueAt(run.results, a.path) === valueAt(run.results, b.path)) return [a];
  return v.shape === 'range' ? [a, '-', b] : ['[', a, ', ', b, ']'];
}

/**
 * Where the protocol reads a task and whether the label leaks there, and whether its transformer solved it; for
 * generated activations (no transformer), what generated them.
 */
function readSentences(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  const v = verdictOf(run, t);
  if (!task.transformer) return dataSentences(run, t);
  const num = taskRef(run, t);
  const trained: Segment[] = ['The transformer reached ', num(['transformer', 'valAccuracy'], 'percent'),
    ' validation accuracy after ', num(['transformer', 'epochs'], 'int'), ' epochs. '];
  if (!v.solved) {
    const solved = (run.results.verdicts.rules.solvedAccuracy * 100).toFixed(0);
    trained.push(`It did not solve its task (below ${solved}% validation accuracy) within its budget of `,
      num(['transformer', 'epochBudget'], 'int'), ' epochs, so the SAEs decompose the activations of a model that '
      + 'computes the answer only part of the time. ');
  }
  const at = task.activations.position;
  if (v.labelLeak) {
    return [`This protocol reads ${taskTitle(task.kind)} at position ${at}, which holds the answer itself: a causal `
      + `model `
      + 'sees the label there (label leakage), so reading it takes no computation. ', ...trained];
  }
  if (v.readAt === 'equals') {
    return [`This protocol reads ${taskTitle(task.kind)} at the equals sign (position ${at}), where the answer must be `
      + `computed. `,
      ...trained];
  }
  return trained;
}

/** Whether the transformer was reused from another run (environment.reusedTransformers). */
function reuseSentence(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  const from = run.results.environment.reusedTransformers?.[task.name];
  if (!from) return [];
  return [`The transformer of this task was trained once, by the ${runOfFolder(from)} run, and reused here (same stage `
    + `key), `
    + 'so on this task the protocols differ only in what follows the transformer. '];
}

/** The run a reused transformer came from: the last part of its folder (results/<config>). */
export const runOfFolder = (folder: string): string => folder.split(/[\\/]/).filter((p) => p && p !== '.')
  .pop() ?? folder;

const agreementWords = (run: Run): Record<Agreement, string> => ({
  stable: 'at or above the stability threshold',
  chance: 'no better than chance: the bootstrap interval holds the untrained decoders\' mean',
  'above chance': `above the untrained decoders, but far short of the `
    + `${run.results.verdicts.rules.stabilityThreshold.toFixed(2)} `
    + 'a stable dictionary would reach',
  'below chance': 'below even the untrained decoders',
});

/** Seed agreement against its controls, with the report's number where this run follows the report. */
function agreementSentences(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  const { followsReport } = run.results.verdicts;
  const num = taskRef(run, t);
  const out: Segment[] = ['Seeds agree at a mean PWMCC of ', num(['pwmcc', 'mean']), ' (bootstrap 95% interval ',
    num(['bootstrap', 'ci95', 0]), '-', num(['bootstrap', 'ci95', 1]), ')'];
  const claim = followsReport ? claimOf(run, `${task.kind}-pwmcc-mean`) : undefined;
  if (claim && claim.status !== 'not measured') {
    out.push(claim.status === 'reproduced' ? `, which reproduces the report's ${claim.reported}`
      : `, where the report had ${claim.reported} (not reproduced)`);
  }
  out.push('. Untrained decoders with the same seeds give ', num(['randomBaseline', 'empirical', 'mean']),
    ' (the analytic chance level is ', num(['randomBaseline', 'analytic']), '): trained minus untrained is ',
    num(['trainedVsRandom', 'diff']), ' (Welch p ', num(['trainedVsRandom', 'welch', 'p'], 'p'),
    `), ${agreementWords(run)[verdictOf(run, t).agreement]}. `);
  if (followsReport && task.kind === 'copy') {
    const also = ['copy-ev', 'copy-l0'].map((id) => claimOf(run, id))
      .filter((v): v is ClaimVerdict => v?.status === 'reproduced');
    if (also.length > 0) {
      const names: Record<string, string> = { 'copy-ev': 'explained variance', 'copy-l0': 'L0' };
      also.forEach((v, i) => out.push(i === 0 ? 'The report\'s ' : i === also.length - 1 ? ' and '
        : ', ', `${names[v.id]} (`,
        ...measured(run, v), ')'));
      out.push(also.length > 1 ? ' reproduce too. ' : ' reproduces too. ');
    }
  }
  return out;
}

function movementSentence(run: Run, t: number): Segment[] {
  const m = verdictOf(run, t).movement;
  if (m === null) return [];
  const range = rangeSegments(run, t, 'trainedVsInit', 'pwmcc');
  switch (m) {
    case 'barely': return ['Yet training barely moved the decoders: each one\'s PWMCC with its own initialisation is ',
      ...range, ' (1 means unchanged). '];
    case 'moved': return ['The decoders moved away from their initialisation (PWMCC of each with its own start: ',
      ...range, '). '];
    case 'mixed': return ['Some decoders barely moved from their initialisation and some did (PWMCC of each with its '
      + 'own start: ',
      ...range, `; at least ${run.results.verdicts.rules.barelyMoved} counts as barely moved). `];
  }
}

/** The dimension argument, in plain words, with its consequence for what PWMCC can show. */
function dimensionSentences(run: Run, t: number): Segment[] {
  const v = verdictOf(run, t);
  const refs = dimensionRefs(run, t);
  if (!refs) return [];
  const { d, n, pr, k, ev } = refs;
  const stable = v.agreement === 'stable';
  if (d === 'within k') {
    return [stable ? 'The activations need only ' : 'Why: the activations need only ', n,
      ' principal components for 99% of their variance (participation ratio ', pr, '), while each sample uses k = ', k,
      ' latents. With k at or above the data\'s dimension, the k decoder directions a sample uses span the subspace it '
      + 'lies in whatever those directions are, so even a random decoder can reconstruct it, and reconstruction '
        + 'succeeds (explained variance ',
      ...ev, ') without the SAE having to learn particular directions. ', stable
        ? 'Reconstruction alone therefore does not explain why the seeds agree here. '
        : 'There is nothing for seeds to agree on, so on this task PWMCC cannot tell whether seeds learn the same '
          + 'features. '];
  }
  const out: Segment[] = ['The activations need ', n, ' principal components for 99% of their variance (participation '
    + 'ratio ', pr,
    '), more than the k = ', k, ' latents each sample uses, so here a decoder cannot reconstruct them merely by '
    + 'spanning their subspace (explained variance ', ...ev, '). '];
  if (v.movement === 'barely' && v.agreement === 'chance') {
    out.push('Still, the decoders stayed close to their random starts, so chance-level agreement here compares nearly '
      + 'untrained dictionaries. ');
  }
  return out;
}

const SUBSPACE_WORDS: Record<Agreement, string> = {
  stable: 'which clears the stability threshold',
  chance: 'no more than the untrained decoders agree there',
  'above chance': 'more than the untrained decoders agree there',
  'below chance': 'less than even the untrained decoders agree there',
};

/** Agreement where the data lives: subspace PWMCC at 99% of the variance, decoders and encoders. */
export function subspaceSentences(run: Run, t: number): Segment[] {
  const v = verdictOf(run, t);
  const level = spanLevel(run.results.tasks[t]!);
  if (v.subspaceAgreement === null || level < 0) return [];
  const num = taskRef(run, t);
  const at = (...path: (string | number)[]) => ['subspace', level, ...path];
  return ['Within the activations\' span (their top ', num(at('m'), 'int'),
    ' principal directions, 99% of the variance), the '
    + 'decoders of different seeds agree at a mean PWMCC of ', num(at('decoder', 'mean')), ', against ',
    num(at('untrained', 'mean')),
  ' for the untrained decoders projected the same way (Welch p ', num(at('vsUntrained', 'p'), 'p'),
  '; the chance level in ',
  num(at('m'), 'int'), ' dimensions is ', num(at('analytic')), `): ${SUBSPACE_WORDS[v.subspaceAgreement]} (difference `,
  num(at('vsUntrained', 'diff')), '). Their encoders agree at ',
  num(at('encoder', 'mean')), ' there and at ', num(['encoderPwmcc', 'mean']), ' in the full space. '];
}

const TREND_WORDS = {
  rising: 'agreement rose with training, by more than twice the spread of the final pairs',
  flat: 'agreement did not move by more than twice the spread of the final pairs',
  falling: 'agreement fell with training, by more than twice the spread of the final pairs',
} as const;

/** Does agreement rise with the training budget? The cross-seed PWMCC curve at a few epochs, and its verdict. */
export function budgetSentences(run: Run, t: number): Segment[] {
  const v = verdictOf(run, t);
  const task = run.results.tasks[t]!;
  const curve = task.pwmccCurve;
  if (!curve || v.agreementTrend === null) return [];
  const num = taskRef(run, t);
  const last = curve.full.length - 1;
  const mid = Math.min(20, last);
  const at = (series: 'full' | 'subspace', e: number) => num(['pwmccCurve', series, e]);
  const level = spanLevel(task);
  return ['Within the activations\' span (top ', num(['pwmccCurve', 'm'], 'int'),
    ' directions), the decoders of different seeds agree at ', at('subspace', 0), ' untrained, ', at('subspace', 1),
    ' after one epoch, ', at('subspace', mid), ` after ${mid}`,
    ...(mid < last ? [' and ', at('subspace', last), ` after ${last}`] : []), ' (full space: ', at('full', 0), ', ',
    at('full', 1), ', ', at('full', mid), ...(mid < last ? [', ', at('full', last)] : []),
    `): ${TREND_WORDS[v.agreementTrend]} (std `, num(['subspace', level, 'decoder', 'std']), '). '];
}

const capitalised = (text: string) => `${text[0]!.toUpperCase()}${text.slice(1)}`;

export function taskFinding(run: Run, t: number): Finding {
  const task = run.results.tasks[t]!;
  const setting = taskLabel(run, t) === taskTitle(task.kind) ? '' : ` (${saeSetting(task)})`;
  return {
    id: `${run.name}-${task.name}`,
    title: `${capitalised(taskLabel(run, t))}${setting}, ${run.name} protocol`,
    paragraphs: [
      [...readSentences(run, t), ...reuseSentence(run, t), ...agreementSentences(run, t)],
      [...recoverySentences(run, t), ...truthReading(run, t)],
      [...movementSentence(run, t), ...dimensionSentences(run, t)],
      [...subspaceSentences(run, t), ...budgetSentences(run, t)],
    ].filter((p) => p.length > 0),
  };
}
