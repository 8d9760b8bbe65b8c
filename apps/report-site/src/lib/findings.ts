/**
 * "Why our numbers are what they are": the reasons behind the measurements, one short item per
 * finding. Like the answer paragraph, every item is written from the numbers by fixed rules: a
 * sentence that depends on a condition (untrained decoders above the analytic baseline, activations
 * spanning fewer dimensions than k, a claim not reproduced, corrected present or not) is generated
 * from the values in results.json; facts about a protocol (where husai reads modular addition, the
 * std the report typed in) are stated as text, chosen by the run's own config. Numbers are NumRefs.
 */
import { CLAIMS, scorecard, type Verdict } from './claims.js';
import { valueAt, type NumRef } from './refs.js';
import { TASK_TITLES, type Run } from './run.js';
import {
  agreement, BARELY_MOVED, dimension, dimensionRefs, movement, rangeSegments, STABILITY_THRESHOLD, taskRef, type Segment,
} from './summary.js';
import { listInWords } from './format.js';

export interface Finding {
  /** Stable id (the section's anchor on the page). */
  id: string;
  title: string;
  paragraphs: Segment[][];
}

/** The report's claims are compared for runs of its own SAE variant (the husai protocol and its derivatives). */
const followsReport = (run: Run) => run.results.config.sae.variant === 'husai';

const verdictOf = (verdicts: Verdict[], id: string) => verdicts.find((v) => v.claim.id === id);

/** A verdict's measured values as segments: one value (also for a range whose ends are equal), "a-b", or "[a, b]". */
function measured(run: Run, v: Verdict): Segment[] {
  const [a, b] = v.measured;
  if (!a) return [];
  if (v.shape === 'single' || !b) return [a];
  if (v.shape === 'range' && valueAt(run.results, a.path) === valueAt(run.results, b.path)) return [a];
  return v.shape === 'range' ? [a, '-', b] : ['[', a, ', ', b, ']'];
}

/** Validation accuracy at which a transformer counts as having solved its task (the protocol's stopping rule uses 0.99). */
const SOLVED = 0.99;

/** Where the protocol reads a modular task, and whether the label leaks there (a fact of the config). */
function readSentences(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  const cfg = run.results.config.tasks[task.name];
  const num = taskRef(run, t);
  const trained: Segment[] = ['The transformer reached ', num(['transformer', 'valAccuracy'], 'percent'), ' validation accuracy after ',
    num(['transformer', 'epochs'], 'int'), ' epochs. '];
  if (task.transformer.valAccuracy < SOLVED) {
    trained.push(`It did not solve its task (below ${(SOLVED * 100).toFixed(0)}% validation accuracy) within its budget of `,
      num(['transformer', 'epochBudget'], 'int'), ' epochs, so the SAEs decompose the activations of a model that computes the answer only part of the time. ');
  }
  if (cfg?.kind === 'modular' && cfg.readAt === 'answer') {
    return [`This protocol reads modular addition at position ${task.activations.position}, which holds the answer itself: a causal model sees the label there `
      + '(label leakage), so reading it takes no computation. ', ...trained];
  }
  if (cfg?.kind === 'modular' && cfg.readAt === 'equals') {
    return [`This protocol reads modular addition at the equals sign (position ${task.activations.position}), where the answer must be computed. `, ...trained];
  }
  return trained;
}

/** Whether the transformer was reused from another run (environment.reusedTransformers). */
function reuseSentence(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  const from = run.results.environment.reusedTransformers?.[task.name];
  if (!from) return [];
  return [`The transformer of this task was trained once, by the ${runOfFolder(from)} run, and reused here (same stage key), so on this task the `
    + 'protocols differ only in what follows the transformer. '];
}

/** The run a reused transformer came from: the last part of its folder (results/<config>). */
export const runOfFolder = (folder: string): string => folder.split(/[\\/]/).filter((p) => p && p !== '.').pop() ?? folder;

const AGREEMENT_WORDS: Record<ReturnType<typeof agreement>, string> = {
  stable: 'at or above the stability threshold',
  chance: 'no better than chance: the bootstrap interval holds the untrained decoders\' mean',
  'above chance': `above the untrained decoders, but far short of the ${STABILITY_THRESHOLD.toFixed(2)} a stable dictionary would reach`,
  'below chance': 'below even the untrained decoders',
};

/** Seed agreement against its controls, with the report's number where this run follows the report. */
function agreementSentences(run: Run, t: number, verdicts: Verdict[]): Segment[] {
  const task = run.results.tasks[t]!;
  const num = taskRef(run, t);
  const out: Segment[] = ['Seeds agree at a mean PWMCC of ', num(['pwmcc', 'mean']), ' (bootstrap 95% interval ', num(['bootstrap', 'ci95', 0]), '-',
    num(['bootstrap', 'ci95', 1]), ')'];
  const claim = followsReport(run) ? verdictOf(verdicts, `${task.kind}-pwmcc-mean`) : undefined;
  if (claim && claim.status !== 'not measured') {
    out.push(claim.status === 'reproduced' ? `, which reproduces the report's ${claim.claim.reported}` : `, where the report had ${claim.claim.reported} (not reproduced)`);
  }
  out.push('. Untrained decoders with the same seeds give ', num(['randomBaseline', 'empirical', 'mean']), ' (the analytic chance level is ',
    num(['randomBaseline', 'analytic']), '): trained minus untrained is ', num(['trainedVsRandom', 'diff']), ' (Welch p ', num(['trainedVsRandom', 'welch', 'p'], 'p'),
    `), ${AGREEMENT_WORDS[agreement(task)]}. `);
  if (followsReport(run) && task.kind === 'copy') {
    const also = ['copy-ev', 'copy-l0'].map((id) => verdictOf(verdicts, id)).filter((v): v is Verdict => v?.status === 'reproduced');
    if (also.length > 0) {
      const names: Record<string, string> = { 'copy-ev': 'explained variance', 'copy-l0': 'L0' };
      also.forEach((v, i) => out.push(i === 0 ? 'The report\'s ' : i === also.length - 1 ? ' and ' : ', ', `${names[v.claim.id]} (`, ...measured(run, v), ')'));
      out.push(also.length > 1 ? ' reproduce too. ' : ' reproduces too. ');
    }
  }
  return out;
}

function movementSentence(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  if (task.saes.length === 0) return [];
  const range = rangeSegments(run, t, 'trainedVsInit', 'pwmcc');
  switch (movement(task)) {
    case 'barely': return ['Yet training barely moved the decoders: each one\'s PWMCC with its own initialisation is ', ...range, ' (1 means unchanged). '];
    case 'moved': return ['The decoders moved away from their initialisation (PWMCC of each with its own start: ', ...range, '). '];
    case 'mixed': return ['Some decoders barely moved from their initialisation and some did (PWMCC of each with its own start: ', ...range,
      `; at least ${BARELY_MOVED} counts as barely moved). `];
  }
}

/** The dimension argument, in plain words, with its consequence for what PWMCC can show. */
function dimensionSentences(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  const refs = dimensionRefs(run, t);
  if (!refs) return [];
  const { d, n, pr, k, ev } = refs;
  if (d === 'within k') {
    return [agreement(task) === 'stable' ? 'The activations need only ' : 'Why: the activations need only ', n, ' principal components for 99% of their variance (participation ratio ', pr, '), while each sample uses k = ', k,
      ' latents. With k at or above the data\'s dimension, the k decoder directions a sample uses span the subspace it lies in whatever those directions are, '
      + 'so even a random decoder can reconstruct it, and reconstruction succeeds (explained variance ', ...ev, ') without the SAE having to learn '
      + 'particular directions. ', agreement(task) === 'stable'
      ? 'Reconstruction alone therefore does not explain why the seeds agree here. '
      : 'There is nothing for seeds to agree on, so on this task PWMCC cannot tell whether seeds learn the same features. '];
  }
  const out: Segment[] = ['The activations need ', n, ' principal components for 99% of their variance (participation ratio ', pr, '), more than the k = ', k,
    ' latents each sample uses, so here a decoder cannot reconstruct them merely by spanning their subspace (explained variance ', ...ev, '). '];
  if (movement(task) === 'barely' && agreement(task) === 'chance') {
    out.push('Still, the decoders stayed close to their random starts, so chance-level agreement here compares nearly untrained dictionaries. ');
  }
  return out;
}

function taskFinding(run: Run, t: number, verdicts: Verdict[]): Finding {
  const task = run.results.tasks[t]!;
  const title = TASK_TITLES[task.kind];
  return {
    id: `${run.name}-${task.name}`,
    title: `${title[0]!.toUpperCase()}${title.slice(1)}, ${run.name} protocol`,
    paragraphs: [
      [...readSentences(run, t), ...reuseSentence(run, t), ...agreementSentences(run, t, verdicts)],
      [...movementSentence(run, t), ...dimensionSentences(run, t)],
    ].filter((p) => p.length > 0),
  };
}

/** The untrained decoders' PWMCC against the analytic baseline, and which control is the right one. */
function baselineFinding(run: Run): Finding | undefined {
  // Tasks with the same untrained decoders (same seeds and sizes) give the same values: quote them once.
  const groups = new Map<string, number[]>();
  run.results.tasks.forEach((task, t) => {
    if (!task.trainedVsRandom.analytic) return;
    const key = `${task.randomBaseline.empirical.mean}/${task.randomBaseline.analytic}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  });
  if (groups.size === 0) return undefined;
  const paragraphs: Segment[][] = [];
  let above = false;
  for (const ts of groups.values()) {
    const t = ts[0]!;
    const task = run.results.tasks[t]!;
    const num = taskRef(run, t);
    const test = task.trainedVsRandom.analytic!.random;
    const on = listInWords(ts.map((i) => TASK_TITLES[run.results.tasks[i]!.kind]));
    const values: Segment[] = ['Untrained decoders agree at ', num(['randomBaseline', 'empirical', 'mean']), ` on ${on}; the analytic baseline is `,
      num(['randomBaseline', 'analytic']), ' (one-sample t-test of the untrained pairs against it: p ', num(['trainedVsRandom', 'analytic', 'random', 'p'], 'p'), ')'];
    const significant = test.p !== null && test.p < 0.05;
    if (significant && test.diff > 0) {
      above = true;
      paragraphs.push([...values, ', so the untrained decoders sit above it. ']);
    } else if (significant) {
      paragraphs.push([...values, ', so the untrained decoders sit below it. ']);
    } else {
      paragraphs.push([...values, ': the untrained decoders behave like the isotropic random directions the formula assumes. ']);
    }
  }
  if (above) {
    paragraphs.push([run.results.config.sae.variant === 'husai'
      ? 'The analytic baseline assumes random directions spread evenly over the sphere. The husai SAEs initialise their decoder columns Kaiming-uniform: '
        + 'each entry is uniform, so each column is a point uniform in a cube, not on a sphere, and such directions lean toward the cube\'s corners and match '
        + 'each other slightly better. (A numerical check with random dictionaries of this size, uniform against Gaussian, shows the same gap.) '
      : 'The analytic baseline assumes random directions spread evenly over the sphere; this run\'s initial decoders are evidently not exactly so. ',
    'The right control is therefore the untrained decoders themselves (the empirical baseline), which is what the answer and the task pages compare with.']);
  }
  return { id: `${run.name}-baseline`, title: `Untrained decoders and the analytic baseline, ${run.name} protocol`, paragraphs };
}

/** Dead latents against the report's, with the reason when they differ. */
function deadFinding(run: Run, verdicts: Verdict[]): Finding | undefined {
  const v = verdictOf(verdicts, 'copy-dead');
  if (!followsReport(run) || !v || v.status === 'not measured') return undefined;
  const first: Segment[] = ['On sequence copying the report found ', v.claim.reported, ' of latents dead; we find ', ...measured(run, v)];
  return {
    id: `${run.name}-dead`,
    title: `Dead latents, ${run.name} protocol`,
    paragraphs: [v.status === 'reproduced'
      ? [...first, ', within the tolerance (', v.claim.tolerance, ').']
      : [...first, ', outside the tolerance (', v.claim.tolerance, '). Our copy transformer is a different trained model from the report\'s: the same architecture and data, '
        + 'but other random streams than PyTorch\'s, so its activations are distributed differently, and how many latents never fire in the final epoch '
        + 'is sensitive to that distribution.']],
  };
}

/** The report's z-test against what the measured stds give (the std it used was typed in). */
function zTestFinding(runs: readonly Run[]): Finding | undefined {
  const z = CLAIMS.find((c) => c.id === 'z')!;
  const p = CLAIMS.find((c) => c.id === 'p')!;
  const std = CLAIMS.find((c) => c.id === 'modular-pwmcc-std')!;
  const measuredRuns = runs.filter((r) => {
    const c = r.results.comparison;
    return c && scorecard(r).find((v) => v.claim.id === 'z')?.status !== 'not measured';
  });
  if (measuredRuns.length === 0) return undefined;
  const paragraphs: Segment[][] = [[`The report compared the two tasks with a two-sample z-test (z ${z.reported}, p ${p.reported}) that used a modular std of `
    + `${std.reported}, typed in rather than computed.`]];
  for (const r of measuredRuns) {
    const c = r.results.comparison!;
    const [a, b] = c.tasks.map((name) => r.results.tasks.findIndex((t) => t.name === name)) as [number, number];
    const ref = (path: (string | number)[], style: NumRef['style'] = 'pwmcc'): NumRef => ({ config: r.name, path, style });
    paragraphs.push([`Under ${r.name}, the pairwise PWMCC values have stds of `, ref(['tasks', a, 'pwmcc', 'std']), ` (${c.tasks[0]}) and `,
      ref(['tasks', b, 'pwmcc', 'std']), ` (${c.tasks[1]}), so the same small difference in means (`, ref(['comparison', 'zTest', 'diff']),
      ') gives z = ', ref(['comparison', 'zTest', 'z'], 'fixed2'), c.zTest.p !== null && c.zTest.p < 0.05
        ? '. So the tasks\' means do differ, if only slightly; that says nothing about whether either agrees above chance.'
        : '. Even with the measured stds the tasks\' means do not differ significantly.']);
  }
  return { id: 'z-test', title: 'The report\'s z-test', paragraphs };
}

/** Every finding for the runs present, in reading order. */
/**
 * Whether the corrected protocol changes the conclusion: per task present in both runs, the mean PWMCC
 * under each and what the rules say of it (agreement, how far the decoders moved, the dimension argument);
 * then one sentence on whether any of those verdicts changed.
 */
const AGREEMENT_SHORT: Record<ReturnType<typeof agreement>, string> = {
  stable: 'stable', chance: 'chance level', 'above chance': 'above chance, far from stable', 'below chance': 'below chance',
};

function protocolFinding(runs: readonly Run[]): Finding | undefined {
  const husai = runs.find((r) => r.name === 'husai');
  const corrected = runs.find((r) => r.name === 'corrected');
  if (!husai || !corrected) return undefined;
  const paragraphs: Segment[][] = [];
  let changed = false;
  let unresolved = false;
  for (const [t, task] of husai.results.tasks.entries()) {
    const c = corrected.results.tasks.findIndex((x) => x.name === task.name);
    if (c < 0) continue;
    const other = corrected.results.tasks[c]!;
    const verdict = (x: typeof task) => [agreement(x), movement(x), dimension(x)].join('/');
    if (verdict(task) !== verdict(other)) changed = true;
    if (movement(other) === 'barely' || dimension(other) === 'within k') unresolved = true;
    const h = taskRef(husai, t);
    const k = taskRef(corrected, c);
    paragraphs.push([`On ${TASK_TITLES[task.kind]}, mean PWMCC goes from `, h(['pwmcc', 'mean']), ` (husai: ${AGREEMENT_SHORT[agreement(task)]}) to `,
      k(['pwmcc', 'mean']), ` (corrected: ${AGREEMENT_SHORT[agreement(other)]}), against untrained decoders at `, k(['randomBaseline', 'empirical', 'mean']),
      '; each decoder\'s PWMCC with its own start is ', ...rangeSegments(corrected, c, 'trainedVsInit', 'pwmcc'), ' under corrected (',
      ...rangeSegments(husai, t, 'trainedVsInit', 'pwmcc'), ' under husai), and 99% of the activations\' variance lies in ',
      k(['activations', 'spectrum', 'componentsFor', '0.99'], 'int'), ' components for k = ', k(['saes', 0, 'k'], 'int'), ' latents. ']);
  }
  if (paragraphs.length === 0) return undefined;
  paragraphs.push([changed
    ? 'Some of these verdicts differ between the protocols (see each task above). '
    : 'The verdicts are the same under both protocols. ',
  unresolved
    ? 'The corrected protocol does not rescue the experiment: its decoders still barely leave their random start or its activations still span no more dimensions than k, so PWMCC near chance (or just above it) still cannot say whether seeds learn the same features. A test of that question needs activations richer than k dimensions and SAEs whose decoders move.'
    : 'Under the corrected protocol the decoders moved and the activations span more dimensions than k, so its PWMCC compares learned dictionaries.']);
  return { id: 'protocols', title: 'Does the corrected protocol change the conclusion?', paragraphs };
}

export function findings(runs: readonly Run[]): Finding[] {
  const out: Finding[] = [];
  for (const run of runs) {
    const verdicts = scorecard(run);
    run.results.tasks.forEach((_, t) => out.push(taskFinding(run, t, verdicts)));
    const baseline = baselineFinding(run);
    if (baseline) out.push(baseline);
    const dead = deadFinding(run, verdicts);
    if (dead) out.push(dead);
  }
  const z = zTestFinding(runs);
  if (z) out.push(z);
  const change = protocolFinding(runs);
  if (change) out.push(change);
  if (!runs.some((r) => r.name === 'corrected')) {
    out.push({
      id: 'corrected', title: 'The corrected protocol',
      paragraphs: [['Its results are not here yet (no corrected/results.json in the results folder this site was built from). Once they are, '
        + 'this page gives its findings beside these, written by the same rules.']],
    });
  }
  return out;
}
