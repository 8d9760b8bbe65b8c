/**
 * The front page's answer, put into words from results.json: the numbers, and the verdicts the
 * experiment decided from them (`verdicts`: agreement, movement, dimension). It decides nothing and
 * computes no statistic. The text is a list of segments, plain strings and number references, so
 * that the page can mark every number with where it came from.
 */
import { spanLevel, taskVerdict, type Agreement, type TaskResult } from '@saelab/results';
import type { NumRef, Path } from './refs.js';
import type { NumberStyle } from './format.js';
import { taskTitle, type Run } from './run.js';

export type Segment = string | NumRef;

/** The verdict of task `t` of a run. */
export const verdictOf = (run: Run, t: number) => taskVerdict(run.results, t);

/** Indices of the SAEs with the lowest and highest value of a per-SAE metric (a range to quote). */
export function saeRange(task: TaskResult, field: 'trainedVsInit' | 'explainedVariance' | 'deadFraction'
    | 'l0'): [number, number] {
  const order = task.saes.map((s, i) => ({ i, v: s[field] })).sort((a, b) => a.v - b.v);
  return [order[0]!.i, order[order.length - 1]!.i];
}

/** Number references into one task of one run. */
export const taskRef = (run: Run, t: number) => (path: Path, style: NumberStyle = 'pwmcc'): NumRef =>
  ({ config: run.name, path: ['tasks', t, ...path], style });

/** "a-b" over the task's SAEs for a per-SAE metric, as segments. */
export function rangeSegments(run: Run, t: number, field: Parameters<typeof saeRange>[1],
    style: NumberStyle): Segment[] {
  const [lo, hi] = saeRange(run.results.tasks[t]!, field);
  const num = taskRef(run, t);
  return [num(['saes', lo, field], style), '-', num(['saes', hi, field], style)];
}

/**
 * The numbers the dimension argument quotes for one task (undefined for a task without SAEs). The
 * verdict is 'within k' when 99% of the variance lies in at most k principal components: then the k
 * decoder directions a sample uses span its subspace whatever they are.
 */
export function dimensionRefs(run: Run, t: number) {
  const d = verdictOf(run, t).dimension;
  if (!d) return undefined;
  const num = taskRef(run, t);
  return {
    d,
    n: num(['activations', 'spectrum', 'componentsFor', '0.99'], 'int'), // components for 99% of the variance
    pr: num(['activations', 'spectrum', 'participationRatio'], 'fixed2'),
    k: num(['saes', 0, 'k'], 'int'),
    ev: rangeSegments(run, t, 'explainedVariance', 'ev'),
  };
}

/** The dimension argument for one task as a sentence (empty for a task without SAEs). */
export function dimensionSentence(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  const refs = dimensionRefs(run, t);
  if (!refs) return [];
  const { d, n, pr, k, ev } = refs;
  if (d === 'within k') {
    const than = task.activations.spectrum.componentsFor['0.99'] < task.saes[0]!.k ? 'fewer than' : 'no more than';
    return ['The activations span about ', n, ' dimensions (99% of their variance lies in ', n,
      ' principal components; participation ratio ', pr,
      `), ${than} the k = `, k, ' latents each sample uses, so a decoder reconstructs them whatever its directions '
        + '(explained variance ', ...ev,
      ') and the SAEs are not pushed to learn shared features. '];
  }
  return ['The activations need ', n, ' principal components for 99% of their variance (participation ratio ', pr,
    '), more than the k = ', k,
    ' latents each sample uses, so a decoder cannot reconstruct them merely by spanning their subspace (explained '
      + 'variance ', ...ev, '). '];
}

const VERDICT: Record<Agreement, string> = {
  stable: 'which clears the stability threshold',
  chance: 'so they agree no better than chance',
  'above chance': 'so they agree more than chance, though short of stable',
  'below chance': 'below even untrained decoders',
};

const SUBSPACE_SHORT: Record<Agreement, string> = {
  stable: 'which is stable', chance: 'no better than chance', 'above chance': 'above chance',
  'below chance': 'below chance',
};

/** `lead` opens the sentence: "Under the husai protocol, on" for a run's first task, "On" after. */
function taskSentences(run: Run, t: number, lead: string): Segment[] {
  const task = run.results.tasks[t]!;
  const v = verdictOf(run, t);
  const { stabilityThreshold, barelyMoved } = run.results.verdicts.rules;
  const num = taskRef(run, t);
  const out: Segment[] = [
    `${lead} ${taskTitle(task.kind)} (the transformer reached `, num(['transformer', 'valAccuracy'], 'percent'),
    ' validation accuracy), SAEs from different seeds agree at a mean PWMCC of ', num(['pwmcc', 'mean']),
    ' (bootstrap 95% interval ', num(['bootstrap', 'ci95', 0]), '-', num(['bootstrap', 'ci95', 1]),
    '); untrained decoders with the same seeds give ', num(['randomBaseline', 'empirical', 'mean']),
    ` and a stable dictionary would reach ${stabilityThreshold.toFixed(2)}, ${VERDICT[v.agreement]}. `,
  ];
  if (task.saes.length === 0) return out;
  const range = rangeSegments(run, t, 'trainedVsInit', 'pwmcc');
  const m = v.movement;
  if (m === 'barely') {
    out.push('But the decoders barely moved from their initialisation (PWMCC of each with its own start: ', ...range,
      '; 1 means unchanged), so this agreement says little about learned features. ');
  } else if (m === 'moved') {
    out.push('The decoders moved away from their initialisation (PWMCC of each with its own start: ', ...range,
      '), so the agreement reflects what they learned. ');
  } else {
    out.push(`Some decoders barely moved from their initialisation and some did (PWMCC of each with its own start: `,
      ...range,
      `; at least ${barelyMoved} counts as barely moved), so read this agreement with care. `);
  }
  out.push(...dimensionSentence(run, t));
  const level = spanLevel(task);
  if (v.subspaceAgreement !== null && level >= 0) {
    const at = (...path: (string | number)[]) => num(['subspace', level, ...path]);
    out.push('Measured where the data lives (decoder rows projected onto the activations\' top ',
      num(['subspace', level, 'm'], 'int'),
      ' principal directions), seeds agree at ', at('decoder', 'mean'), ' against ', at('untrained', 'mean'),
      ` for untrained decoders, ${SUBSPACE_SHORT[v.subspaceAgreement]}. `);
  }
  return out;
}

/** The one-paragraph answer to the study's question, for the runs present. */
export function answerParagraph(runs: readonly Run[]): Segment[] {
  const out: Segment[] = [
    'The original report found PWMCC near 0.30 on both tasks and read it as proof that SAEs trained with different '
      + 'seeds learn different features. ',
  ];
  for (const run of runs) {
    run.results.tasks.forEach((_, t) => out.push(...taskSentences(run, t, t === 0
      ? `Under the ${run.name} protocol, on` : 'On')));
  }
  const verdicts = runs.flatMap((r) => r.results.verdicts.tasks);
  if (verdicts.some((v) => v.agreement === 'chance' && v.movement === 'barely')) {
    out.push('Agreement at chance between SAEs that hardly left their random start is what SAEs that learned nothing '
      + 'would show, so there these numbers cannot say whether seeds learn different features.');
  } else if (verdicts.every((v) => v.movement === 'moved')) {
    out.push('Every SAE moved away from its initialisation, so the PWMCC values above compare learned dictionaries.');
  }
  return out;
}

/** The paragraph as plain text (for tests and text alternatives), numbers written by `format`. */
export function segmentsToText(segments: readonly Segment[], format: (ref: NumRef) => string): string {
  return segments.map((s) => (typeof s === 'string' ? s : format(s))).join('');
}
