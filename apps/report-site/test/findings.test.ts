import { describe, expect, it } from 'vitest';
import type { Results } from '@saelab/results';
import { findings, runOfFolder } from '../src/lib/findings.js';
import { formatNumber } from '../src/lib/format.js';
import { valueAt } from '../src/lib/refs.js';
import { segmentsToText } from '../src/lib/summary.js';
import { decide, makeResults } from '@saelab/experiments/fixture';

const chance = Array(10).fill(0.3);
const barely = [0.95, 0.951, 0.952, 0.953, 0.954];

/** Every finding as "## title" and its paragraphs, numbers written as the page writes them. */
function text(...given: Results[]) {
  const runs = given.map(decide); // the tests change numbers after building the results: decide from those
  const byName = new Map(runs.map((r) => [r.config.name, r]));
  const items = findings(runs.map((results) => ({ name: results.config.name, results })));
  const write = (ref: Parameters<Parameters<typeof segmentsToText>[1]>[0]) =>
    formatNumber(valueAt(byName.get(ref.config), ref.path) ?? NaN, ref.style);
  return { ids: items.map((f) => f.id), all: items.map((f) =>
    [`## ${f.title}`, ...f.paragraphs.map((p) => segmentsToText(p, write))].join('\n')).join('\n') };
}

/** A husai-like run: copy within k, modular beyond k, untrained decoders above the analytic baseline. */
function husaiLike(name = 'husai') {
  const r = makeResults(name, [
    { kind: 'copy', pairs: Array(10).fill(0.3068), randomPairs: Array(10).fill(0.3002), ci95: [0.3061, 0.3073],
      trainedVsInit: barely,
      components: [17, 19, 41], participationRatio: 18.37, ev: [0.9940, 0.9941, 0.9942, 0.9943, 0.9944],
      dead: [0.008, 0.01, 0.015, 0.02, 0.025] },
    { kind: 'modular', pairs: chance, randomPairs: Array(10).fill(0.3002), ci95: [0.2996, 0.3015],
      trainedVsInit: barely,
      components: [50, 84, 103], participationRatio: 48.55, ev: Array(5).fill(0.93) },
  ], { z: 18.53, p: 0, cohensD: 8.3, ci: [0.0055, 0.0069] });
  for (const t of r.tasks) {
    t.trainedVsRandom.analytic = { baseline: 0.2988, trained: { t: 37, df: 9, p: 1e-11, diff: 0.008, se: 0.0002 },
      random: { t: 4.9, df: 9, p: 8.5e-4, diff: 0.0014, se: 0.0003 } };
  }
  return r;
}

describe('findings', () => {
  it('says whether the corrected protocol changes the conclusion, task by task, from the numbers', () => {
    const husai = husaiLike();
    const same = husaiLike('corrected');
    const a = text(husai, same).all;
    expect(a).toContain('## Does the corrected protocol change the conclusion?');
    expect(a).toContain('On sequence copying, mean PWMCC goes from 0.3068 (husai: above chance, below the stability '
      + 'threshold) to 0.3068 (corrected: above chance, below the stability threshold)');
    expect(a).toContain('The verdicts are the same under both protocols. The corrected protocol does not settle the '
      + 'question: its decoders still barely leave their random start (on sequence copying and modular addition), and '
      + 'its activations still span no more dimensions than k (on sequence copying), so full-space PWMCC just above '
        + 'chance cannot say');
    // Decoders that moved, on activations richer than k, and agreement at chance: the verdicts change, and the caveat
    // goes.
    const moved = husaiLike('corrected');
    for (const task of moved.tasks) {
      task.saes.forEach((s) => { s.trainedVsInit = 0.4; });
      task.activations.spectrum.componentsFor['0.99'] = 90;
    }
    moved.tasks[0]!.bootstrap.ci95 = [0.2990, 0.3010];
    const b = text(husai, moved).all;
    expect(b).toContain('Some of these verdicts differ between the protocols');
    expect(b).toContain('its PWMCC compares learned dictionaries');
    expect(text(husai).ids).not.toContain('protocols');
  });

  it('says when a transformer did not solve its task within its budget, and only then', () => {
    const solved = text(husaiLike()).all;
    expect(solved).not.toContain('did not solve its task');
    const r = husaiLike('corrected');
    r.tasks[1]!.transformer!.valAccuracy = 0.46;
    r.tasks[1]!.transformer!.epochBudget = 500;
    const { all } = text(r);
    expect(all).toContain('46.0% validation accuracy after 100 epochs. It did not solve its task (below 99% validation '
      + 'accuracy) within its budget of 500 epochs');
    expect(all.match(/did not solve its task/g)).toHaveLength(1);
  });

  it('explains copy by the activations\' dimension, and reads the report\'s claims off the scorecard', () => {
    const { all } = text(husaiLike());
    expect(all).toContain('## Sequence copying, husai protocol');
    expect(all).toContain('mean PWMCC of 0.3068 (bootstrap 95% interval 0.3061-0.3073), which reproduces the report\'s '
      + '0.306');
    expect(all).toContain('above the untrained decoders, but far short of the 0.70');
    expect(all).toContain('The report\'s explained variance (0.99400-0.99440) and L0 (32.00) reproduce too.');
    expect(all).toContain('training barely moved the decoders: each one\'s PWMCC with its own initialisation is '
      + '0.9500-0.9540');
    expect(all).toContain('Why: the activations need only 19 principal components for 99% of their variance '
      + '(participation ratio 18.37), while each sample uses k = 32 latents.');
    expect(all).toContain('on this task PWMCC cannot tell whether seeds learn the same features');
  });

  it('states husai\'s label leakage from its config, and says when the activations need more than k components', () => {
    const { all } = text(husaiLike());
    const modular = all.slice(all.indexOf('## Modular addition, husai protocol'));
    expect(modular).toContain('label leakage');
    expect(modular).toContain('no better than chance');
    expect(modular).toContain('The activations need 84 principal components for 99% of their variance (participation '
      + 'ratio 48.55), more than the k = 32 latents');
    expect(modular).toContain('chance-level agreement here compares nearly untrained dictionaries');
    expect(modular.split('##')[1]).not.toContain('Why:');
  });

  it('explains an empirical baseline above the analytic one by husai\'s initialisation, once for tasks that '
    + 'share it', () => {
    const { all } = text(husaiLike());
    expect(all).toContain('Untrained decoders agree at 0.3002 on sequence copying and modular addition; the analytic '
      + 'baseline is 0.2988');
    expect(all).toContain('sit above it');
    expect(all).toContain('Kaiming-uniform');
    expect(all).toContain('The right control is therefore the untrained decoders');
  });

  it('says the untrained decoders match the analytic baseline when the test finds no difference', () => {
    const r = husaiLike();
    for (const t of r.tasks) t.trainedVsRandom.analytic!.random.p = 0.4;
    const { all } = text(r);
    expect(all).toContain('behave like the isotropic random directions the formula assumes');
    expect(all).not.toContain('Kaiming');
  });

  it('explains dead latents outside the report\'s range, and the z-test from the measured stds', () => {
    const { all } = text(husaiLike());
    expect(all).toContain('the report found 1.9-3.6% of latents dead; we find 0.8%-2.5%, outside the tolerance');
    expect(all).toContain('other random streams than PyTorch\'s');
    expect(all).toContain('(z 0.41, p 0.68) that used a modular std of 0.023');
    expect(all).toContain('gives z = 18.53. So the tasks\' means do differ');
  });

  it('notes that corrected is missing, and writes its findings by the same rules once present', () => {
    expect(text(husaiLike()).ids).toContain('corrected');
    const corrected = husaiLike('corrected');
    corrected.config.sae.variant = 'openai';
    const modular = corrected.config.tasks.modular!;
    if (modular.kind === 'modular') modular.readAt = 'equals';
    corrected.environment.reusedTransformers = { copy: '../husai' };
    const { ids, all } = text(husaiLike(), corrected);
    expect(ids).not.toContain('corrected');
    expect(ids).toEqual(expect.arrayContaining(['corrected-copy', 'corrected-modular', 'corrected-baseline']));
    expect(ids).not.toContain('corrected-dead'); // the report's dead-latent figure is for its own SAE variant
    const c = all.slice(all.indexOf('## Sequence copying, corrected protocol'));
    expect(c).toContain('The transformer of this task was trained once, by the husai run, and reused here (same stage '
      + 'key)');
    expect(c).toContain('reads modular addition at the equals sign');
    expect(c).not.toContain('reproduces the report');
    expect(c).not.toContain('reproduces too');
    const base = all.slice(all.indexOf('## Untrained decoders and the analytic baseline, corrected protocol'));
    expect(base).toContain('Pairs of random dictionaries of this size (2 pairs each) agree at 0.3003 (std 0.0006) with '
      + 'uniform entries and at 0.2989 (std 0.0006) with Gaussian ones (Welch p 0.00100): directions uniform in a cube '
        + 'lean toward its corners');
  });

  it('says whether seeds agree within the activations\' span, from subspace PWMCC against the projected untrained '
      + 'decoders', () => {
    const r = makeResults('corrected', [
      { kind: 'copy', pairs: chance, components: [17, 19, 41], subspacePairs: Array(10).fill(0.45),
        subspaceRandomPairs: Array(10).fill(0.4),
        subspaceWelchP: 1e-5 },
      { kind: 'modular', pairs: chance, components: [15, 17, 30], subspacePairs: Array(10).fill(0.41),
        subspaceRandomPairs: Array(10).fill(0.4),
        subspaceWelchP: 0.3 },
    ]);
    const { all } = text(r);
    expect(all).toContain('Within the activations\' span (their top 19 principal directions, 99% of the variance), the '
      + 'decoders of different seeds agree at a mean PWMCC of 0.4500, against 0.4000 for the untrained decoders '
      + 'projected the same way (Welch p 1.00e-5; the chance level in 19 dimensions is 0.5000): more than the '
        + 'untrained decoders agree there (difference 0.0500).');
    expect(all).toContain('top 17 principal directions');
    expect(all).toContain('(Welch p 0.300; the chance level in 17 dimensions is 0.5000): no more than the untrained '
      + 'decoders agree there (difference 0.0100).');
  });

  it('sets a recipe that failed beside one that solved the same task, when only the transformer\'s training '
    + 'differs', () => {
    const failed = husaiLike('corrected-wd1');
    failed.tasks[1]!.transformer!.valAccuracy = 0.497;
    failed.tasks[1]!.transformer!.epochs = 500;
    (failed.config.tasks.modular!.transformer as unknown as { weightDecay: number }).weightDecay = 1;
    const solved = husaiLike('corrected');
    (solved.config.tasks.modular!.transformer as unknown as { weightDecay: number }).weightDecay = 0.1;
    const { ids, all } = text(failed, solved);
    expect(ids).toContain('corrected-wd1-modular-recipe');
    expect(all).toContain('On modular addition, the transformer trained with weightDecay 1 (corrected-wd1) against 0.1 '
      + '(corrected). Under corrected-wd1 it reached 49.7% validation accuracy after 500 epochs and did not solve its '
      + 'task; under corrected it reached 100.0% after 100 epochs.');
    // A run whose task differs beyond the transformer (here: where it is read) says nothing about the recipe.
    const elsewhere = husaiLike('other');
    (elsewhere.config.tasks.modular as unknown as { readAt: string }).readAt = 'equals';
    expect(text(failed, elsewhere).ids).not.toContain('corrected-wd1-modular-recipe');
  });

  it('says whether agreement rose with the training budget, from the cross-seed PWMCC curve', () => {
    const curve = (end: number) =>
      [0.69, 0.70, ...Array.from({ length: 19 }, (_, i) => 0.70 + (i + 1) * (end - 0.70) / 19)];
    const rising = makeResults('corrected-long', [{ kind: 'copy', pairs: chance, curve: curve(0.75) }]);
    const { all } = text(rising);
    expect(all).toContain('Within the activations\' span (top 19 directions), the decoders of different seeds agree at '
      + '0.6900 untrained, 0.7000 after one epoch, 0.7500 after 20 (full space: 0.2900, 0.3000, 0.3500): agreement '
        + 'rose with training');
    expect(text(makeResults('x', [{ kind: 'copy', pairs: chance, curve: curve(0.7) }])).all)
      .toContain('agreement did not move by more than twice the spread of the final pairs');
    expect(text(makeResults('x', [{ kind: 'copy', pairs: chance }])).all).not.toContain('after one epoch');
  });

  it('names the run a reused transformer came from', () => {
    expect(runOfFolder('../husai')).toBe('husai');
    expect(runOfFolder('/work/results/husai/')).toBe('husai');
  });
});
