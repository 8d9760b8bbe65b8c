/**
 * Results with generated tasks (the synthetic positive control) for the site's tests: the experiment's fixture builds
 * transformer tasks only, so each synthetic task here is one of its tasks with the transformer, hook and position
 * taken away and a `truth` put in, shaped as a real run writes them (a smoke run's file was the model). The verdicts
 * are decided again by the experiment's rules, and the result is checked against the results schema.
 */
import { parseResults, type Results, type TaskResult, type Truth } from '@saelab/results';
import { decide, makeResults, type TaskSpec } from '@saelab/experiments/fixture';

export interface SyntheticSpec {
  name: string;
  pairs: number[]; // the 10 pairwise PWMCC values of 5 seeds
  randomPairs?: number[];
  ci95?: [number, number];
  /** Per SAE (5 seeds): the fraction of true features its decoder recovers at |cos| >= 0.9. */
  recovered: number[];
  /** Per seed pair (10): the fraction both recover at |cos| >= 0.9. */
  both: number[];
  variant?: string;
  dSae?: number;
  k?: number;
  trainedVsInit?: number[];
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const scores = (recovered90: number, mmcs: number) =>
  ({ mmcs, mmcsReverse: mmcs - 0.05, recovered90, recovered99: recovered90 / 2, matchedCosine: mmcs - 0.01 });

/** The generator's settings as the experiment's config loader fills them in. */
export const GENERATOR = { d: 128, features: 512, meanActive: 8, decay: 'exponential', correlation: 0,
  correlationGroups: 16, magnitudes: 'uniform', noise: 0, samples: 200000, dataSeed: 0 };

function truthOf(spec: SyntheticSpec, seeds: number[], pairs: TaskResult['pwmcc']['pairs']): Truth {
  const saes = seeds.map((seed, i) => ({ seed, decoder: scores(spec.recovered[i]!, 0.5 + spec.recovered[i]! / 2),
    encoder: scores(spec.recovered[i]! * 0.9, 0.5 + spec.recovered[i]! / 2.2), untrained: scores(0, 0.36) }));
  const avg = (which: 'decoder' | 'encoder' | 'untrained') => {
    const rows = saes.map((s) => s[which]);
    const field = (k: keyof (typeof rows)[number]) => mean(rows.map((r) => r[k]));
    return { mmcs: field('mmcs'), mmcsReverse: field('mmcsReverse'), recovered90: field('recovered90'),
      recovered99: field('recovered99'), matchedCosine: field('matchedCosine') };
  };
  return {
    file: `${spec.name}/truth.safetensors`, features: 512, d: 128, meanActive: 7.98,
    chance: { mmcs: 0.3611, mmcsReverse: 0.3977 }, saes,
    mean: { decoder: avg('decoder'), encoder: avg('encoder'), untrained: avg('untrained') },
    pairs: pairs.map((p, i) => ({ seedA: p.seedA, seedB: p.seedB, pwmcc: p.value, bothRecovered90: spec.both[i]!,
      bothRecovered99: spec.both[i]! / 2 })),
  };
}

/** One task with known features, from an experiment-fixture task. */
function generated(base: TaskResult, spec: SyntheticSpec): TaskResult {
  const { transformer: _, ...rest } = base;
  const { hook: _h, position: _p, ...activations } = base.activations;
  return {
    ...rest, name: spec.name, kind: 'synthetic',
    activations: { ...activations, count: 200000, file: `${spec.name}/activations.safetensors` },
    saes: base.saes.map((s) => ({ ...s, variant: spec.variant ?? 'openai', dSae: spec.dSae ?? 512, k: spec.k ?? 8,
      file: `${spec.name}/sae-seed${s.seed}` })),
    truth: truthOf(spec, base.pwmcc.seeds, base.pwmcc.pairs),
  };
}

/**
 * A run `name` with the given synthetic tasks, after any transformer tasks (`transformerTasks`, as the experiment's
 * fixture takes them). Numbers changed afterwards need `decide` again (the tests' `text` helpers do it).
 */
export function syntheticResults(name: string, specs: SyntheticSpec[], transformerTasks: TaskSpec[] = []): Results {
  const built = makeResults(name, [...transformerTasks, ...specs.map((s): TaskSpec => ({ kind: 'copy', pairs: s.pairs,
    randomPairs: s.randomPairs, ci95: s.ci95, trainedVsInit: s.trainedVsInit, components: [100, 125, 127],
    participationRatio: 110 }))]);
  const n = transformerTasks.length;
  const tasks = [...built.tasks.slice(0, n), ...specs.map((s, i) => generated(built.tasks[n + i]!, s))];
  const config = { ...built.config, name, tasks: {
    ...Object.fromEntries(Object.entries(built.config.tasks)
      .filter(([k]) => transformerTasks.some((t) => t.kind === k))),
    ...Object.fromEntries(specs.map((s) => [s.name, { kind: 'synthetic', ...GENERATOR,
      ...(s.variant || s.dSae || s.k ? { sae: { ...(s.variant && { variant: s.variant }),
        ...(s.dSae && { expansion: s.dSae / GENERATOR.d }), ...(s.k && { k: s.k }) } } : {}) }])),
  } };
  return parseResults(decide({ ...built, config, tasks, comparison: n >= 2 ? built.comparison : null }),
    `synthetic fixture ${name}`);
}

/** The synthetic config's four tasks: well-specified, husai variant, twice too large, the report's shape. */
export const SYNTHETIC = () => syntheticResults('synthetic', [
  { name: 'synthetic', pairs: Array(10).fill(0.93), ci95: [0.925, 0.935], recovered: [0.9, 0.92, 0.91, 0.93, 0.94],
    both: [0.85, 0.86, 0.87, 0.88, 0.84, 0.83, 0.89, 0.9, 0.82, 0.86], trainedVsInit: Array(5).fill(0.4) },
  { name: 'synthetic-husai', variant: 'husai', pairs: Array(10).fill(0.45), ci95: [0.44, 0.46],
    recovered: Array(5).fill(0.3), both: Array(10).fill(0.1), trainedVsInit: Array(5).fill(0.4) },
  { name: 'synthetic-2n', dSae: 1024, pairs: Array(10).fill(0.6), ci95: [0.59, 0.61],
    recovered: Array(5).fill(0.95), both: Array(10).fill(0.9), trainedVsInit: Array(5).fill(0.4) },
  { name: 'synthetic-study', dSae: 1024, k: 32, pairs: Array(10).fill(0.35), ci95: [0.345, 0.355],
    recovered: Array(5).fill(0), both: Array(10).fill(0), trainedVsInit: Array(5).fill(0.4) },
]);
