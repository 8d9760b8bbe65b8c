import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Latents } from '@saelab/results';
import { makeResults } from '@saelab/experiments/fixture';
import { latentsCommand, latentsFiles, latentsSources } from '../src/lib/latents.js';
import { inputSegments, latentColumns, latentRow, latentsSummary } from '../src/lib/latents-view.js';

const file = (inputs: Latents['inputs'], top: Latents['latents'][number]['top'], truth?: number): Latents => ({
  schemaVersion: 1, config: 'husai', task: 'copy', kind: 'copy', seed: 42, variant: 'husai', dSae: 1024, rows: 50000,
  selection: { frequent: 64, random: 64, topInputs: 8, rngLabel: 'latents/copy/seed42' }, inputs,
  latents: [{ latent: 286, chosen: 'frequent', count: 26070, frequency: 0.5214, meanActivation: 0.753907, top,
    matches: [{ seed: 123, latent: 7, cosine: -0.912345 }], ...(truth === undefined ? {} : {
      truth: { feature: truth, cosine: 0.98765 } }) }],
});
const text = (segments: { text: string }[]) => segments.map((s) => s.text).join('');

describe('latent pages', () => {
  it('formats a copy input as its sequence, special tokens by name, the read position marked', () => {
    const f = file({ kind: 'copy', position: 8, names: { 4: 'SEP', 5: 'PAD' } },
      [{ row: 3, value: 2.278031, tokens: [1, 2, 3, 4, 5, 5, 5, 5, 5] }]);
    const segments = inputSegments(f, f.latents[0]!.top[0]!);
    expect(text(segments)).toBe('1 2 3 SEP PAD×4 PAD');
    expect(segments.filter((s) => s.mark)).toEqual([{ text: 'PAD', mark: true }]);
    const row = latentRow(f, f.latents[0]!);
    expect(row.map((c) => c.map(text))).toEqual([['#286', 'most frequent'], ['52.1% of rows (26,070)'], ['0.7539'],
      ['2.278: 1 2 3 SEP PAD×4 PAD'], ['seed 123: #7 (-0.912)']]);
    expect(latentColumns(f)).toHaveLength(5);
    expect(latentsSummary(f)).toContain('the read position (index 8) highlighted');
  });

  it('formats a modular pair as a + b and a synthetic sample\'s features with the matched one in bold', () => {
    const m = file({ kind: 'modular', position: 4, p: 113 }, [{ row: 5, value: 1, a: 0, b: 5 }]);
    expect(text(inputSegments(m, m.latents[0]!.top[0]!))).toBe('0 + 5');
    const s = file({ kind: 'synthetic', features: 512 }, [{ row: 9, value: 1.3, features: [3, 11, 20] }], 11);
    const segments = inputSegments(s, s.latents[0]!.top[0]!, 11);
    expect(text(segments)).toBe('features 3, 11, 20');
    expect(segments.filter((x) => x.strong)).toEqual([{ text: '11', strong: true }]);
    expect(latentColumns(s).at(-1)).toBe('True feature (cosine)');
    expect(latentRow(s, s.latents[0]!).at(-1)!.map(text)).toEqual(['11 (0.988)']);
    const dead = { ...s.latents[0]!, count: 0, frequency: 0, meanActivation: null, top: [] };
    expect(latentRow(s, dead).slice(1, 4).map((c) => c.map(text))).toEqual([['never'], ['–'], ['–']]);
  });

  it('finds which SAEs have latents files, validates them, and names the command that writes them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'site-latents-'));
    const run = { name: 'husai', dir, results: makeResults('husai', [{ kind: 'copy', pairs: Array(10).fill(0.3) }]) };
    expect(latentsSources(run, 0).map((s) => s.present)).toEqual([false, false, false, false, false]);
    expect(latentsFiles(run)).toEqual([]);
    mkdirSync(join(dir, 'copy'));
    const f = file({ kind: 'copy', position: 8, names: {} }, []);
    writeFileSync(join(dir, 'copy', 'latents-seed42.json'), JSON.stringify(f));
    expect(latentsSources(run, 0)[0]).toEqual({ seed: 42, file: 'copy/latents-seed42.json', present: true });
    expect(latentsFiles(run)).toEqual(['copy/latents-seed42.json']);
    writeFileSync(join(dir, 'copy', 'latents-seed123.json'), JSON.stringify({ ...f, rows: 'many' }));
    expect(() => latentsFiles(run)).toThrow(/latents-seed123\.json is not a valid saelab latents file:\n {2}rows/);
    expect(latentsCommand(run)).toBe('npx saelab latents results/husai');
  });
});
