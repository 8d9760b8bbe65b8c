import { describe, expect, it } from 'vitest';
import { formatNumber } from '../src/lib/format.js';
import { valueAt } from '../src/lib/refs.js';
import { answerParagraph, segmentsToText } from '../src/lib/summary.js';
import { makeResults } from '@saelab/experiments/fixture';

const chance = Array(10).fill(0.3);

function text(...runs: ReturnType<typeof makeResults>[]) {
  const byName = new Map(runs.map((r) => [r.config.name, r]));
  const segs = answerParagraph(runs.map((results) => ({ name: results.config.name, results })));
  return segmentsToText(segs, (ref) => formatNumber(valueAt(byName.get(ref.config), ref.path) ?? NaN, ref.style));
}

describe('the answer paragraph', () => {
  it('calls chance-level agreement between decoders that never moved inconclusive', () => {
    const husai = makeResults('husai', [{ kind: 'copy', pairs: chance, randomPairs: chance, ci95: [0.299, 0.301],
      trainedVsInit: [0.98, 0.99, 0.97, 0.99, 0.99] }]);
    const t = text(husai);
    expect(t).toContain('Under the husai protocol, on sequence copying (the transformer reached 100.0% validation '
      + 'accuracy)');
    expect(t).toContain('mean PWMCC of 0.3000 (bootstrap 95% interval 0.2990-0.3010)');
    expect(t).toContain('so they agree no better than chance');
    expect(t).toContain('barely moved from their initialisation (PWMCC of each with its own start: 0.9700-0.9900');
    expect(t).toContain('cannot say whether seeds learn different features');
  });

  it('says so when trained SAEs agree above chance after moving', () => {
    const corrected = makeResults('corrected', [{ kind: 'copy', pairs: Array(10).fill(0.5), ci95: [0.45, 0.55],
      trainedVsInit: [0.4, 0.5, 0.45, 0.5, 0.42] }]);
    const t = text(corrected);
    expect(t).toContain('so they agree more than chance, though short of stable');
    expect(t).toContain('moved away from their initialisation (PWMCC of each with its own start: 0.4000-0.5000)');
    expect(t).toContain('Every SAE moved away from its initialisation');
  });

  it('classifies agreement from the bootstrap interval and the stability threshold', () => {
    const [stable, below] = makeResults('x', [
      { kind: 'copy', pairs: Array(10).fill(0.8), ci95: [0.78, 0.82] },
      { kind: 'modular', pairs: Array(10).fill(0.2), ci95: [0.19, 0.21] },
    ]).verdicts.tasks;
    expect(stable!.agreement).toBe('stable');
    expect(below!.agreement).toBe('below chance');
    expect(stable!.movement).toBe('moved'); // the fixture's default trainedVsInit is 0.5
  });

  it('says when only some decoders barely moved, and draws no overall conclusion from it', () => {
    const mixed = makeResults('husai', [{ kind: 'copy', pairs: Array(10).fill(0.5), ci95: [0.45, 0.55],
      trainedVsInit: [0.95, 0.5, 0.5, 0.5, 0.5] }]);
    const t = text(mixed);
    expect(t).toContain('Some decoders barely moved from their initialisation and some did (PWMCC of each with its own '
      + 'start: 0.5000-0.9500');
    expect(t).not.toContain('Every SAE moved');
    expect(t).not.toContain('cannot say');
  });

  it('explains agreement by the activations\' dimension when 99% of their variance fits in k components', () => {
    const husai = makeResults('husai', [{ kind: 'copy', pairs: chance, ci95: [0.299, 0.301], components: [17, 19, 41],
      participationRatio: 18.37,
      ev: [0.9942, 0.9940, 0.9944, 0.9941, 0.9943] }]);
    expect(husai.verdicts.tasks[0]!.dimension).toBe('within k');
    const t = text(husai);
    expect(t).toContain('The activations span about 19 dimensions (99% of their variance lies in 19 principal '
      + 'components; participation ratio 18.37), fewer than the k = 32 latents each sample uses, so a decoder '
      + 'reconstructs them whatever its directions (explained variance 0.99400-0.99440) and the SAEs are not pushed to '
        + 'learn shared features.');
    expect(t).not.toContain('more than the k');
  });

  it('says "no more than" when the components equal k', () => {
    const t = text(makeResults('husai', [{ kind: 'copy', pairs: chance, components: [20, 32, 60] }]));
    expect(t).toContain('no more than the k = 32 latents');
  });

  it('says so, without the caveat, when the activations need more than k components', () => {
    const husai = makeResults('husai', [{ kind: 'modular', pairs: chance, components: [50, 84, 103],
      participationRatio: 48.55, ev: Array(5).fill(0.93) }]);
    expect(husai.verdicts.tasks[0]!.dimension).toBe('beyond k');
    const t = text(husai);
    expect(t).toContain('The activations need 84 principal components for 99% of their variance (participation ratio '
      + '48.55), more than the k = 32 latents each sample uses, so a decoder cannot reconstruct them merely by '
        + 'spanning their subspace (explained variance 0.93000-0.93000).');
    expect(t).not.toContain('not pushed to learn');
  });
});
