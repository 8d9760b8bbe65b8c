/** Configs: the presets validate, extends merges, and every bad field gets a message naming it. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listConfigs, loadConfig, merge, validateConfig } from '../src/config/load.js';
import { saeArchitectureNames } from '@saelab/models';
import { saeOf } from '../src/config/schema.js';

const husai = () => JSON.parse(JSON.stringify(loadConfig('husai'))) as Record<string, any>;

async function writeConfig(body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'saelab-config-'));
  const path = join(dir, 'c.json');
  await writeFile(path, body);
  return path;
}

describe('configs', () => {
  it('ships the eight presets, each valid', () => {
    expect(listConfigs()).toEqual(['architectures', 'corrected', 'corrected-long', 'corrected-wd1', 'husai', 'quick',
      'smoke', 'synthetic']);
    for (const name of listConfigs()) expect(loadConfig(name).name).toBe(name);
  });

  it('husai holds the protocol numbers', () => {
    const c = loadConfig('husai');
    expect(c.seeds).toEqual([42, 123, 456, 789, 1011]);
    expect(c.sae).toEqual({ variant: 'husai', expansion: 8, k: 32, lr: 3e-4, batchSize: 256, epochs: 20 });
    const copy = c.tasks.copy!;
    const modular = c.tasks.modular!;
    expect(copy.kind === 'copy' && [copy.vocab, copy.length, copy.examples, copy.activations.count])
      .toEqual([20, 10, 10000, 50000]);
    if (copy.kind !== 'copy' || modular.kind !== 'modular') throw new Error('husai: copy and modular tasks');
    expect(copy.transformer).toMatchObject({ optimizer: 'adam', lr: 1e-3, batchSize: 256, epochs: 100, dModel: 128,
      nHeads: 4, dHead: 32, dMlp: 512 });
    expect(modular.kind === 'modular' && [modular.p, modular.readAt]).toEqual([113, 'answer']);
    expect(modular.transformer).toMatchObject({ optimizer: 'adamw', weightDecay: 0.01, batchSize: 512, epochs: 200,
      stopWhen: { valAccuracy: 0.99, forEpochs: 5 } });
  });

  it('synthetic trains d_sae = N with k = the mean active count (both variants), d_sae = 2N, and the study\'s '
    + 'shape', () => {
    const c = loadConfig('synthetic');
    const shape = (task: string) => {
      const t = c.tasks[task]!;
      if (t.kind !== 'synthetic') throw new Error(`${task} is not synthetic`);
      const sae = saeOf(c, task);
      return [sae.variant, sae.expansion * t.d, sae.k, t.features, t.meanActive, t.samples];
    };
    expect(c.seeds).toHaveLength(5);
    expect(shape('synthetic')).toEqual(['openai', 512, 8, 512, 8, 200_000]);
    expect(shape('synthetic-husai')).toEqual(['husai', 512, 8, 512, 8, 200_000]);
    expect(shape('synthetic-2n')).toEqual(['openai', 1024, 8, 512, 8, 200_000]);
    expect(shape('synthetic-study')).toEqual(['openai', 1024, 32, 512, 8, 200_000]);
  });

  it('architectures trains every registered architecture on each task kind at its k, each its own task', () => {
    const c = loadConfig('architectures');
    const corrected = loadConfig('corrected');
    for (const kind of ['copy', 'modular', 'synthetic'] as const) {
      const names = Object.keys(c.tasks).filter((t) => c.tasks[t]!.kind === kind);
      expect(names.map((t) => saeOf(c, t).variant).sort()).toEqual([...saeArchitectureNames].sort());
      expect(names.every((t) => t.startsWith(`${kind}-`))).toBe(true);
      // No lambda: the dense architectures steer theirs to L0 = k. The toy tasks train corrected's SAE shape on
      // corrected's task (the same transformer) for about 4,000 steps (modular's 12,769 rows 80 epochs) on normalised
      // activations; the synthetic ones the synthetic preset's SAE training, on the activations as they are.
      const want = { synthetic: [8, 4, 5, 1e-3, undefined], copy: [32, 8, 20, 3e-4, 'expected_average_only_in'],
        modular: [32, 8, 80, 3e-4, 'expected_average_only_in'] }[kind];
      for (const t of names) {
        const s = saeOf(c, t);
        expect([s.k, s.expansion, s.epochs, s.lr, s.normalizeActivations, s.lambda], t).toEqual([...want, undefined]);
        if (kind !== 'synthetic') {
          const { sae: _own, ...task } = c.tasks[t]! as Record<string, unknown>;
          expect(task, t).toEqual(corrected.tasks[kind]);
        }
      }
    }
  });

  it('corrected extends husai, changing only what its notes list', () => {
    const c = loadConfig('corrected');
    expect(c.sae.variant).toBe('openai');
    expect(c.tasks.modular).toMatchObject({ readAt: 'equals', transformer: { weightDecay: 0.1, epochs: 500 } });
    expect(c.tasks.copy).toEqual(loadConfig('husai').tasks.copy);
    expect(c.notes.length).toBe(3);
  });

  it('corrected-wd1 is corrected with the failed weight decay 1.0, corrected-long with SAEs trained 100 epochs', () => {
    const [c, wd1, long] = ['corrected', 'corrected-wd1', 'corrected-long'].map((n) => loadConfig(n));
    const { name: _a, description: _b, notes: _c, ...rest } = c!;
    const strip = (x: typeof c) => { const { name: _, description: __, notes: ___, ...r } = x!; return r; };
    const expectedWd1 = JSON.parse(JSON.stringify(rest));
    expectedWd1.tasks.modular.transformer.weightDecay = 1;
    expect(strip(wd1)).toEqual(expectedWd1);
    expect(strip(long)).toEqual({ ...rest, sae: { ...rest.sae, epochs: 100 } });
  });

  it('merges objects key by key and replaces arrays', () => {
    expect(merge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] }, d: 1 });
  });

  it("gives each task the config's SAE settings, with the task's own fields in their place", () => {
    const c = loadConfig('smoke');
    expect(saeOf(c, 'copy')).toBe(c.sae);
    expect(saeOf(c, 'synthetic')).toEqual({ ...c.sae, variant: 'openai', k: 3 });
  });

  it('takes seeds from the command line', () => {
    expect(loadConfig('smoke', { seeds: [7, 8, 9] }).seeds).toEqual([7, 8, 9]);
  });

  it.each([
    ['k > d_sae', (c: any) => { c.sae.k = 2048; }, /sae\.k: k \(2048\) must be <= d_sae \(1024/],
    ['empty seeds', (c: any) => { c.seeds = []; }, /seeds: needs at least 3 seeds/],
    ['two seeds (one pair)', (c: any) => { c.seeds = [1, 2]; },
      /seeds: needs at least 3 seeds \(2 seeds give one pair/],
    ['repeated seeds', (c: any) => { c.seeds = [1, 1, 2]; }, /seeds: must not repeat a seed/],
    ['unknown task kind', (c: any) => { c.tasks.copy.kind = 'sorting'; },
      /tasks\.copy\.kind: unknown task kind 'sorting': choose one of copy, modular, synthetic/],
    ["a task's own k > its d_sae", (c: any) => { c.tasks.copy.sae = { expansion: 1, k: 200 }; },
      /tasks\.copy\.sae\.k: k \(200\) must be <= d_sae \(128 = expansion 1 x d_in 128 of task copy\)/],
    ["a task's own SAE field of the wrong kind", (c: any) => { c.tasks.modular.sae = { variant: 'matryoshka' }; },
      /tasks\.modular\.sae\.variant/],
    ['negative learning rate', (c: any) => { c.sae.lr = -1; }, /sae\.lr: must be > 0/],
    ['a typo in a field name', (c: any) => { c.sae.epoch = 3; }, /sae: Unrecognized key.*epoch/],
    ['an unknown SAE variant', (c: any) => { c.sae.variant = 'matryoshka'; }, /sae\.variant/],
    ['a bad hook', (c: any) => { c.tasks.copy.activations.hook = 'resid'; },
      /tasks\.copy\.activations\.hook: must be a residual hook/],
  ])('rejects %s, naming the field', (_name, mutate, message) => {
    const c = husai();
    mutate(c);
    expect(() => validateConfig(c, 'test.json')).toThrow(message);
  });

  it('reports malformed JSON, a missing file and an unknown preset with the fix', async () => {
    await expect(async () =>
      loadConfig(await writeConfig('{ "name": '))).rejects.toThrow(/is not valid JSON.*fix the syntax/);
    expect(() => loadConfig('/no/such/config.json')).toThrow(/config file \/no\/such\/config.json does not exist/);
    expect(() => loadConfig('nope'))
      .toThrow("unknown config 'nope': choose one of architectures, corrected, corrected-long, corrected-wd1, husai, "
        + 'quick, smoke, synthetic');
    await expect(async () => loadConfig(await writeConfig('{ "extends": "husai", "sae": { "k": 0 } }')))
      .rejects.toThrow(/sae\.k: must be >= 1/);
  });
});
