/**
 * Latents files (src/latents/): a smoke run writes one per SAE that validates; its frequencies are a direct count,
 * its top inputs the true top, its matches the true best cosines; `writeFolderLatents` writes the same bytes again
 * (from the activations, or from the transformer when they are gone); bad input names what is wrong.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSae, loadSafetensors } from '@saelab/models';
import { latentsFile, parseLatents, type Latents } from '@saelab/results';
import { noGrad, Rng, tensor } from '@saelab/tensor';
import { loadConfig } from '../src/config/load.js';
import { bestMatches, selectLatents } from '../src/latents/compute.js';
import { writeFolderLatents } from '../src/latents/folder.js';
import { writeTaskLatents } from '../src/latents/write.js';
import { runExperiment } from '../src/run/pipeline.js';
import type { Reporter } from '../src/run/pool.js';
import { decoderMatrix } from '../src/train/sae.js';

const quiet: Reporter = { job: () => ({ start() {}, update() {}, finish() {} }) };
const smoke = loadConfig('smoke');
let ran: Promise<string> | undefined;
const smokeRun = () => (ran ??= (async () => {
  const out = mkdtempSync(join(tmpdir(), 'saelab-latents-'));
  await runExperiment(smoke, { out, backend: 'reference', workers: 1, reporter: quiet });
  return out;
})());
const read = (out: string, task: string, seed: number): Latents => {
  const path = join(out, latentsFile(task, seed));
  return parseLatents(JSON.parse(readFileSync(path, 'utf8')), path);
};
const actsOf = async (out: string, task: string) => {
  const t = (await loadSafetensors(join(out, task, 'activations.safetensors'))).tensors.activations!;
  return { data: t.data as Float32Array, n: t.shape[0]!, d: t.shape[1]! };
};

describe('latents files', () => {
  it('the analysis writes one per SAE, valid, bounded, with each task\'s inputs', async () => {
    const out = await smokeRun();
    for (const task of Object.keys(smoke.tasks)) {
      for (const seed of smoke.seeds) {
        const f = read(out, task, seed);
        expect(f).toMatchObject({ config: 'smoke', task, seed, kind: smoke.tasks[task]!.kind });
        expect(f.latents.length).toBe(Math.min(f.dSae, 128));
        expect(new Set(f.latents.map((l) => l.latent)).size).toBe(f.latents.length);
        for (const l of f.latents) {
          expect(l.top.length).toBeLessThanOrEqual(8);
          expect(l.matches.map((m) => m.seed)).toEqual(smoke.seeds.filter((s) => s !== seed));
        }
      }
    }
    const copy = read(out, 'copy', 1);
    expect(copy.inputs).toEqual({ kind: 'copy', position: 8, names: { 8: 'SEP', 9: 'PAD' } });
    expect(copy.latents[0]!.top[0]!.tokens).toHaveLength(9);
    const modular = read(out, 'modular', 1).latents[0]!.top[0]!;
    expect(modular.a! * 11 + modular.b!).toBe(modular.row); // row i is pair i
    const synthetic = read(out, 'synthetic', 1);
    expect(synthetic.inputs.kind).toBe('synthetic');
    expect(synthetic.latents.every((l) => l.truth !== undefined && l.top.every((t) => t.features))).toBe(true);
  });

  it('counts, means and top inputs are those of the SAE\'s code over every row; matches are the best cosines',
    async () => {
      const out = await smokeRun();
      const { data, n, d } = await actsOf(out, 'synthetic');
      const { sae } = await loadSae(join(out, 'synthetic', 'sae-seed2'));
      const dense = noGrad(() => {
        const { indices, values } = sae.encode(tensor(data, [n, d]));
        const [ids, vals] = [indices.toArray(), values.toArray()];
        const z = new Float64Array(n * sae.cfg.dSae);
        const w = vals.length / n;
        for (let i = 0; i < vals.length; i++) z[Math.floor(i / w) * sae.cfg.dSae + ids[i]!] = vals[i]!;
        return z;
      });
      const f = read(out, 'synthetic', 2);
      for (const l of f.latents) {
        const column = Array.from({ length: n }, (_, r) => ({ row: r, value: dense[r * sae.cfg.dSae + l.latent]! }));
        const firing = column.filter((c) => c.value !== 0);
        expect(l.count).toBe(firing.length);
        expect(l.frequency).toBeCloseTo(firing.length / n, 5);
        if (firing.length) expect(l.meanActivation!).toBeCloseTo(firing.reduce((s, c) => s + c.value, 0) / l.count, 4);
        const top = firing.sort((a, b) => b.value - a.value || a.row - b.row).slice(0, 8);
        expect(l.top.map((t) => t.row)).toEqual(top.map((t) => t.row));
      }
      const frequent = f.latents.filter((l) => l.chosen === 'frequent').map((l) => l.count);
      expect(frequent).toEqual([...frequent].sort((a, b) => b - a));
      const other = decoderMatrix((await loadSae(join(out, 'synthetic', 'sae-seed3'))).sae);
      const l0 = f.latents[0]!;
      const cos = bestMatches(decoderMatrix(sae), [l0.latent], other)[0]!;
      expect(l0.matches[1]).toEqual({ seed: 3, latent: cos.index, cosine: Number(cos.cosine.toPrecision(6)) });
    });

  it('selects the most frequent, then a seeded draw of the rest, deterministically', () => {
    const counts = [5, 9, 9, 0, 1, 7, 2, 3];
    const pick = (seed: number) => selectLatents(counts, { frequent: 3, random: 2 }, new Rng(seed).fork('x'));
    const a = pick(1);
    expect(a.slice(0, 3)).toEqual([{ latent: 1, chosen: 'frequent' }, { latent: 2, chosen: 'frequent' },
      { latent: 5, chosen: 'frequent' }]);
    expect(a.slice(3).every((c) => c.chosen === 'random' && ![1, 2, 5].includes(c.latent))).toBe(true);
    expect(pick(1)).toEqual(a);
    expect(selectLatents(counts, { frequent: 6, random: 6 }, new Rng(0)).length).toBe(8);
  });

  it('saelab latents writes the same bytes for a finished folder, regenerating missing activations', async () => {
    const out = await smokeRun();
    const dir = mkdtempSync(join(tmpdir(), 'saelab-latents-'));
    cpSync(out, dir, { recursive: true, filter: (src) => !src.includes('latents-seed') && !src.includes('.work') });
    for (const task of ['copy', 'synthetic']) rmSync(join(dir, task, 'activations.safetensors'));
    const before = readFileSync(join(dir, 'results.json'), 'utf8');
    const written = await writeFolderLatents(dir);
    expect(written).toHaveLength(9);
    for (const task of Object.keys(smoke.tasks)) {
      for (const seed of smoke.seeds) {
        expect(readFileSync(join(dir, latentsFile(task, seed)), 'utf8'))
          .toBe(readFileSync(join(out, latentsFile(task, seed)), 'utf8'));
      }
    }
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe(before);
  });

  it('names a missing SAE file and activations of the wrong shape', async () => {
    const out = await smokeRun();
    const { data, n, d } = await actsOf(out, 'modular');
    const base = { config: smoke, taskName: 'modular', out: mkdtempSync(join(tmpdir(), 'saelab-latents-')),
      seeds: smoke.seeds, saeFile: (s: number) => join(out, 'modular', `sae-seed${s}`), acts: data, n, d };
    await expect(writeTaskLatents({ ...base, saeFile: (s) => join(out, 'modular', `nope${s}`) }))
      .rejects.toThrow(/nope1\.safetensors \(with its \.cfg\.json\) is missing: the latents of task modular need/);
    await expect(writeTaskLatents({ ...base, n: n - 1 })).rejects.toThrow(`are not [${n - 1}, ${d}]`);
    await expect(writeTaskLatents({ ...base, acts: data.subarray(0, (n - 1) * d), n: n - 1 }))
      .rejects.toThrow(`its config gives ${n} activation inputs, but the activations have ${n - 1} rows`);
    await expect(writeTaskLatents({ ...base, acts: data.subarray(0, n * (d - 1)), d: d - 1 }))
      .rejects.toThrow(`has d_in ${d}, but task modular's activations have ${d - 1} columns`);
    const dir = mkdtempSync(join(tmpdir(), 'saelab-latents-'));
    cpSync(out, dir, { recursive: true });
    writeFileSync(join(dir, 'copy', 'activations.safetensors'), readFileSync(join(out, 'modular',
      'activations.safetensors')));
    await expect(writeFolderLatents(dir))
      .rejects.toThrow(/copy\/activations\.safetensors: expected a tensor activations of shape/);
    expect(existsSync(join(base.out, 'modular'))).toBe(false);
  });
});
