import { describe, expect, it } from 'vitest';
import { formatNumber, listInWords } from '../src/lib/format.js';
import { diffConfigs, settings } from '../src/lib/config-diff.js';
import { loadConfig } from '@saelab/experiments';
import { makeResults } from '@saelab/experiments/fixture';

describe('number formats', () => {
  it('rounds without changing what the number says', () => {
    expect(formatNumber(0.30612, 'pwmcc')).toBe('0.3061');
    expect(formatNumber(0.99417, 'ev')).toBe('0.99417');
    expect(formatNumber(0.025, 'percent')).toBe('2.5%');
    expect(formatNumber(0.6803, 'p')).toBe('0.680');
    expect(formatNumber(1.234e-9, 'p')).toBe('1.23e-9');
    expect(formatNumber(10000, 'int')).toBe('10000');
    expect(listInWords(['a', 'b', 'c'])).toBe('a, b and c');
  });
});

describe('config differences', () => {
  it('lists exactly what corrected changes from husai', () => {
    const changes = diffConfigs(loadConfig('husai'), loadConfig('corrected'));
    expect(changes.map((c) => c.path)).toEqual([
      'tasks.modular.readAt', 'tasks.modular.transformer.weightDecay', 'tasks.modular.transformer.epochs',
      'sae.variant',
    ]);
    expect(changes[0]).toEqual({ path: 'tasks.modular.readAt', a: 'answer', b: 'equals' });
  });

  it('tabulates each run\'s settings', () => {
    const rows = settings([{ name: 'husai', results: makeResults('husai',
      [{ kind: 'copy', pairs: Array(10).fill(0.3) }]) }]);
    expect(rows.find((r) => r.label === 'SAE seeds')!.values).toEqual(['42, 123, 456, 789, 1011']);
    expect(rows.find((r) => r.label === 'SAE k, expansion')!.values).toEqual(['k 32, 8x']);
  });
});
