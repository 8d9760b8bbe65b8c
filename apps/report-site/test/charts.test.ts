import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { headlineChart, trainedVsRandomChart } from '../src/lib/charts/overview.js';
import { distributionChart, heatmapChart, matchedCosineChart, sharedFractionChart,
  spectrumChart } from '../src/lib/charts/task.js';
import { pwmccCurveChart, saeLossChart, trainedVsInitChart, transformerAccuracyChart,
  transformerLossChart } from '../src/lib/charts/training.js';
import { makeResults, REPORTED } from '@saelab/experiments/fixture';

const parse = (html: string) => new JSDOM(html).window.document;

describe('charts', () => {
  const results = REPORTED();
  const runs = [{ name: 'husai', results }];
  const copy = results.tasks[0]!;

  it('draws the headline: one bar per task and protocol, one dot per pair, chance and stability rules', () => {
    const doc = parse(headlineChart(runs).html);
    expect(doc.querySelectorAll('g[aria-label="bar"] rect')).toHaveLength(2);
    expect(doc.querySelectorAll('g[aria-label="dot"] circle')).toHaveLength(20);
    expect(doc.querySelectorAll('g[aria-label="rule"] line').length).toBeGreaterThanOrEqual(3);
    expect(doc.querySelector('svg[aria-label]')!.getAttribute('aria-description'))
      .toContain('sequence copying, husai: 0.3060');
  });

  it('writes each PWMCC in its heatmap cell', () => {
    const doc = parse(heatmapChart(copy).html);
    expect(doc.querySelectorAll('g[aria-label="cell"] rect')).toHaveLength(25);
    const texts = [...doc.querySelectorAll('g[aria-label="text"] text')].map((t) => t.textContent);
    expect(texts).toEqual(copy.pwmcc.matrix.flat().map((v) => v.toFixed(4)));
  });

  it('draws every other chart with marks and a text alternative', () => {
    for (const chart of [distributionChart(copy), matchedCosineChart(copy), sharedFractionChart(copy),
      transformerLossChart(copy)!, transformerAccuracyChart(copy)!,
      saeLossChart(copy), trainedVsInitChart(copy), trainedVsRandomChart(runs)]) {
      const doc = parse(chart.html);
      expect(doc.querySelector('svg[aria-label]')).not.toBeNull();
      expect(chart.description.length).toBeGreaterThan(20);
      expect(doc.querySelectorAll('g[aria-label="dot"] circle, g[aria-label="bar"] rect, g[aria-label="line"] path, '
        + 'g[aria-label="rule"] line').length).toBeGreaterThan(0);
    }
  });

  it('draws the cross-seed PWMCC curve, one line per space, only where results have one', () => {
    const withCurve = makeResults('x', [{ kind: 'copy', pairs: Array(10).fill(0.3),
      curve: [0.69, 0.7, 0.71, 0.72] }]).tasks[0]!;
    const chart = pwmccCurveChart(withCurve)!;
    expect(parse(chart.html).querySelectorAll('g[aria-label="line"] path').length).toBe(2);
    expect(chart.description).toContain('within the activations\' top 19 directions (0.6900 untrained, 0.720 at the '
      + 'end)');
    expect(pwmccCurveChart(copy)).toBeUndefined();
  });

  it('draws the activations\' cumulative variance with a rule at k', () => {
    const chart = spectrumChart(copy);
    const doc = parse(chart.html);
    const line = doc.querySelector('g[aria-label="line"] path')!;
    expect(line).not.toBeNull();
    const rules = [...doc.querySelectorAll('g[aria-label="rule"] line')];
    expect(rules.length).toBeGreaterThanOrEqual(2); // k and 99%
    expect([...doc.querySelectorAll('g[aria-label="text"] text')].map((t) => t.textContent)).toContain('k = 32');
    expect(chart.description).toContain('99% in 19');
    expect(chart.description).toContain('k = 32');
  });
});
