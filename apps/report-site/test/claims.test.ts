import { describe, expect, it } from 'vitest';
import { CLAIMS, scorecard } from '../src/lib/claims.js';
import { valueAt } from '../src/lib/refs.js';
import { makeResults, REPORTED } from './fixture.js';

const statusOf = (results: ReturnType<typeof REPORTED>) =>
  Object.fromEntries(scorecard({ name: results.config.name, results }).map((v) => [v.claim.id, v.status]));

describe('scorecard', () => {
  it('has one verdict per claim, each with a stated tolerance', () => {
    const verdicts = scorecard({ name: 'husai', results: REPORTED() });
    expect(verdicts.map((v) => v.claim.id)).toEqual(CLAIMS.map((c) => c.id));
    for (const c of CLAIMS) expect(c.tolerance).not.toBe('');
  });

  it('marks the report\'s own numbers as reproduced, except the std it typed in', () => {
    const s = statusOf(REPORTED());
    // The fixture's modular pairs really have std 0.015 (the report typed in 0.023): within 0.010.
    expect(Object.values(s).every((v) => v === 'reproduced'), JSON.stringify(s)).toBe(true);
  });

  it('marks values outside the tolerance as not reproduced', () => {
    const s = statusOf(makeResults('corrected', [
      { kind: 'copy', pairs: Array(10).fill(0.52), l0: 30.1, ev: [0.9, 0.99, 0.99, 0.99, 0.99], dead: [0, 0, 0, 0, 0], valAccuracy: 0.9 },
      { kind: 'modular', pairs: [0.3, 0.301, 0.302, 0.3, 0.3, 0.301, 0.3, 0.3, 0.302, 0.3] },
    ], { z: 40, p: 1e-9, cohensD: 30, ci: [0.2, 0.25] }));
    expect(s).toEqual({
      'copy-val-acc': 'not reproduced', 'copy-pwmcc-mean': 'not reproduced', 'copy-pwmcc-std': 'reproduced',
      'copy-pwmcc-range': 'not reproduced', 'copy-l0': 'not reproduced', 'copy-ev': 'not reproduced', 'copy-dead': 'not reproduced',
      'modular-pwmcc-mean': 'reproduced', 'modular-pwmcc-std': 'not reproduced', z: 'not reproduced', p: 'not reproduced',
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
    for (const v of scorecard({ name: 'husai', results })) {
      for (const ref of v.measured) expect(typeof valueAt(results, ref.path)).toBe('number');
    }
    const ev = scorecard({ name: 'husai', results }).find((v) => v.claim.id === 'copy-ev')!;
    expect(ev.measured.map((m) => valueAt(results, m.path))).toEqual([0.994, 0.9944]); // the lowest and highest SAE
  });

  it('says why a claim is not measured when the run lacks the task', () => {
    const v = scorecard({ name: 'x', results: makeResults('x', [{ kind: 'copy', pairs: Array(10).fill(0.3) }]) });
    expect(v.find((c) => c.claim.id === 'modular-pwmcc-mean')).toMatchObject({ status: 'not measured', missing: 'this run has no modular task' });
    expect(v.find((c) => c.claim.id === 'z')).toMatchObject({ status: 'not measured', missing: 'this run compares no two tasks' });
  });
});
