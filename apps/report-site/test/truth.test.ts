import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import type { Results } from '@saelab/results';
import { recoveryChart } from '../src/lib/charts/truth.js';
import { headlineChart } from '../src/lib/charts/overview.js';
import { transformerAccuracyChart, transformerLossChart } from '../src/lib/charts/training.js';
import { settings } from '../src/lib/config-diff.js';
import { findings } from '../src/lib/findings.js';
import { dataSentences, recoverySentences, truthAgreementSentences } from '../src/lib/findings-truth.js';
import { formatNumber } from '../src/lib/format.js';
import { valueAt, type NumRef } from '../src/lib/refs.js';
import { publishedFiles } from '../src/lib/results.js';
import { saeSetting, taskLabel, taskTitle } from '../src/lib/run.js';
import { answerParagraph, segmentsToText, type Segment } from '../src/lib/summary.js';
import { decide, makeResults } from '@saelab/experiments/fixture';
import { SYNTHETIC, syntheticResults } from './synthetic-fixture.js';

const run = (results: Results) => ({ name: results.config.name, results: decide(results) });
type SiteRun = ReturnType<typeof run>;

/** Segments as the page writes them, every number looked up in its run's results. */
const write = (runs: SiteRun[], segs: readonly Segment[]) => segmentsToText(segs, (ref: NumRef) =>
  formatNumber(valueAt(runs.find((r) => r.name === ref.config)!.results, ref.path) ?? NaN, ref.style));

/** The findings page as "## title" and paragraphs. */
function findingsText(...given: Results[]) {
  const runs = given.map(run);
  const items = findings(runs);
  return { ids: items.map((f) => f.id), all: items.map((f) => [`## ${f.title}`,
    ...f.paragraphs.map((p) => write(runs, p))].join('\n')).join('\n') };
}

const chance = Array(10).fill(0.3);
/** A husai-like run of transformer tasks, both at chance. */
const husai = () => makeResults('husai', [{ kind: 'copy', pairs: chance, randomPairs: chance, ci95: [0.299, 0.301] },
  { kind: 'modular', pairs: chance, randomPairs: chance, ci95: [0.299, 0.301] }]);

describe('tasks with known features', () => {
  it('names tasks of one kind apart by task name, and states each one\'s SAE setting', () => {
    const r = run(SYNTHETIC());
    expect(taskTitle('synthetic')).toBe('synthetic features');
    expect(r.results.tasks.map((_, t) => taskLabel(r, t))).toEqual(['synthetic features, synthetic',
      'synthetic features, synthetic-husai', 'synthetic features, synthetic-2n',
      'synthetic features, synthetic-study']);
    expect(r.results.tasks.map(saeSetting)).toEqual(['openai, d_sae 512, k 8', 'husai, d_sae 512, k 8',
      'openai, d_sae 1024, k 8', 'openai, d_sae 1024, k 32']);
    const h = run(husai());
    expect(taskLabel(h, 0)).toBe('sequence copying'); // one task of its kind: the title alone
  });

  it('describes the generated data from the numbers and the config', () => {
    const r = run(SYNTHETIC());
    const text = write([r], dataSentences(r, 0));
    expect(text).toBe('No transformer here: the activations are generated. Each of the 200000 samples is a sparse sum '
      + 'of 512 known unit features in 128 dimensions, on average 7.98 of them active per sample (the config asks for '
      + '8.00). A feature\'s firing probability decays exponentially with its index; a firing feature\'s magnitude is '
      + 'drawn uniformly; features fire independently; no noise is added. ');
    r.results.tasks[0]!.truth!.meanActive = 6.5;
    (r.results.config.tasks.synthetic as Record<string, unknown>).correlation = 0.3;
    expect(write([r], dataSentences(r, 0))).toContain('on average 6.50 of them active per sample');
    expect(write([r], dataSentences(r, 0))).toContain('firing correlation 0.30 within groups of features');
    expect(dataSentences(run(husai()), 0)).toEqual([]);
  });

  it('says how much of the truth the SAEs recover, following the numbers and the recovery verdict', () => {
    const results = SYNTHETIC();
    let r = run(results);
    expect(r.results.verdicts.tasks.map((v) => v.recovery)).toEqual(['most', 'some', 'most', 'none']);
    const text = (t: number) => write([r], [...recoverySentences(r, t), ...truthAgreementSentences(r, t)]);
    expect(text(0)).toContain('Against the 512 true features, the decoders recover on average 92.0% at |cos| ≥ 0.9 '
      + 'and 46.0% at ≥ 0.99 (MMCS 0.9600, against 0.3611 for random directions and 0.3600 for the untrained '
      + 'decoders): they find most of the true features (at least the 90% the rules count as most, on average). Both '
      + 'SAEs of a seed pair recover 82.0% to 90.0% of the true features at |cos| ≥ 0.9.');
    expect(text(0)).toContain('(stable). SAEs that find the true features find the same ones');
    expect(text(1)).toContain('they find part of the true features (more than 1% but less than the 90% the rules count '
      + 'as most, on average). Both SAEs of a seed pair recover 10.0% of the true features');
    expect(text(1)).toContain('The SAEs find part of the truth, so this agreement is not yet agreement on all');
    expect(text(2)).toContain('They find most true features, yet agree below the 0.70 stability threshold');
    expect(text(3)).toContain('next to none of the true features (below 1% on average)');
    expect(text(3)).toContain('With the truth not recovered, this agreement is not agreement on the features');
    // Change the numbers: the sentences and the verdict follow.
    const t1 = results.tasks[1]!.truth!;
    t1.mean.decoder.recovered90 = 0.005;
    t1.pairs[3]!.bothRecovered90 = 0.25;
    r = run(results);
    expect(r.results.verdicts.tasks[1]!.recovery).toBe('none');
    expect(text(1)).toContain('recover on average 0.5% at |cos| ≥ 0.9');
    expect(text(1)).toContain('next to none of the true features');
    expect(text(1)).toContain('recover 10.0% to 25.0% of the true features');
    expect(recoverySentences(run(husai()), 0)).toEqual([]);
  });

  it('answers "do seeds agree when real features exist?" across runs, from the verdicts and numbers', () => {
    const { ids, all } = findingsText(husai(), SYNTHETIC());
    expect(ids).toContain('positive-control');
    const control = all.slice(all.indexOf('## Do seeds agree when real features exist?'));
    expect(control).toContain('On synthetic features, synthetic (openai, d_sae 512, k 8; synthetic run), the decoders '
      + 'recover 92.0% of the 512 true features at |cos| ≥ 0.9 (recovery: most) and seeds agree at 0.9300 against '
      + '0.2988 untrained (stable).');
    expect(control).toContain('On the transformer tasks, seeds agree at 0.3000 against 0.3000 untrained on sequence '
      + 'copying (husai: chance level) and 0.3000 against 0.3000 untrained on modular addition (husai: chance level).');
    expect(control).toContain('On synthetic features, synthetic, where the SAEs recover most of the true features, '
      + 'seeds agree at or above the 0.70 stability threshold');
    expect(control).toContain('On synthetic features, synthetic-2n, the SAEs recover most of the true features too, '
      + 'yet seeds agree below the threshold');
    expect(control).toContain('On synthetic features, synthetic-husai, the SAEs recover part of the true features '
      + '(more than 1% but less than the 90% the rules count as most, on average), and seeds agree below the 0.70 '
      + 'threshold.');
    expect(control).toContain('On synthetic features, synthetic-study, the SAEs recover next to none of the true '
      + 'features, so agreement there is not agreement on them.');
    expect(control).toContain('No transformer task reaches the threshold');
    // Each generated task's own finding: titled apart, its data, no transformer.
    expect(all).toContain('## Synthetic features, synthetic-husai (husai, d_sae 512, k 8), synthetic protocol');
    expect(all).not.toMatch(/synthetic protocol\nThe transformer reached/);
    expect(ids).not.toContain('synthetic-synthetic-recipe'); // no transformer: no recipe that failed

    // Stable agreement with part of the truth found (the shape of a real run): said as such, and the comparison holds.
    const partly = SYNTHETIC();
    partly.tasks[0]!.truth!.mean.decoder.recovered90 = 0.897;
    partly.tasks[2]!.pwmcc.mean = 0.75;
    const c = findingsText(husai(), partly).all;
    expect(c).toContain('On synthetic features, synthetic and synthetic features, synthetic-husai, the SAEs recover '
      + 'part of the true features');
    expect(c).toContain('and seeds agree at or above the 0.70 threshold on synthetic features, synthetic and below it '
      + 'on synthetic features, synthetic-husai.');
    expect(c).toContain('On synthetic features, synthetic-2n, where the SAEs recover most of the true features, seeds '
      + 'agree at or above the 0.70 stability threshold');
    expect(c).toContain('No transformer task reaches the threshold');
    // When no SAE recovers the truth, the finding says the control shows nothing yet.
    const none = SYNTHETIC();
    for (const t of none.tasks) t.truth!.mean.decoder.recovered90 = 0.005;
    const b = findingsText(husai(), none).all;
    expect(b).toContain('No synthetic task\'s SAEs recover most of the true features');
    expect(b).not.toContain('No transformer task reaches the threshold');
    // Without a synthetic run, nothing is said.
    expect(findingsText(husai()).ids).not.toContain('positive-control');
  });

  it('writes the answer paragraph for a task without a transformer', () => {
    const r = run(syntheticResults('smoke', [{ name: 'synthetic', pairs: chance, randomPairs: chance,
      ci95: [0.299, 0.301], recovered: Array(5).fill(0), both: Array(10).fill(0) }],
    [{ kind: 'copy', pairs: chance }, { kind: 'modular', pairs: chance }]));
    const text = write([r], answerParagraph([r]));
    expect(text).toContain('On synthetic features (activations generated from 512 known features in 128 dimensions; '
      + 'openai, d_sae 512, k 8), SAEs from different seeds agree at a mean PWMCC of 0.3000');
    expect(text).toContain('Their decoders recover on average 0.0% of the true features at |cos| ≥ 0.9, next to none '
      + 'of them.');
    r.results.tasks[2]!.truth!.mean.decoder.recovered90 = 0.897;
    const some = write([r], answerParagraph([run(r.results)]));
    expect(some).toContain('recover on average 89.7% of the true features at |cos| ≥ 0.9, fewer than the 90% counted '
      + 'as most.');
    expect(text).not.toMatch(/synthetic features \(the transformer/);
    const all = findingsText(r.results).all;
    expect(all).toContain('## Synthetic features, smoke protocol\nNo transformer here: the activations are generated.');
  });

  it('publishes the true features instead of a transformer, and draws no transformer chart', () => {
    const r = run(syntheticResults('smoke', [{ name: 'synthetic', pairs: chance, recovered: Array(5).fill(0),
      both: Array(10).fill(0) }], [{ kind: 'copy', pairs: chance }]));
    const files = publishedFiles(r);
    expect(files).toContain('copy/transformer.safetensors');
    expect(files).toContain('synthetic/truth.safetensors');
    expect(files.filter((f) => f.startsWith('synthetic/'))).toHaveLength(1 + 2 * 5);
    expect(files.some((f) => f.includes('activations'))).toBe(false);
    const task = r.results.tasks[1]!;
    expect(transformerLossChart(task)).toBeUndefined();
    expect(transformerAccuracyChart(task)).toBeUndefined();
    const rows = settings([r]);
    expect(rows.find((x) => x.label === 'Activation site')!.values[0]).toBe('blocks.1.hook_resid_post, generated (no '
      + 'transformer)');
  });

  it('draws recovery against agreement: one dot per seed pair, with the untrained and chance levels as rules', () => {
    const results = SYNTHETIC();
    const task = results.tasks[0]!;
    const chart = recoveryChart(task)!;
    const doc = new JSDOM(chart.html).window.document;
    expect(doc.querySelectorAll('g[aria-label="dot"] circle')).toHaveLength(task.truth!.pairs.length);
    expect(doc.querySelectorAll('g[aria-label="rule"] line')).toHaveLength(2);
    expect(chart.description).toContain('seeds 42-123: PWMCC 0.9300, both recover 85.0%');
    task.truth!.pairs = task.truth!.pairs.slice(0, 3);
    const fewer = new JSDOM(recoveryChart(task)!.html).window.document;
    expect(fewer.querySelectorAll('g[aria-label="dot"] circle')).toHaveLength(3);
    expect(recoveryChart(husai().tasks[0]!)).toBeUndefined();
  });

  it('keeps tasks of one kind apart in the headline chart', () => {
    const runs = [run(husai()), run(SYNTHETIC())];
    const doc = new JSDOM(headlineChart(runs).html).window.document;
    expect(doc.querySelectorAll('g[aria-label="bar"] rect')).toHaveLength(6);
    expect(doc.querySelectorAll('g[aria-label="dot"] circle')).toHaveLength(60);
  });
});

describe('the architectures finding', () => {
  /** A run of three architectures on the synthetic task and two on copying, at the given mean PWMCC. */
  const archRun = (gated: number) => {
    const r = syntheticResults('architectures', [
      { name: 'synthetic-topk-openai', pairs: Array(10).fill(0.93), recovered: Array(5).fill(0.9),
        both: Array(10).fill(0.85) },
      { name: 'synthetic-topk-husai', variant: 'husai', pairs: Array(10).fill(0.3), recovered: Array(5).fill(0),
        both: Array(10).fill(0) },
      { name: 'synthetic-gated', variant: 'gated', pairs: Array(10).fill(gated), recovered: Array(5).fill(0.6),
        both: Array(10).fill(0.5) },
    ], [{ kind: 'copy', pairs: Array(10).fill(0.8), ci95: [0.79, 0.81] },
      { kind: 'copy', pairs: Array(10).fill(0.45), ci95: [0.44, 0.46] }]);
    // The two copy tasks train openai and gated SAEs.
    r.tasks[0]!.saes.forEach((s) => { s.variant = 'openai'; });
    r.tasks[1]!.saes.forEach((s) => { s.variant = 'gated'; });
    return r;
  };

  it('orders the architectures per task kind by PWMCC, with their verdicts, and says which are stable where', () => {
    const { ids, all } = findingsText(archRun(0.75));
    expect(ids).toContain('architectures');
    const text = all.slice(all.indexOf('## Which architectures agree'));
    expect(text).toContain('On synthetic features (architectures run, 5 seeds each), by mean PWMCC: openai 0.9300 '
      + '(stable, within the span');
    expect(text.indexOf('gated 0.7500')).toBeLessThan(text.indexOf('husai 0.3000'));
    expect(text).toContain(', recovers 90.0%)');
    expect(text).toContain('On sequence copying (architectures run, 5 seeds each), by mean PWMCC: openai 0.8000 '
      + '(stable, within the span 0.8000, L0 32.00, EV 0.99420); and gated 0.4500 (above chance, below the stability '
      + 'threshold');
    expect(text).toContain('Stable (mean PWMCC at or above 0.70) on every task: openai (its first seed\'s explained '
      + 'variance as low as 0.99420 on sequence copying). Stable on some: gated (synthetic features). Stable on none: '
      + 'husai.');
    // The positive-control finding leaves the architectures run to this one.
    expect(all).not.toContain('synthetic-topk-husai (architectures run)');
    const lower = findingsText(archRun(0.5)).all;
    expect(lower).toContain('on sequence copying). Stable on none: gated and husai.');
    expect(lower).toContain('by mean PWMCC: openai 0.9300');
  });
});
