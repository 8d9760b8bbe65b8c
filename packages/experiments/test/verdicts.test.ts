import { describe, expect, it } from 'vitest';
import { claimVerdicts, valueAt } from '../src/verdicts/index.js';
import { decide, makeResults, REPORTED } from './fixture.js';

const scorecard = (results: ReturnType<typeof REPORTED>) => claimVerdicts(results);
const statusOf = (results: ReturnType<typeof REPORTED>) => Object.fromEntries(scorecard(results)
  .map((v) => [v.id, v.status]));

describe('the report\'s claims', () => {
  it('are the thirteen claims PROTOCOL.md lists, with the values it gives, each with a stated tolerance', () => {
    // Written out from PROTOCOL.md's "What the original reported", not from the rules under test.
    const expected: [string, string][] = [
      ['copy-val-acc', '100%'], ['copy-pwmcc-mean', '0.306'], ['copy-pwmcc-std', '0.001'],
      ['copy-pwmcc-range', '[0.305, 0.307]'],
      ['copy-l0', '32'], ['copy-ev', '0.9940-0.9944'], ['copy-dead', '1.9-3.6%'], ['modular-pwmcc-mean', '0.309'],
      ['modular-pwmcc-std', '0.023'], ['z', '0.41'], ['p', '0.68'], ['d', '0.18'], ['ci', '[-0.011, 0.017]'],
    ];
    const verdicts = scorecard(REPORTED());
    expect(verdicts.map((v) => [v.id, v.reported])).toEqual(expected);
    for (const v of verdicts) expect(v.tolerance).not.toBe('');
  });

  it('marks the report\'s own numbers as reproduced, except the std it typed in', () => {
    const s = statusOf(REPORTED());
    // The fixture's modular pairs really have std 0.015 (the report typed in 0.023): within 0.010.
    expect(Object.values(s).every((v) => v === 'reproduced'), JSON.stringify(s)).toBe(true);
  });

  it('marks values outside the tolerance as not reproduced', () => {
    const s = statusOf(makeResults('corrected', [
      { kind: 'copy', pairs: Array(10).fill(0.52), l0: 30.1, ev: [0.9, 0.99, 0.99, 0.99, 0.99], dead: [0, 0, 0, 0, 0],
        valAccuracy: 0.9 },
      { kind: 'modular', pairs: [0.3, 0.301, 0.302, 0.3, 0.3, 0.301, 0.3, 0.3, 0.302, 0.3] },
    ], { z: 40, p: 1e-9, cohensD: 30, ci: [0.2, 0.25] }));
    expect(s).toEqual({
      'copy-val-acc': 'not reproduced', 'copy-pwmcc-mean': 'not reproduced', 'copy-pwmcc-std': 'reproduced',
      'copy-pwmcc-range': 'not reproduced', 'copy-l0': 'not reproduced', 'copy-ev': 'not reproduced',
      'copy-dead': 'not reproduced',
      'modular-pwmcc-mean': 'reproduced', 'modular-pwmcc-std': 'not reproduced', z: 'not reproduced',
      p: 'not reproduced',
      d: 'not reproduced', ci: 'not reproduced',
    });
  });

  it('reads the CI in the report\'s orientation when modular comes first', () => {
    const r = makeResults('husai', [
      { kind: 'modular', pairs: Array(10).fill(0.309) },
      { kind: 'copy', pairs: Array(10).fill(0.306) },
    ], { z: 0.41, p: 0.68, cohensD: 0.18, ci: [-0.011, 0.017] });
    expect(statusOf(r).ci).toBe('reproduced');
  });

  it('points every measured value at a number in results.json', () => {
    const results = REPORTED();
    for (const v of scorecard(results)) {
      for (const path of v.paths) expect(typeof valueAt(results, path)).toBe('number');
    }
    const ev = scorecard(results).find((v) => v.id === 'copy-ev')!;
    expect(ev.paths.map((path) => valueAt(results, path))).toEqual([0.994, 0.9944]); // the lowest and highest SAE
  });

  it('says why a claim is not measured when the run lacks the task', () => {
    const v = scorecard(makeResults('x', [{ kind: 'copy', pairs: Array(10).fill(0.3) }]));
    expect(v.find((c) => c.id === 'modular-pwmcc-mean')).toMatchObject({ status: 'not measured',
      missing: 'this run has no modular task' });
    expect(v.find((c) => c.id === 'z')).toMatchObject({ status: 'not measured',
      missing: 'this run compares no two tasks' });
  });
});

describe('task verdicts', () => {
  const chance = Array(10).fill(0.3);

  it('decide solved, label leak, the baseline controls and the comparison from the numbers and the config', () => {
    const r = makeResults('husai', [
      { kind: 'copy', pairs: chance, valAccuracy: 0.995 },
      { kind: 'modular', pairs: chance, valAccuracy: 0.989 },
    ], { z: 18.5, p: 1e-12, cohensD: 8, ci: [0.005, 0.007] });
    const [copy, modular] = r.verdicts.tasks;
    expect(copy).toMatchObject({ task: 'copy', solved: true, readAt: null, labelLeak: false,
      uniformAboveGaussian: true });
    // husai reads index 5
    expect(modular).toMatchObject({ task: 'modular', solved: false, readAt: 'answer', labelLeak: true });
    expect(copy!.untrainedVsAnalytic).toBeNull(); // the fixture records no test against the analytic level
    expect(r.verdicts.comparison).toEqual({ significant: true });
    expect(r.verdicts.followsReport).toBe(true);
    expect(r.verdicts.rules).toEqual({ stabilityThreshold: 0.7, barelyMoved: 0.9, solvedAccuracy: 0.99, alpha: 0.05,
      recoveredMost: 0.9, recoveredNone: 0.01 });
  });

  it('read the untrained decoders against the analytic level, and uniform against Gaussian dictionaries, '
    + 'at alpha', () => {
    const r = makeResults('corrected', [{ kind: 'copy', pairs: chance }]);
    const task = r.tasks[0]!;
    const test = (diff: number, p: number) => ({ t: 1, df: 9, p, diff, se: 0.001 });
    const decided = (random: ReturnType<typeof test>, shapes: ReturnType<typeof test>) => {
      task.trainedVsRandom.analytic = { baseline: 0.2988, trained: test(0.01, 1e-9), random };
      task.randomBaseline.initShapes.welch = shapes;
      return decide(r).verdicts.tasks[0]!;
    };
    expect(decided(test(0.0014, 8e-4), test(0.0014, 1e-3))).toMatchObject({ untrainedVsAnalytic: 'above',
      uniformAboveGaussian: true });
    expect(decided(test(-0.0014, 8e-4), test(0.0014, 0.2))).toMatchObject({ untrainedVsAnalytic: 'below',
      uniformAboveGaussian: false });
    expect(decided(test(0.0014, 0.05), test(-0.0014, 1e-3)))
      .toMatchObject({ untrainedVsAnalytic: 'consistent', uniformAboveGaussian: false });
    // the fixture's config is husai's, renamed: the variant decides
    expect(decide(r).verdicts.followsReport).toBe(true);
    r.config.sae.variant = 'openai';
    expect(decide(r).verdicts.followsReport).toBe(false);
  });

  it('count decoders that barely moved against the recorded threshold', () => {
    const r = makeResults('x', [{ kind: 'copy', pairs: chance, trainedVsInit: [0.9, 0.899, 0.95, 0.5, 0.3] }]);
    expect(r.verdicts.tasks[0]).toMatchObject({ movement: 'mixed', barelyMovedCount: 2 });
  });
});
