/**
 * Which SAE architectures agree across seeds, and where: for a run that trains three or more architectures (the
 * architectures preset), per task kind the architectures in order of their mean PWMCC, each with its agreement verdict
 * (decided by the experiment), its PWMCC within the data's span, its first seed's L0 and explained variance (an SAE
 * can agree on a poor reconstruction) and, where the truth is known, its recovery;
 * then which architectures are stable on every kind, on some, or on none. Numbers are NumRefs; the order and the
 * grouping are read off them and the verdicts.
 */
import { spanLevel } from '@saelab/results';
import { listInWords } from './format.js';
import { AGREEMENT_SHORT } from './findings-truth.js';
import type { Finding } from './findings-task.js';
import { taskTitle, type Run } from './run.js';
import { taskRef, verdictOf, type Segment } from './summary.js';

/** A run that compares architectures: its tasks train three or more SAE variants. */
export const isArchitectureRun = (run: Run) =>
  new Set(run.results.tasks.map((t) => t.saes[0]?.variant)).size >= 3;

/** The architecture finding of the first run that compares architectures; undefined without one. */
export function architectureFinding(runs: readonly Run[]): Finding | undefined {
  const run = runs.find(isArchitectureRun);
  if (!run) return undefined;
  const tasks = run.results.tasks;
  const kinds = [...new Set(tasks.map((t) => t.kind))];
  const variant = (t: number) => tasks[t]!.saes[0]!.variant;
  const paragraphs: Segment[][] = [];
  const stableOn = new Map<string, string[]>();
  for (const kind of kinds) {
    const ts = tasks.map((_, t) => t).filter((t) => tasks[t]!.kind === kind)
      .sort((a, b) => tasks[b]!.pwmcc.mean - tasks[a]!.pwmcc.mean);
    const first = taskRef(run, ts[0]!);
    const seeds = tasks[ts[0]!]!.saes.length;
    const seg: Segment[] = [`On ${taskTitle(kind)} (${run.name} run, ${seeds} seeds each), by mean PWMCC: `];
    ts.forEach((t, i) => {
      const num = taskRef(run, t);
      const v = verdictOf(run, t);
      const level = spanLevel(tasks[t]!);
      if (v.agreement === 'stable') stableOn.set(variant(t), [...(stableOn.get(variant(t)) ?? []), kind]);
      seg.push(i === 0 ? '' : i === ts.length - 1 ? '; and ' : '; ', `${variant(t)} `, num(['pwmcc', 'mean']),
        ` (${AGREEMENT_SHORT[v.agreement]}`,
        ...(level >= 0 ? [', within the span ', num(['subspace', level, 'decoder', 'mean'])] : []),
        ', L0 ', num(['saes', 0, 'l0'], 'fixed2'), ', EV ', num(['saes', 0, 'explainedVariance'], 'ev'),
        ...(tasks[t]!.truth ? [', recovers ', num(['truth', 'mean', 'decoder', 'recovered90'], 'percent')] : []), ')');
    });
    const span = spanLevel(tasks[ts[0]!]!);
    seg.push('. Untrained decoders of the same shape agree at ', first(['randomBaseline', 'empirical', 'mean']),
      ...(span >= 0 ? [' (within the span ', first(['subspace', span, 'untrained', 'mean']), ')'] : []),
      ' and the analytic chance level is ', first(['randomBaseline', 'analytic']), '.');
    paragraphs.push(seg);
  }
  const variants = [...new Set(tasks.map((_, t) => variant(t)))];
  const everywhere = variants.filter((v) => (stableOn.get(v)?.length ?? 0) === kinds.length);
  const somewhere = variants.filter((v) => stableOn.has(v) && !everywhere.includes(v));
  const nowhere = variants.filter((v) => !stableOn.has(v));
  const threshold = run.results.verdicts.rules.stabilityThreshold.toFixed(2);
  // Beside each architecture stable everywhere, its lowest explained variance there: agreement is not reconstruction.
  const lowestEv = (v: string): Segment[] => {
    const t = tasks.map((_, i) => i).filter((i) => variant(i) === v)
      .sort((a, b) => tasks[a]!.saes[0]!.explainedVariance - tasks[b]!.saes[0]!.explainedVariance)[0]!;
    return [`${v} (its first seed's explained variance as low as `,
      taskRef(run, t)(['saes', 0, 'explainedVariance'], 'ev'), ` on ${taskTitle(tasks[t]!.kind)})`];
  };
  paragraphs.push([`Stable (mean PWMCC at or above ${threshold}) on every task: `,
    ...(everywhere.length ? everywhere.flatMap((v, i) => [i === 0 ? '' : i === everywhere.length - 1 ? ' and ' : ', ',
      ...lowestEv(v)]) : ['none']), '. '
    + (somewhere.length ? `Stable on some: ${listInWords(somewhere.map((v) => `${v} (${listInWords(
      stableOn.get(v)!.map(taskTitle))})`))}. ` : '')
    + `Stable on none: ${nowhere.length ? listInWords(nowhere) : 'none'}.`]);
  return { id: 'architectures', title: 'Which architectures agree across seeds, and where?', paragraphs };
}
