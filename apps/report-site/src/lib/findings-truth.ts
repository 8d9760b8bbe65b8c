/**
 * Tasks with known features (the synthetic positive control): what generated the activations, how much of the truth
 * the SAEs recover, and, across runs, whether seeds agree when real features exist, beside the transformer tasks.
 * Every sentence is chosen by the verdicts in results.json (`recovery`, `agreement`); numbers are NumRefs.
 */
import type { Agreement, TaskVerdict } from '@saelab/results';
import { listInWords } from './format.js';
import type { NumRef, Path } from './refs.js';
import { saeSetting, taskLabel, type Run } from './run.js';
import { taskRef, verdictOf, type Segment } from './summary.js';
import type { NumberStyle } from './format.js';

/** Agreement verdicts in a few words. */
export const AGREEMENT_SHORT: Record<Agreement, string> = {
  stable: 'stable', chance: 'chance level', 'above chance': 'above chance, below the stability threshold',
  'below chance': 'below chance',
};

/** A number reference from the root of a run's results.json (its config, for the generator's settings). */
const rootRef = (run: Run) => (path: Path, style: NumberStyle = 'pwmcc'): NumRef => ({ config: run.name, path, style });

/** A generator setting of a generated task, from its config (undefined when the config does not hold it). */
function generatorField(run: Run, t: number, key: string): unknown {
  const task = run.results.tasks[t]!;
  return (run.results.config.tasks[task.name] as Record<string, unknown> | undefined)?.[key];
}

const DECAY: Record<string, string> = {
  exponential: 'a feature\'s firing probability decays exponentially with its index',
  power: 'a feature\'s firing probability falls as a power of its index',
};
const MAGNITUDES: Record<string, string> = {
  uniform: 'a firing feature\'s magnitude is drawn uniformly',
  exponential: 'a firing feature\'s magnitude is exponentially distributed',
};
/** A part's first segment (a string here) with its first letter capitalised. */
const capitalise = (p: Segment[]): string => {
  const s = p[0] as string;
  return `${s[0]!.toUpperCase()}${s.slice(1)}`;
};

/**
 * The data of a generated task: how many true features in how many dimensions, how many fire per sample, how many
 * samples, and the generator's other settings from the config. Empty for a task without a truth.
 */
export function dataSentences(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  if (!task.truth) return [];
  const num = taskRef(run, t);
  const config = (key: string, style: NumberStyle): Segment[] => (typeof generatorField(run, t, key) === 'number'
    ? [rootRef(run)(['config', 'tasks', task.name, key], style)] : []);
  const out: Segment[] = ['No transformer here: the activations are generated. Each of the ',
    num(['activations', 'count'], 'int'), ' samples is a sparse sum of ', num(['truth', 'features'], 'int'),
    ' known unit features in ', num(['truth', 'd'], 'int'), ' dimensions, on average ',
    num(['truth', 'meanActive'], 'fixed2'), ' of them active per sample'];
  const asked = config('meanActive', 'fixed2');
  if (asked.length > 0) out.push(' (the config asks for ', ...asked, ')');
  out.push('. ');
  const decay = generatorField(run, t, 'decay');
  const magnitudes = generatorField(run, t, 'magnitudes');
  const correlation = generatorField(run, t, 'correlation');
  const noise = generatorField(run, t, 'noise');
  const parts: Segment[][] = [];
  if (typeof decay === 'string') parts.push([DECAY[decay] ?? `firing probabilities decay: ${decay}`]);
  if (typeof magnitudes === 'string') parts.push([MAGNITUDES[magnitudes] ?? `magnitudes: ${magnitudes}`]);
  if (typeof correlation === 'number') parts.push(correlation === 0 ? ['features fire independently']
    : ['firing correlation ', ...config('correlation', 'fixed2'), ' within groups of features']);
  if (typeof noise === 'number') parts.push(noise === 0 ? ['no noise is added']
    : ['Gaussian noise of std ', ...config('noise', 'fixed3'), ' is added']);
  parts.forEach((p, i) => out.push(i === 0 ? capitalise(p) : '; ', ...(i === 0 ? p.slice(1) : p)));
  if (parts.length > 0) out.push('. ');
  return out;
}

/** Indices of the seed pairs with the fewest and the most true features recovered by both SAEs. */
function pairRange(run: Run, t: number): [number, number] {
  const order = run.results.tasks[t]!.truth!.pairs.map((p, i) => ({ i, v: p.bothRecovered90 }))
    .sort((a, b) => a.v - b.v);
  return [order[0]!.i, order[order.length - 1]!.i];
}

/** The recovery verdicts in words, with the rules' thresholds (as percentages). */
export const recoveryWords = (run: Run): Record<NonNullable<TaskVerdict['recovery']>, string> => {
  const { recoveredMost, recoveredNone } = run.results.verdicts.rules;
  const most = `${(100 * recoveredMost).toFixed(0)}%`;
  return {
    most: `most of the true features (at least the ${most} the rules count as most, on average)`,
    some: `part of the true features (more than ${(100 * recoveredNone).toFixed(0)}% but less than the ${most} the `
      + 'rules count as most, on average)',
    none: `next to none of the true features (below ${(100 * recoveredNone).toFixed(0)}% on average)`,
  };
};

/** How much of the truth the decoders recover, against chance and the untrained decoders, and per seed pair. */
export function recoverySentences(run: Run, t: number): Segment[] {
  const task = run.results.tasks[t]!;
  const v = verdictOf(run, t);
  if (!task.truth || v.recovery === null) return [];
  const num = taskRef(run, t);
  const mean = (...path: string[]) => ['truth', 'mean', ...path];
  const [lo, hi] = pairRange(run, t);
  const both = (i: number) => num(['truth', 'pairs', i, 'bothRecovered90'], 'percent');
  const pairs = task.truth.pairs;
  const range: Segment[] = pairs[lo]!.bothRecovered90 === pairs[hi]!.bothRecovered90 ? [both(lo)]
    : [both(lo), ' to ', both(hi)];
  return ['Against the ', num(['truth', 'features'], 'int'), ' true features, the decoders recover on average ',
    num(mean('decoder', 'recovered90'), 'percent'), ' at |cos| ≥ 0.9 and ', num(mean('decoder', 'recovered99'),
      'percent'), ' at ≥ 0.99 (MMCS ', num(mean('decoder', 'mmcs')), ', against ', num(['truth', 'chance', 'mmcs']),
    ' for random directions and ', num(mean('untrained', 'mmcs')), ' for the untrained decoders)',
    `: they find ${recoveryWords(run)[v.recovery]}. `,
    ...(pairs.length > 0 ? ['Both SAEs of a seed pair recover ', ...range, ' of the true features at |cos| ≥ 0.9. ']
      : [])];
}

/** Seed agreement read beside recovery: what PWMCC says on a task whose features are known. */
export function truthReading(run: Run, t: number): Segment[] {
  const v = verdictOf(run, t);
  if (v.recovery === null) return [];
  const num = taskRef(run, t);
  const threshold = run.results.verdicts.rules.stabilityThreshold.toFixed(2);
  const out: Segment[] = [];
  if (v.recovery === 'none') {
    out.push('With the truth not recovered, this agreement is not agreement on the features the data holds. ');
  } else if (v.recovery === 'some') {
    out.push('The SAEs find part of the truth, so this agreement is not yet agreement on all the features the data '
      + 'holds. ');
  } else if (v.agreement === 'stable') {
    out.push('SAEs that find the true features find the same ones, and PWMCC shows it: on this data it registers '
      + 'shared features. ');
  } else {
    out.push(`They find most true features, yet agree below the ${threshold} stability threshold: PWMCC averages over `
      + 'every latent, and latents that match no true feature pull it down (each latent\'s best |cos| with a true '
      + 'feature averages ', num(['truth', 'mean', 'decoder', 'mmcsReverse']), '). ');
  }
  return out;
}

/** Whether seeds agree, against their untrained decoders, and what that says beside recovery. */
export function truthAgreementSentences(run: Run, t: number): Segment[] {
  const v = verdictOf(run, t);
  if (v.recovery === null) return [];
  const num = taskRef(run, t);
  return ['Seeds agree at a mean PWMCC of ', num(['pwmcc', 'mean']), ' against ',
    num(['randomBaseline', 'empirical', 'mean']), ` for their untrained decoders (${AGREEMENT_SHORT[v.agreement]}). `,
    ...truthReading(run, t)];
}

/** The tasks of the runs present with and without a known truth, as [run, task index] pairs. */
function tasksOf(runs: readonly Run[], generated: boolean): [Run, number][] {
  return runs.flatMap((run) => run.results.tasks.flatMap((task, t): [Run, number][] =>
    ((task.truth !== undefined) === generated ? [[run, t]] : [])));
}

/** Tasks in words, each with its run unless `oneRun` (every task named comes from the one run that has such tasks). */
const named = (list: [Run, number][], oneRun = false) =>
  listInWords(list.map(([r, t]) => (oneRun ? taskLabel(r, t) : `${taskLabel(r, t)} (${r.name})`)));

/**
 * Do seeds agree when real features exist? Per task with a known truth: recovery and agreement; per transformer task
 * of the runs present: agreement against its untrained decoders; then what the verdicts say together. Undefined when
 * no run has a generated task.
 */
export function syntheticFinding(runs: readonly Run[]): { id: string; title: string; paragraphs: Segment[][] }
    | undefined {
  const generated = tasksOf(runs, true);
  if (generated.length === 0) return undefined;
  const paragraphs: Segment[][] = [];
  const lead = 'The positive control generates activations from features that are known, so an SAE of any '
    + 'architecture can be scored against the truth and seed agreement read beside it. ';
  paragraphs.push([lead, ...generated.flatMap(([run, t]): Segment[] => {
    const num = taskRef(run, t);
    const v = verdictOf(run, t);
    return [`On ${taskLabel(run, t)} (${saeSetting(run.results.tasks[t]!)}; ${run.name} run), the decoders recover `,
      num(['truth', 'mean', 'decoder', 'recovered90'], 'percent'), ' of the ', num(['truth', 'features'], 'int'),
      ` true features at |cos| ≥ 0.9 (recovery: ${v.recovery}) and seeds agree at `, num(['pwmcc', 'mean']),
      ' against ', num(['randomBaseline', 'empirical', 'mean']), ` untrained (${AGREEMENT_SHORT[v.agreement]}). `];
  })]);
  const transformer = tasksOf(runs, false);
  if (transformer.length > 0) {
    paragraphs.push(['On the transformer tasks, seeds agree at ', ...transformer.flatMap(([run, t], i): Segment[] => {
      const num = taskRef(run, t);
      return [i === 0 ? '' : i === transformer.length - 1 ? ' and ' : '; ', num(['pwmcc', 'mean']), ' against ',
        num(['randomBaseline', 'empirical', 'mean']), ` untrained on ${taskLabel(run, t)} (${run.name}: `
        + `${AGREEMENT_SHORT[verdictOf(run, t).agreement]})`];
    }), '. ']);
  }
  paragraphs.push([conclusion(generated, transformer)]);
  return { id: 'positive-control', title: 'Do seeds agree when real features exist?', paragraphs };
}

/** What the recovery and agreement verdicts say together (words only; the numbers are in the paragraphs above). */
function conclusion(generated: [Run, number][], transformer: [Run, number][]): string {
  const v = ([r, t]: [Run, number]) => verdictOf(r, t);
  const isStable = (x: [Run, number]) => v(x).agreement === 'stable';
  const most = generated.filter((x) => v(x).recovery === 'most');
  const some = generated.filter((x) => v(x).recovery === 'some');
  const none = generated.filter((x) => v(x).recovery === 'none');
  const [first] = generated[0]!;
  const threshold = first.results.verdicts.rules.stabilityThreshold.toFixed(2);
  const words = recoveryWords(first);
  const oneRun = new Set(generated.map(([r]) => r)).size === 1;
  const list = (x: [Run, number][]) => named(x, oneRun);
  const out: string[] = [];
  const stable = most.filter(isStable);
  const unstable = most.filter((x) => !isStable(x));
  if (stable.length > 0) {
    out.push(`On ${list(stable)}, where the SAEs recover most of the true features, seeds agree at or above the `
      + `${threshold} stability threshold: when real features exist and are found, SAEs of different seeds find the `
      + 'same ones, and PWMCC registers it.');
  }
  if (unstable.length > 0) {
    out.push(`On ${list(unstable)}, the SAEs recover most of the true features${stable.length > 0 ? ' too' : ''}, yet `
      + 'seeds agree below the threshold: PWMCC averages over every latent, including latents no true feature '
      + 'matches, so it can stay low while the features themselves are shared.');
  }
  if (some.length > 0) {
    const above = some.filter(isStable);
    const below = some.filter((x) => !isStable(x));
    const agree = below.length === 0 ? `at or above the ${threshold} threshold`
      : above.length === 0 ? `below the ${threshold} threshold`
      : `at or above the ${threshold} threshold on ${list(above)} and below it on ${list(below)}`;
    out.push(`On ${list(some)}, the SAEs recover ${words.some}, and seeds agree ${agree}.`);
  }
  if (none.length > 0) {
    out.push(`On ${list(none)}, the SAEs recover next to none of the true features, so agreement there is not `
      + 'agreement on them.');
  }
  if (most.length === 0) {
    out.push('No synthetic task\'s SAEs recover most of the true features, so these runs do not yet show what seed '
      + 'agreement looks like when the SAEs find them.');
  }
  const agreeing = [...most, ...some].filter(isStable);
  const stableTransformer = transformer.filter(isStable);
  if (transformer.length > 0 && agreeing.length > 0) {
    out.push(stableTransformer.length === 0
      ? 'No transformer task reaches the threshold, so their low PWMCC is not a blind spot of the measure: given real '
        + 'features to find, SAEs of different seeds do agree by it.'
      : `Of the transformer tasks, ${named(stableTransformer)} reach${stableTransformer.length === 1 ? 'es' : ''} it `
        + 'too.');
  }
  return out.join(' ');
}
