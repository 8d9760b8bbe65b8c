/**
 * "Why our numbers are what they are": the reasons behind the measurements, one short item per
 * finding. Like the answer paragraph, every item is put into words from results.json: which
 * sentence a condition calls for (untrained decoders above the analytic baseline, activations
 * spanning fewer dimensions than k, a claim not reproduced, corrected present or not) is read off
 * the verdicts the experiment decided (`verdicts`); facts about a protocol (where husai reads modular
 * addition, the std the report typed in) are stated as text, chosen by the verdicts' config facts.
 * Numbers are NumRefs.
 */
import { protocolChange } from '@saelab/results';
import { type NumRef } from './refs.js';
import { tasksInWords, taskTitle, type Run } from './run.js';
import { rangeSegments, taskRef, verdictOf, type Segment } from './summary.js';
import { diffConfigs, showValue } from './config-diff.js';
import { listInWords } from './format.js';
import { claimOf, measured, taskFinding, type Finding } from './findings-task.js';
import { AGREEMENT_SHORT, syntheticFinding } from './findings-truth.js';
import { architectureFinding, isArchitectureRun } from './findings-architectures.js';

export { budgetSentences, runOfFolder, subspaceSentences, type Finding } from './findings-task.js';

const SIDE_WORDS = {
  above: ', so the untrained decoders sit above it. ',
  below: ', so the untrained decoders sit below it. ',
  consistent: ': the untrained decoders behave like the isotropic random directions the formula assumes. ',
} as const;

/** The untrained decoders' PWMCC against the analytic baseline, why they differ, and which control is the right one. */
function baselineFinding(run: Run): Finding | undefined {
  // Tasks with the same untrained decoders (same seeds and sizes) give the same values: quote them once.
  const groups = new Map<string, number[]>();
  run.results.tasks.forEach((task, t) => {
    if (verdictOf(run, t).untrainedVsAnalytic === null) return;
    const key = `${task.randomBaseline.empirical.mean}/${task.randomBaseline.analytic}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  });
  if (groups.size === 0) return undefined;
  const paragraphs: Segment[][] = [];
  for (const ts of groups.values()) {
    const t = ts[0]!;
    const v = verdictOf(run, t);
    const num = taskRef(run, t);
    const on = tasksInWords(run, ts);
    paragraphs.push(['Untrained decoders agree at ', num(['randomBaseline', 'empirical', 'mean']),
      ` on ${on}; the analytic baseline is `,
      num(['randomBaseline', 'analytic']), ' (one-sample t-test of the untrained pairs against it: p ',
      num(['trainedVsRandom', 'analytic', 'random', 'p'], 'p'), ')', SIDE_WORDS[v.untrainedVsAnalytic!]]);
    if (v.untrainedVsAnalytic !== 'above') continue;
    const shapes = ['randomBaseline', 'initShapes'];
    const sample = (which: string): Segment[] => [num([...shapes, which, 'mean']), ' (std ',
      num([...shapes, which, 'std']), ')'];
    const draws = run.results.tasks[t]!.randomBaseline.initShapes.uniform.values.length;
    paragraphs.push(['The analytic baseline assumes random directions spread evenly over the sphere. The SAEs '
      + 'initialise their decoder rows Kaiming-uniform: each entry is uniform, so each row is a point uniform in a '
        + 'cube, not on a sphere. ',
    `Pairs of random dictionaries of this size (${draws} pairs each) agree at `, ...sample('uniform'),
    ' with uniform entries and at ',
    ...sample('gaussian'), ' with Gaussian ones (Welch p ', num([...shapes, 'welch', 'p'], 'p'), v.uniformAboveGaussian
      ? '): directions uniform in a cube lean toward its corners and match each other slightly better, which accounts '
        + 'for the gap. '
      : '): the entries\' distribution does not account for the gap at this size, so its cause is not known here. ',
    'The right control is therefore the untrained decoders themselves (the empirical baseline), which is what the '
      + 'answer and the task pages compare with.']);
  }
  return { id: `${run.name}-baseline`, title: `Untrained decoders and the analytic baseline, ${run.name} protocol`,
    paragraphs };
}

/** Dead latents against the report's, with the reason when they differ. */
function deadFinding(run: Run): Finding | undefined {
  const v = claimOf(run, 'copy-dead');
  if (!run.results.verdicts.followsReport || !v || v.status === 'not measured') return undefined;
  const first: Segment[] = ['On sequence copying the report found ', v.reported, ' of latents dead; we find ',
    ...measured(run, v)];
  return {
    id: `${run.name}-dead`,
    title: `Dead latents, ${run.name} protocol`,
    paragraphs: [v.status === 'reproduced'
      ? [...first, ', within the tolerance (', v.tolerance, ').']
      : [...first, ', outside the tolerance (', v.tolerance,
        '). Our copy transformer is a different trained model from the '
        + 'report\'s: the same architecture and data, but other random streams than PyTorch\'s, so its activations are '
        + 'distributed differently, and how many latents never fire in the final epoch is sensitive to that '
          + 'distribution.']],
  };
}

/** The report's z-test against what the measured stds give (the std it used was typed in). */
function zTestFinding(runs: readonly Run[]): Finding | undefined {
  const measuredRuns = runs.filter((r) => r.results.comparison && claimOf(r, 'z')?.status !== 'not measured');
  const claims = measuredRuns[0]?.results.verdicts.claims;
  if (!claims) return undefined;
  const reported = (id: string) => claims.find((c) => c.id === id)!.reported;
  const paragraphs: Segment[][] = [[`The report compared the two tasks with a two-sample z-test (z ${reported('z')}, `
    + `p ${reported('p')}) that used a modular std of ${reported('modular-pwmcc-std')}, typed in rather than `
    + 'computed.']];
  for (const r of measuredRuns) {
    const c = r.results.comparison!;
    const [a, b] = c.tasks.map((name) => r.results.tasks.findIndex((t) => t.name === name)) as [number, number];
    const ref = (path: (string | number)[], style: NumRef['style'] = 'pwmcc'): NumRef =>
      ({ config: r.name, path, style });
    paragraphs.push([`Under ${r.name}, the pairwise PWMCC values have stds of `,
      ref(['tasks', a, 'pwmcc', 'std']), ` (${c.tasks[0]}) and `,
      ref(['tasks', b, 'pwmcc', 'std']), ` (${c.tasks[1]}), so the same small difference in means (`,
      ref(['comparison', 'zTest', 'diff']),
      ') gives z = ', ref(['comparison', 'zTest', 'z'], 'fixed2'), r.results.verdicts.comparison?.significant
        ? '. So the tasks\' means do differ, if only slightly; that says nothing about whether either agrees above '
          + 'chance.'
        : '. Even with the measured stds the tasks\' means do not differ significantly.']);
  }
  return { id: 'z-test', title: 'The report\'s z-test', paragraphs };
}

/**
 * Why the second protocol still cannot answer the question: the tasks where its decoders barely moved, or its
 * activations fit in k.
 */
function unresolvedReasons(run: Run, change: NonNullable<ReturnType<typeof protocolChange>>): string {
  const titles = (pick: (v: (typeof change.tasks)[number]['verdicts'][1]) => boolean) => listInWords(change.tasks
    .filter((t) => pick(t.verdicts[1])).map((t) => taskTitle(run.results.tasks[t.at[1]]!.kind)));
  const barely = titles((v) => v.movement === 'barely');
  const within = titles((v) => v.dimension === 'within k');
  const reasons = [barely && `its decoders still barely leave their random start (on ${barely})`,
    within && `its activations still span no more dimensions than k (on ${within})`].filter(Boolean).join(', and ');
  return `The corrected protocol does not settle the question: ${reasons}, so full-space PWMCC just above chance `
    + `cannot say whether `
    + 'seeds learn the same features; the subspace PWMCC of each task above measures agreement where the data lives '
    + 'instead. A test of the question needs activations richer than k dimensions, SAEs whose decoders move, and a '
      + 'task whose features are known.';
}

/**
 * Whether the corrected protocol changes the conclusion: per task present in both runs, the mean PWMCC
 * under each and its verdicts (agreement, how far the decoders moved, the dimension argument); then
 * whether any of those verdicts changed (@saelab/results' protocolChange).
 */
function protocolFinding(runs: readonly Run[]): Finding | undefined {
  const husai = runs.find((r) => r.name === 'husai');
  const corrected = runs.find((r) => r.name === 'corrected');
  const change = husai && corrected ? protocolChange(husai.results, corrected.results) : undefined;
  if (!husai || !corrected || !change) return undefined;
  const paragraphs: Segment[][] = change.tasks.map(({ at: [t, c], verdicts: [vh, vc] }) => {
    const h = taskRef(husai, t);
    const k = taskRef(corrected, c);
    return [`On ${taskTitle(husai.results.tasks[t]!.kind)}, mean PWMCC goes from `, h(['pwmcc', 'mean']),
      ` (husai: ${AGREEMENT_SHORT[vh.agreement]}) to `, k(['pwmcc',
        'mean']), ` (corrected: ${AGREEMENT_SHORT[vc.agreement]}), `
      + 'against untrained decoders at ', k(['randomBaseline', 'empirical', 'mean']),
      '; each decoder\'s PWMCC with its own start is ',
      ...rangeSegments(corrected, c, 'trainedVsInit', 'pwmcc'), ' under corrected (',
      ...rangeSegments(husai, t, 'trainedVsInit', 'pwmcc'),
      ' under husai), and 99% of the activations\' variance lies in ',
      k(['activations', 'spectrum', 'componentsFor', '0.99'], 'int'),
      ' components for k = ', k(['saes', 0, 'k'], 'int'), ' latents. '];
  });
  paragraphs.push([change.changed
    ? 'Some of these verdicts differ between the protocols (see each task above). '
    : 'The verdicts are the same under both protocols. ',
  change.unresolved ? unresolvedReasons(corrected, change) : 'Under the corrected protocol the decoders moved and the '
    + 'activations span more dimensions than k, so its PWMCC compares learned dictionaries.']);
  return { id: 'protocols', title: 'Does the corrected protocol change the conclusion?', paragraphs };
}

/**
 * A recipe that failed, beside one that worked: for every task whose transformer did not solve it, the runs in
 * which the same task was solved, with the transformer settings that differ (from the configs) and both outcomes.
 */
function recipeFindings(runs: readonly Run[]): Finding[] {
  const out: Finding[] = [];
  for (const failed of runs) {
    failed.results.tasks.forEach((task, t) => {
      if (verdictOf(failed, t).solved !== false) return; // solved, or no transformer (generated activations)
      const paragraphs: Segment[][] = [];
      for (const other of runs) {
        const o = other.results.tasks.findIndex((x) => x.name === task.name);
        if (other === failed || o < 0 || !verdictOf(other, o).solved) continue;
        // Only a pair whose task configs differ in the transformer's training alone says the recipe is what failed.
        const changes = diffConfigs(failed.results.config.tasks[task.name], other.results.config.tasks[task.name]);
        if (changes.length === 0 || changes.some((c) => !c.path.startsWith('transformer.'))) continue;
        const f = taskRef(failed, t);
        const k = taskRef(other, o);
        const what = changes.map((c) => `${c.path.slice('transformer.'.length)} ${showValue(c.a)} (${failed.name}) `
          + `against ${showValue(c.b)} (${other.name})`).join('; ');
        paragraphs.push([`On ${taskTitle(task.kind)}, the transformer trained with ${what}. Under ${failed.name} it `
          + `reached `,
          f(['transformer', 'valAccuracy'], 'percent'), ' validation accuracy after ',
          f(['transformer', 'epochs'], 'int'),
          ` epochs and did not solve its task; under ${other.name} it reached `,
          k(['transformer', 'valAccuracy'], 'percent'),
          ' after ', k(['transformer', 'epochs'], 'int'), ' epochs. Nothing else in how the transformer was trained '
            + 'differs, so the '
          + `recipe is what failed; the curves are on the task pages of both runs, and ${failed.name}'s SAEs, trained `
            + `on a model that `
          + 'did not compute the answer, are kept as that finding.']);
      }
      if (paragraphs.length > 0) {
        out.push({ id: `${failed.name}-${task.name}-recipe`,
          title: `A recipe that failed: ${taskTitle(task.kind)}, ${failed.name}`, paragraphs });
      }
    });
  }
  return out;
}

/** Every finding for the runs present, in reading order. */
export function findings(runs: readonly Run[]): Finding[] {
  const out: Finding[] = [];
  for (const run of runs) {
    run.results.tasks.forEach((_, t) => out.push(taskFinding(run, t)));
    const baseline = baselineFinding(run);
    if (baseline) out.push(baseline);
    const dead = deadFinding(run);
    if (dead) out.push(dead);
  }
  const z = zTestFinding(runs);
  if (z) out.push(z);
  const change = protocolFinding(runs);
  if (change) out.push(change);
  // The positive control's finding reads runs of one or two SAE settings; a run comparing architectures has its own.
  const control = syntheticFinding(runs.filter((r) => !isArchitectureRun(r)));
  if (control) out.push(control);
  const architectures = architectureFinding(runs);
  if (architectures) out.push(architectures);
  out.push(...recipeFindings(runs));
  if (!runs.some((r) => r.name === 'corrected')) {
    out.push({
      id: 'corrected', title: 'The corrected protocol',
      paragraphs: [['Its results are not here yet (no corrected/results.json in the results folder this site was built '
        + 'from). Once they are, this page gives its findings beside these, written by the same rules.']],
    });
  }
  return out;
}
