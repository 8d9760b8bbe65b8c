import { describe, expect, it } from 'vitest';
import { parseResults, protocolChange, type Results, type TaskVerdict } from '../src/index.js';

const verdict = (task: string, v: Partial<TaskVerdict>): TaskVerdict => ({
  task, solved: true, agreement: 'chance', movement: 'barely', barelyMovedCount: 5, dimension: 'within k',
  subspaceAgreement: 'chance', agreementTrend: null, untrainedVsAnalytic: 'above', uniformAboveGaussian: true,
  recovery: null, readAt: null,
  labelLeak: false, ...v,
});
/** Only what protocolChange reads: the task names and their verdicts. */
const run = (name: string, ...tasks: TaskVerdict[]) => ({
  config: { name }, tasks: tasks.map((t) => ({ name: t.task })), verdicts: { tasks },
}) as unknown as Results;

describe('parseResults', () => {
  it('names the file, the version and the fix for a file of an older schema', () => {
    expect(() => parseResults({ schemaVersion: 1 }, 'r/husai/results.json'))
      .toThrow('r/husai/results.json has schema version 1; this reader needs version 2. Upgrade it in place with `npx '
        + 'saelab upgrade');
  });

  it('names the fields that are wrong', () => {
    expect(() => parseResults({ schemaVersion: 2, tasks: 'none' }, 'f.json'))
      .toThrow(/f\.json is not a valid saelab results file[^]*tasks:/);
    expect(() => parseResults(null, 'f.json')).toThrow('schema version missing, expected 2');
  });
});

describe('protocolChange', () => {
  it('compares the verdicts of the tasks both runs have, by name, and says whether the second still cannot '
    + 'answer', () => {
    const a = run('husai', verdict('copy', {}), verdict('modular', { dimension: 'beyond k' }));
    const same = protocolChange(a, run('corrected', verdict('modular', { dimension: 'beyond k' }),
      verdict('copy', {})))!;
    expect(same.tasks.map((t) => [t.task, t.at, t.changed]))
      .toEqual([['copy', [0, 1], false], ['modular', [1, 0], false]]);
    expect(same).toMatchObject({ changed: false, unresolved: true });
    const moved = { movement: 'moved', dimension: 'beyond k', agreement: 'above chance' } as const;
    const better = protocolChange(a, run('corrected', verdict('copy', moved), verdict('modular', moved)))!;
    expect(better).toMatchObject({ changed: true, unresolved: false });
    expect(protocolChange(a, run('other', verdict('synthetic', {})))).toBeUndefined();
  });
});
