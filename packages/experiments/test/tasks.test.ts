/** The registry gives each task kind its schema and data; the sequences are laid out exactly as PROTOCOL.md says. */
import { Rng } from '@saelab/tensor';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import {
  allModularPairs, copySequences, dInOf, isTransformerTask, makeCopyTask, makeModularTask, makeTask, TaskSchema,
  taskKinds, taskOf, tasks, type TaskConfig,
} from '../src/tasks/index.js';

const cfg = loadConfig('husai');
const copyCfg = cfg.tasks.copy!;
const modCfg = cfg.tasks.modular!;

/** A task config's issues as `path: message` lines, none if it parses. */
const issues = (raw: unknown) =>
  TaskSchema.safeParse(raw).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

describe('task registry', () => {
  const configs = Object.values(cfg.tasks);

  it('lists each kind once, under its own kind, in the order of taskKinds', () => {
    expect(taskKinds).toEqual(['copy', 'modular', 'synthetic']);
    for (const [key, def] of Object.entries(tasks)) {
      expect(def.kind).toBe(key);
      expect(def.title).toMatch(/^[a-z][a-z ]+$/); // mid-sentence words, as the site writes them
    }
  });

  it("builds the config's task union from the registry's schemas, one option per kind, each with an SAE "
    + 'override', () => {
    expect(TaskSchema.options.map((o) => Object.keys(o.shape).sort()))
      .toEqual(taskKinds.map((k) => [...Object.keys(tasks[k].schema.shape), 'sae'].sort()));
    const own = TaskSchema.parse({ kind: 'synthetic', sae: { k: 8, expansion: 4 } });
    expect(own.sae).toEqual({ k: 8, expansion: 4 });
    expect(issues({ kind: 'synthetic', sae: { k: 0 } })).toEqual(['sae.k: must be >= 1']);
    expect(issues({ kind: 'synthetic', sae: { width: 3 } })).toEqual(['sae: Unrecognized key: "width"']);
  });

  it.each(configs.map((c) => [c.kind, c] as const))('gives a %s config to the entry whose schema it is', (kind, c) => {
    const def = taskOf(c);
    expect(def).toBe(tasks[kind]);
    expect(def.schema.parse(c)).toEqual(TaskSchema.parse(c));
    expect(isTransformerTask(c) && dInOf(c)).toBe(isTransformerTask(c) && c.transformer.dModel);
  });

  it('rejects an unknown or missing kind, naming the value and the kinds it allows', () => {
    expect(issues({ ...copyCfg, kind: 'sorting' }))
      .toEqual(["kind: unknown task kind 'sorting': choose one of copy, modular, synthetic"]);
    expect(issues({ p: 113 })).toEqual(['kind: missing task kind: choose one of copy, modular, synthetic']);
    const sorting = { kind: 'sorting' } as unknown as TaskConfig;
    expect(() => taskOf(sorting)).toThrow("unknown task kind 'sorting': choose one of copy, modular, synthetic");
    expect(() => taskOf({ kind: 'toString' } as unknown as TaskConfig)).toThrow("unknown task kind 'toString'");
  });

  it("keeps a bad field's own message inside a known kind", () => {
    expect(issues({ ...modCfg, p: 1 })).toEqual(['p: must be >= 2']);
  });

  it("reads activations from each task's inputs: fresh copy sequences from their seed, every modular pair", () => {
    if (copyCfg.kind !== 'copy') throw new Error('husai copy task');
    const small = { ...copyCfg, activations: { ...copyCfg.activations, count: 7 } };
    const fresh = copySequences(small, 7, new Rng(small.activations.seed).fork('copy-activations'));
    expect(makeTask('copy', small).activationInputs()).toEqual(fresh);
    expect(makeTask('modular', modCfg).activationInputs()).toEqual(allModularPairs({ p: 113 }));
  });
});

describe('synthetic task', () => {
  const small = TaskSchema.parse({ kind: 'synthetic', d: 8, features: 16, meanActive: 2, samples: 50, dataSeed: 3,
    sae: { k: 2 } });

  it('generates its activations from the generator with the same fields, ignoring its SAE override', async () => {
    const { generateSynthetic } = await import('../src/synthetic/index.js');
    const def = taskOf(small);
    expect(def.source).toBe('generated');
    if (def.source !== 'generated') return;
    const g = def.generate(small);
    const direct = generateSynthetic({ d: 8, features: 16, meanActive: 2, samples: 50, dataSeed: 3 });
    expect([g.n, g.d, dInOf(small)]).toEqual([50, 8, 8]);
    expect(g.activations).toEqual(direct.activations);
    expect(g.truth).toEqual(direct.truth);
    expect(g.meanActive).toBe(direct.fired.active.reduce((a, b) => a + b, 0) / 50);
  });

  it('has no transformer data, and says so by name', () => {
    expect(isTransformerTask(small)).toBe(false);
    expect(() => makeTask('toy', small))
      .toThrow('task toy (synthetic) generates its activations; it has no transformer');
  });

  it("validates the generator's fields with their own messages", () => {
    expect(issues({ kind: 'synthetic', meanActive: 600 }))
      .toEqual(['meanActive: meanActive (600) must be <= features (512): at most every feature fires']);
    expect(issues({ kind: 'synthetic', correlation: 1 })).toEqual(['correlation: correlation must be in [0, 1)']);
  });
});

describe('copy task', () => {
  if (copyCfg.kind !== 'copy') throw new Error('husai copy task');
  const task = makeCopyTask('copy', copyCfg);

  it('is [t1..t10, SEP, PAD x10] -> t1..t10 read at positions 11..20, split 90/10 in order', () => {
    expect([task.seqLen, task.dVocab, task.window, task.activationPosition]).toEqual([21, 22, [11, 21], 20]);
    expect([task.train.n, task.val.n]).toEqual([9000, 1000]);
    const seq = Array.from(task.train.tokens.slice(0, 21));
    expect(seq[10]).toBe(20); // SEP
    expect(seq.slice(11)).toEqual(new Array(10).fill(21)); // PAD
    expect(Array.from(task.train.targets.slice(0, 10))).toEqual(seq.slice(0, 10));
    expect(seq.slice(0, 10).every((t) => t >= 0 && t < 20)).toBe(true);
  });

  it('draws the same data for the same seed and different data for another', () => {
    expect(makeCopyTask('copy', copyCfg).train.tokens).toEqual(task.train.tokens);
    expect(makeCopyTask('copy', { ...copyCfg, dataSeed: 1 }).train.tokens).not.toEqual(task.train.tokens);
  });
});

describe('modular addition', () => {
  if (modCfg.kind !== 'modular') throw new Error('husai modular task');

  it('is [BOS, a, PLUS, b, EQUALS, c, EOS] over all 12,769 pairs, split 90/10 by a seeded shuffle', () => {
    const task = makeModularTask('modular', modCfg);
    expect([task.seqLen, task.dVocab, task.train.n + task.val.n]).toEqual([7, 117, 12769]);
    expect(task.train.n).toBe(Math.round(12769 * 0.9));
    for (let i = 0; i < 50; i++) {
      const [bos, a, plus, b, eq, c, eos] = Array.from(task.train.tokens.slice(i * 7, i * 7 + 7));
      expect([bos, plus, eq, eos]).toEqual([113, 116, 115, 114]);
      expect(c).toBe((a! + b!) % 113);
      expect(task.train.targets[i]).toBe(c);
    }
    const seen = new Set<string>();
    for (const split of [task.train, task.val]) {
      for (let i = 0; i < split.n; i++) seen.add(`${split.tokens[i * 7 + 1]},${split.tokens[i * 7 + 3]}`);
    }
    expect(seen.size).toBe(12769);
  });

  it('reads the answer at index 5 (husai, which holds c) or at EQUALS, index 4 (corrected)', () => {
    expect(makeModularTask('m', modCfg).window).toEqual([5, 6]);
    expect(makeModularTask('m', { ...modCfg, readAt: 'equals' }).window).toEqual([4, 5]);
    expect(makeModularTask('m', { ...modCfg, readAt: 'equals' }).activationPosition).toBe(4);
  });

  it('lists every pair in (a, b) order for activation extraction', () => {
    const all = allModularPairs({ p: 5 });
    expect(all.n).toBe(25);
    expect(Array.from(all.tokens.slice(7 * 7, 8 * 7))).toEqual([5, 1, 8, 2, 7, 3, 6]); // pair 7 = (1, 2)
  });
});
