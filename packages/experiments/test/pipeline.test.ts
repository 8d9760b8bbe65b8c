/**
 * The whole pipeline on the smoke config: it writes a valid results.json, replays from its own
 * records, gives bit-identical outputs for the same config and seed, resumes after being killed
 * mid-training, and refuses a results folder that belongs to another run.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadSafetensors, saveSafetensors } from '@saelab/models';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../src/config/load.js';
import { analysisJob } from '../src/run/analysis.js';
import { runExperiment } from '../src/run/pipeline.js';
import type { Reporter } from '../src/run/pool.js';
import { parseResults, type Results } from '../src/results/schema.js';

const quiet: Reporter = { job: () => ({ start() {}, update() {}, finish() {} }) };
const smoke = loadConfig('smoke');
const backend = 'reference';
const tmp = () => mkdtemp(join(tmpdir(), 'saelab-run-'));
const run = (out: string, reporter = quiet, config = smoke) =>
  runExperiment(config, { out, backend, workers: 1, reporter });

/** Every file under dir (relative path -> bytes), skipping run-specific records. */
function files(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'results.json') out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const withoutTimings = (r: Results) => {
  const { replayedStages: _, workerBackendDetails: __, ...environment } = r.environment;
  return { ...r, environment: { ...environment, startedAt: '', finishedAt: '', durationsMs: {} } };
};

describe('pipeline (smoke config)', () => {
  it('writes a results.json that satisfies the schema and holds every computed section', async () => {
    const out = await tmp();
    const r = await run(out);
    const onDisk = parseResults(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')), 'results.json');
    expect(onDisk.tasks.map((t) => t.name)).toEqual(['copy', 'modular', 'synthetic']);
    for (const t of r.tasks) {
      const generated = t.kind === 'synthetic';
      expect(t.pwmcc.matrix.length).toBe(3);
      expect(t.pwmcc.pairs.length).toBe(3);
      t.pwmcc.matrix.forEach((row, i) => expect(row[i]).toBeCloseTo(1, 5));
      expect(t.saes.map((s) => s.seed)).toEqual([1, 2, 3]);
      for (const s of t.saes) {
        // husai keeps exactly k latents; the synthetic task's own SAE settings are openai (ReLU) with k 3
        expect([s.variant, s.k]).toEqual(generated ? ['openai', 3] : ['husai', 4]);
        if (generated) expect(s.l0).toBeLessThanOrEqual(3);
        else expect(s.l0).toBe(4);
        expect(s.trainedVsInitCurve.length).toBe(2);
        expect(existsSync(join(out, `${s.file}.safetensors`)) && existsSync(join(out, `${s.file}.cfg.json`)))
          .toBe(true);
      }
      expect(t.randomBaseline.analytic).toBeGreaterThan(0);
      expect(t.bootstrap.ci95[0]).toBeLessThanOrEqual(t.bootstrap.ci95[1]);
      expect(existsSync(join(out, t.activations.file))).toBe(true);
      if (generated) {
        expect(t.transformer).toBeUndefined();
        expect([t.activations.hook, t.activations.count, t.activations.dModel]).toEqual([undefined, 600, 16]);
      } else {
        expect(existsSync(join(out, t.transformer!.file))).toBe(true);
      }
      // Cross-seed PWMCC as training went on: the untrained decoders first, the final decoders last.
      const curve = t.pwmccCurve!;
      expect(curve.full).toHaveLength(smoke.sae.epochs + 1);
      expect(curve.full[0]).toBeCloseTo(t.randomBaseline.empirical.mean, 12);
      expect(curve.full[smoke.sae.epochs]).toBeCloseTo(t.pwmcc.mean, 12);
      const level = t.subspace.find((l) => l.variance === 0.99)!;
      expect(curve.m).toBe(level.m);
      expect(curve.subspace[0]).toBeCloseTo(level.untrained.mean, 12);
      expect(curve.subspace[smoke.sae.epochs]).toBeCloseTo(level.decoder.mean, 12);
    }
    expect(r.comparison?.tasks).toEqual(['copy', 'modular']);
    const truth = r.tasks[2]!.truth!;
    expect(r.tasks.slice(0, 2).map((t) => t.truth)).toEqual([undefined, undefined]);
    expect(existsSync(join(out, truth.file))).toBe(true);
    expect([truth.features, truth.d, truth.saes.map((s) => s.seed)]).toEqual([32, 16, [1, 2, 3]]);
    expect(truth.meanActive).toBeGreaterThan(2); // meanActive 3 asked, 600 samples
    expect(truth.meanActive).toBeLessThan(4);
    expect(truth.chance.mmcs).toBe(r.tasks[2]!.randomBaseline.analytic); // d_sae = 64 random directions in 16-d
    expect(truth.pairs.map((p) => [p.seedA, p.seedB, p.pwmcc])).toEqual(r.tasks[2]!.pwmcc.pairs.map((p) =>
      [p.seedA, p.seedB, p.value]));
    for (const p of truth.pairs) {
      const one = (seed: number) => truth.saes.find((s) => s.seed === seed)!.decoder.recovered90;
      expect(p.bothRecovered90).toBeLessThanOrEqual(Math.min(one(p.seedA), one(p.seedB)));
    }
    expect(r.verdicts.tasks.map((v) => v.solved === null)).toEqual([false, false, true]);
    expect(Object.keys(r.environment.durationsMs)).toEqual(['transformers', 'saes', 'analysis']);
    expect(r.environment.backendDetails).toEqual({ storage: 'float32', threads: 1 }); // what ran the numbers
    expect(onDisk.environment.workerBackendDetails).toBeUndefined(); // one worker: everything ran here
  });

  it('gives identical results and weight files for the same config, and replays a finished run', async () => {
    const [a, b] = [await tmp(), await tmp()];
    const ra = await run(a);
    const rb = await run(b);
    expect(withoutTimings(rb)).toEqual(withoutTimings(ra));
    expect(files(b)).toEqual(files(a));
    const before = files(a);
    const replay = await run(a);
    expect(withoutTimings(replay)).toEqual(withoutTimings(ra));
    expect(files(a)).toEqual(before);
    // The replay trained nothing: it keeps the training stages' durations of the run that did the work.
    expect(replay.environment.replayedStages).toEqual(['transformers', 'saes']);
    expect(replay.environment.durationsMs.transformers).toBe(ra.environment.durationsMs.transformers);
    expect(replay.environment.durationsMs.saes).toBe(ra.environment.durationsMs.saes);
    expect(ra.environment.replayedStages).toBeUndefined();
  });

  it('gives the same results and files on two worker threads (SAEs and analyses beside each other) as on one',
      async () => {
    const [one, two] = [await tmp(), await tmp()];
    const r1 = await run(one);
    const r2 = await runExperiment(smoke, { out: two, backend, workers: 2, reporter: quiet });
    expect(withoutTimings(r2)).toEqual(withoutTimings(r1));
    expect(r2.environment.workerBackendDetails).toEqual({ storage: 'float32', threads: 1 });
    expect(files(two)).toEqual(files(one));
  });

  it('refuses to analyse a task whose training stages are not done, naming what is missing', async () => {
    const out = await tmp();
    await expect(analysisJob(smoke, 'copy', out, backend))
      .rejects.toThrow("copy: the analysis needs the task's finished activation stage");
  });

  it('resumes a run killed during SAE training and ends where an uninterrupted run ends', async () => {
    const [killed, clean] = [await tmp(), await tmp()];
    let updates = 0;
    const killer: Reporter = { job: (id) => ({ start() {}, finish() {}, update() {
      if (id === 'modular/sae-seed2' && ++updates === 3) throw new Error('killed');
    } }) };
    await expect(run(killed, killer)).rejects.toThrow('killed');
    expect(existsSync(join(killed, 'copy', 'sae-seed3.safetensors'))).toBe(true); // finished work is kept
    expect(existsSync(join(killed, 'results.json'))).toBe(false);
    const resumed = await run(killed);
    expect(withoutTimings(resumed)).toEqual(withoutTimings(await run(clean)));
    expect(files(killed)).toEqual(files(clean));
  });

  it('names the fix for a damaged checkpoint and for corrupt activations, keeping finished work', async () => {
    const out = await tmp();
    let updates = 0;
    const killer: Reporter = { job: (id) => ({ start() {}, finish() {}, update() {
      if (id === 'copy/sae-seed1' && ++updates === 12) throw new Error('killed');
    } }) };
    await expect(run(out, killer)).rejects.toThrow('killed');
    const work = join(out, '.work', 'copy');
    const ckpt = readdirSync(work).find((f) => f.startsWith('sae-seed1-') && f.endsWith('.ckpt.safetensors'))!;
    writeFileSync(join(work, ckpt), 'not a checkpoint');
    await expect(run(out)).rejects
      .toThrow(/cannot resume from checkpoint .*sae-seed1-.*Delete that file to restart this stage/);
    expect(existsSync(join(out, 'copy', 'transformer.safetensors'))).toBe(true);
    rmSync(join(work, ckpt));
    await run(out); // starts that SAE over and finishes

    // Activations with a NaN (a corrupt file): the SAE stage says which row and what to do.
    const acts = await loadSafetensors(join(out, 'modular', 'activations.safetensors'));
    const data = acts.tensors.activations!.data as Float32Array;
    data[5 * 16 + 3] = NaN;
    await saveSafetensors(join(out, 'modular', 'activations.safetensors'),
      { activations: { shape: acts.tensors.activations!.shape, data } }, acts.metadata);
    rmSync(join(out, '.work', 'modular', 'sae-seed1.json'));
    await expect(run(out)).rejects.toThrow(/activation row 5 holds NaN.*delete the task's activations.safetensors/);
  });

  /** Another config: the same tasks, another SAE, and a copy transformer trained one epoch longer. */
  const otherSae = () => {
    const raw = JSON.parse(JSON.stringify(smoke));
    raw.name = 'other-sae';
    raw.sae.variant = 'openai';
    raw.tasks.copy.transformer.epochs += 1;
    return raw;
  };

  it('reuses another run\'s transformer when its stage key matches, and only then', async () => {
    const first = await tmp();
    const ra = await run(first);
    const raw = otherSae();
    const out = await tmp();
    const rb = await runExperiment(validateConfig(raw), { out, backend, workers: 1, reporter: quiet, reuse: [first] });
    expect(rb.environment.reusedTransformers).toEqual({ modular: relative(out, first) });
    // Replayed later (nothing left to adopt), the run still says whose work its modular transformer is.
    const replay = await runExperiment(validateConfig(raw), { out, backend, workers: 1, reporter: quiet });
    expect(replay.environment.reusedTransformers).toEqual({ modular: relative(out, first) });
    const bytes = (dir: string, task: string, file: string) => readFileSync(join(dir, task, file));
    expect(bytes(out, 'modular', 'transformer.safetensors'))
      .toEqual(bytes(first, 'modular', 'transformer.safetensors'));
    expect(bytes(out, 'modular', 'activations.safetensors'))
      .toEqual(bytes(first, 'modular', 'activations.safetensors'));
    expect(rb.tasks[1]!.transformer).toEqual(ra.tasks[1]!.transformer);
    // The copy transformer's key differs (4 epochs, not 3): it was trained here, not copied.
    expect(rb.tasks[0]!.transformer!.epochs).toBe(ra.tasks[0]!.transformer!.epochs + 1);
    // The same run without reuse gives the same numbers: reuse changes where the work happens, nothing else.
    const alone = await runExperiment(validateConfig(raw), { out: await tmp(), backend, workers: 1, reporter: quiet });
    expect(alone.tasks.map((t) => t.saes.map((s) => s.loss))).toEqual(rb.tasks.map((t) => t.saes.map((s) => s.loss)));
  });

  it('reuses a transformer from a folder that holds only its published files (a fresh clone: no stage records)',
      async () => {
    const first = await tmp();
    const ra = await run(first);
    rmSync(join(first, '.work'), { recursive: true });
    for (const task of ['copy', 'modular', 'synthetic']) rmSync(join(first, task, 'activations.safetensors'));
    const raw = otherSae();
    const out = await tmp();
    const rb = await runExperiment(validateConfig(raw), { out, backend, workers: 1, reporter: quiet, reuse: [first] });
    expect(rb.environment.reusedTransformers).toEqual({ modular: relative(out, first) });
    expect(readFileSync(join(out, 'modular', 'transformer.safetensors')))
      .toEqual(readFileSync(join(first, 'modular', 'transformer.safetensors')));
    expect(rb.tasks[1]!.transformer).toEqual(ra.tasks[1]!.transformer);
    // Its activations were extracted again here, and are the ones the first run's SAEs saw.
    expect(rb.tasks[1]!.activations.spectrum).toEqual(ra.tasks[1]!.activations.spectrum);
  });

  it('adopts a transformer by its stage key whatever the task is called there', async () => {
    const first = await tmp();
    const ra = await run(first);
    const raw = otherSae();
    raw.name = 'renamed';
    raw.tasks = { 'modular-openai': raw.tasks.modular };
    const out = await tmp();
    const rb = await runExperiment(validateConfig(raw), { out, backend, workers: 1, reporter: quiet, reuse: [first] });
    expect(rb.environment.reusedTransformers).toEqual({ 'modular-openai': relative(out, first) });
    expect(readFileSync(join(out, 'modular-openai', 'transformer.safetensors')))
      .toEqual(readFileSync(join(first, 'modular', 'transformer.safetensors')));
    expect(rb.tasks[0]!.transformer)
      .toEqual({ ...ra.tasks[1]!.transformer, file: 'modular-openai/transformer.safetensors' });
    // Without its records (a fresh clone), results.json's config names the task that holds it.
    rmSync(join(first, '.work'), { recursive: true });
    const again = await tmp();
    const rc = await runExperiment(validateConfig(raw), { out: again, backend, workers: 1, reporter: quiet,
      reuse: [first] });
    expect(rc.environment.reusedTransformers).toEqual({ 'modular-openai': relative(again, first) });
  });

  it('refuses a results folder that holds another config\'s run', async () => {
    const out = await tmp();
    await run(out);
    const other = validateConfig({ ...JSON.parse(JSON.stringify(smoke)), name: 'other' });
    await expect(run(out, quiet, other)).rejects.toThrow(/holds a run of config 'smoke'.*Pass another --out/);
  });

  it('stops on a non-finite loss, naming the stage and epoch', async () => {
    const raw = JSON.parse(JSON.stringify(smoke));
    raw.tasks = { copy: raw.tasks.copy };
    raw.tasks.copy.transformer.lr = 1e30;
    raw.name = 'diverging';
    await expect(run(await tmp(), quiet, validateConfig(raw))).rejects
      .toThrow(/copy: transformer: the loss became (NaN|Infinity) in epoch \d+/);
  });
});
