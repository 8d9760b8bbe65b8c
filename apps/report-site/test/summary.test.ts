import { describe, expect, it } from 'vitest';
import { formatNumber } from '../src/lib/format.js';
import { valueAt } from '../src/lib/refs.js';
import { agreement, answerParagraph, movement, segmentsToText } from '../src/lib/summary.js';
import { makeResults } from './fixture.js';

const chance = Array(10).fill(0.3);

function text(...runs: ReturnType<typeof makeResults>[]) {
  const byName = new Map(runs.map((r) => [r.config.name, r]));
  const segs = answerParagraph(runs.map((results) => ({ name: results.config.name, results })));
  return segmentsToText(segs, (ref) => formatNumber(valueAt(byName.get(ref.config), ref.path) ?? NaN, ref.style));
}

describe('the answer paragraph', () => {
  it('calls chance-level agreement between decoders that never moved inconclusive', () => {
    const husai = makeResults('husai', [{ kind: 'copy', pairs: chance, randomPairs: chance, ci95: [0.299, 0.301], trainedVsInit: [0.98, 0.99, 0.97, 0.99, 0.99] }]);
    const t = text(husai);
    expect(t).toContain('Under the husai protocol, on sequence copying (the transformer reached 100.0% validation accuracy)');
    expect(t).toContain('mean PWMCC of 0.3000 (bootstrap 95% interval 0.2990-0.3010)');
    expect(t).toContain('so they agree no better than chance');
    expect(t).toContain('barely moved from their initialisation (PWMCC of each with its own start: 0.9700-0.9900');
    expect(t).toContain('cannot say whether seeds learn different features');
  });

  it('says so when trained SAEs agree above chance after moving', () => {
    const corrected = makeResults('corrected', [{ kind: 'copy', pairs: Array(10).fill(0.5), ci95: [0.45, 0.55], trainedVsInit: [0.4, 0.5, 0.45, 0.5, 0.42] }]);
    const t = text(corrected);
    expect(t).toContain('so they agree more than chance, though short of stable');
    expect(t).toContain('moved away from their initialisation (PWMCC of each with its own start: 0.4000-0.5000)');
    expect(t).toContain('Every SAE moved away from its initialisation');
  });

  it('classifies agreement from the bootstrap interval and the stability threshold', () => {
    const [stable, below] = makeResults('x', [
      { kind: 'copy', pairs: Array(10).fill(0.8), ci95: [0.78, 0.82] },
      { kind: 'modular', pairs: Array(10).fill(0.2), ci95: [0.19, 0.21] },
    ]).tasks;
    expect(agreement(stable!)).toBe('stable');
    expect(agreement(below!)).toBe('below chance');
    expect(movement(stable!)).toBe('moved'); // the fixture's default trainedVsInit is 0.5
  });

  it('says when only some decoders barely moved, and draws no overall conclusion from it', () => {
    const mixed = makeResults('husai', [{ kind: 'copy', pairs: Array(10).fill(0.5), ci95: [0.45, 0.55], trainedVsInit: [0.95, 0.5, 0.5, 0.5, 0.5] }]);
    const t = text(mixed);
    expect(t).toContain('Some decoders barely moved from their initialisation and some did (PWMCC of each with its own start: 0.5000-0.9500');
    expect(t).not.toContain('Every SAE moved');
    expect(t).not.toContain('cannot say');
  });
});
