import { describe, expect, it } from 'vitest';
import { latentsFile, parseLatents, type Latents } from '../src/index.js';

const file = (): Latents => ({
  schemaVersion: 1, config: 'smoke', task: 'copy', kind: 'copy', seed: 42, variant: 'openai', dSae: 16, rows: 100,
  selection: { frequent: 1, random: 1, topInputs: 2, rngLabel: 'latents/copy/seed42' },
  inputs: { kind: 'copy', position: 4, names: { 3: 'SEP', 4: 'PAD' } },
  latents: [
    { latent: 3, chosen: 'frequent', count: 40, frequency: 0.4, meanActivation: 1.5,
      top: [{ row: 7, value: 2.5, tokens: [0, 1, 3, 4, 4] }, { row: 2, value: 2, tokens: [1, 1, 3, 4, 4] }],
      matches: [{ seed: 123, latent: 9, cosine: -0.91 }] },
    { latent: 11, chosen: 'random', count: 0, frequency: 0, meanActivation: null, top: [], matches: [] },
  ],
});

describe('latents files', () => {
  it('accepts a valid file and names where one SAE\'s file sits', () => {
    expect(parseLatents(file(), 'f.json')).toEqual(file());
    expect(latentsFile('copy', 42)).toBe('copy/latents-seed42.json');
  });

  it('names the file, the field and the command that writes it again', () => {
    const bad = file() as unknown as { latents: { frequency?: number }[] };
    delete bad.latents[0]!.frequency;
    expect(() => parseLatents(bad, 'f.json'))
      .toThrow(/f\.json is not a valid saelab latents file:\n {2}latents\.0\.frequency/);
    expect(() => parseLatents({ ...file(), schemaVersion: 9 }, 'f.json'))
      .toThrow('f.json has latents schema version 9; this reader needs 1. Write it again with `npx saelab latents');
    expect(() => parseLatents({ ...file(), inputs: { kind: 'pixels' } }, 'f.json')).toThrow(/inputs\.kind/);
  });
});
