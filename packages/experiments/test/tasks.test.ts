/** The registry gives each task kind its schema and data; the sequences are laid out exactly as PROTOCOL.md says. */
import { Rng } from '@saelab/tensor';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import {
  allModularPairs, copySequences, makeCopyTask, makeModularTask, makeTask, TaskSchema, taskKinds, taskOf, tasks,
  type TaskConfig,
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
    expect(taskKinds).toEqual(['copy', 'modular']);
    for (const [key, def] of Object.entries(tasks)) {
      expect(def.kind).toBe(key);
      expect(def.title).toMatch(/^[a-z][a-z ]+$/); // mid-sentence words, as the site writes them
    }
  });

  it("builds the config's task union from the registry's schemas, one option per kind", () => {
    expect(TaskSchema.options).toEqual(taskKinds.map((k) => tasks[k].schema));
  });

  it.each(configs.map((c) => [c.kind, c] as const))('gives a %s config to the entry whose schema it is', (kind, c) => {
    const def = taskOf(c);
    expect(def).toBe(tasks[kind]);
    expect(def.schema.parse(c)).toEqual(TaskSchema.parse(c));
    expect(def.dIn(c)).toBe(c.transformer.dModel);
  });

  it('rejects an unknown or missing kind, naming the value and the kinds it allows', () => {
    expect(issues({ ...copyCfg, kind: 'sorting' }))
      .toEqual(["kind: unknown task kind 'sorting': choose one of copy, modular"]);
    expect(issues({ p: 113 })).toEqual(['kind: missing task kind: choose one of copy, modular']);
    const sorting = { kind: 'sorting' } as unknown as TaskConfig;
    expect(() => taskOf(sorting)).toThrow("unknown task kind 'sorting': choose one of copy, modular");
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
