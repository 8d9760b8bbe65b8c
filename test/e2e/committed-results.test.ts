/**
 * The committed results are what their weight files say. For every `results/<config>/results.json`
 * in the repository (tracked, or untracked and not ignored: what a commit holds), this test recomputes
 * from the committed weight files alone (`<task>/transformer.safetensors`, `<task>/sae-seed<seed>.safetensors`),
 * with the project's own functions on the backend the run recorded (`environment.backend`), and asserts
 * that results.json holds the same numbers. It proves that every number on the report's front page (which
 * reads results.json) can be recomputed from the committed weights, except the SAEs' dead-latent
 * fractions: those count firings during the final training epoch, while the weights still moved, so no
 * final weight file determines them (nor the loss curves and training losses, also training-time records).
 *
 * Per task, from the trained decoders (`W_dec`) and encoders (`W_enc`):
 * - the 5x5 PWMCC matrix, its pairs, mean, std, min, max and median;
 * - the empirical random baseline (PWMCC among the SAEs' untrained decoders, regenerated from their seeds
 *   by building each SAE with makeSae as training does; the init files are not committed) and each SAE's
 *   trainedVsInit (PWMCC of its trained decoder with its own regenerated initial decoder);
 * - the analytic baseline and its std for the decoders' d_in and d_sae (checked against the config's);
 * - Hungarian matching for ALL pairs: the mean matched cosine per pair, the shared fraction per pair, and
 *   the untrained decoders' mean matched cosine (30 matchings per task, within the times below: no sampling);
 * - the bootstrap over seeds (the config's analysis seed forked as `bootstrap/<task>`, its iteration count)
 *   and trained-vs-random, from the recomputed pairwise values; then the two-task comparison (z-test, Welch).
 * On activations regenerated through the committed transformer as the pipeline's transformer job extracts
 * them (copy: `activations.count` fresh sequences from the activation seed; modular: every pair): their PCA
 * spectrum (where results.json has one: those written before the spectrum existed do not); for EVERY SAE
 * of every task, L0, explained variance and FVU; and the transformer's validation accuracy (sequence and
 * per token) on the task's validation split. Training accuracy is not rechecked (copy's 9,000 training
 * sequences would add an estimated 17 s; it is not on the front page).
 *
 * Runtime, measured on the 2-core machine while it also ran the corrected experiment (load average 3-9):
 * 175-215 s for the husai folder (four runs), 105-115 s of CPU. Extracting copy's 50,000 activation rows
 * dominates (107-145 s wall); every EV needs all rows, so even one copy SAE costs that, while each further
 * SAE adds 2-5 s, so all are checked. A folder whose copy task has the same transformer file and task
 * config (corrected reuses husai's) reuses the extraction. Per-task statistics from the SAE weights: 7-29 s.
 *
 * Numbers must agree to 1e-12 (relative above 1); measured: bit for bit (also with the husai and openai
 * variants on a smoke run). It also checks that every file results.json names (`file` fields, activations
 * excepted: not committed) is in the repository, that each cfg.json matches its SAE, and that
 * `.work/run.json` names the run's config. Fails, saying so, when no results.json is present at all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accuracy, activationSpectrum, compareDictionaries, comparedTasks, computeVerdicts, ConfigSchema, dInOf,
  evaluateSae, finiteOrNull, initialDecoder, makeTask, matrixFrom, parseResults, principalAxes, pwmcc,
  regenerateActivations, regenerateGenerated, saeOf, truthSection, welchTTest, zTest, type Config, type TaskResult,
} from '@saelab/experiments';
import { loadSae, saeSparsity } from '@saelab/models';
import { setBackend } from '@saelab/tensor';

const root = resolve(import.meta.dirname, '../..');
const resultsRoot = join(root, 'results');
const TOLERANCE = 1e-12;

/** Files under `dir` that a commit holds: git's tracked and untracked-but-not-ignored files; every file outside git. */
function repositoryFiles(dir: string): Set<string> {
  try {
    const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', '.'], {
      cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
    });
    return new Set(out.split('\0').filter(Boolean));
  } catch {
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? walk(p) : [relative(dir, p)];
    });
    return new Set(existsSync(dir) ? walk(dir) : []);
  }
}

const files = repositoryFiles(resultsRoot);
const configs = [...files].map((f) => /^([^/]+)\/results\.json$/.exec(f)?.[1])
  .filter((c): c is string => c !== undefined).sort();

/** Every mismatch between a recomputed value and results.json's, by path; numbers to TOLERANCE. */
function mismatches(recomputed: unknown, recorded: unknown, path: string, out: string[] = []): string[] {
  if (typeof recomputed === 'number' && typeof recorded === 'number') {
    if (!(Math.abs(recomputed - recorded) <= TOLERANCE * Math.max(1, Math.abs(recorded)))) {
      out.push(`${path}: recomputed ${recomputed}, results.json ${recorded} (diff ${recomputed - recorded})`);
    }
  } else if (Array.isArray(recomputed) && Array.isArray(recorded)) {
    if (recomputed.length !== recorded.length) out.push(`${path}: recomputed ${recomputed.length} entries, `
      + `results.json ${recorded.length}`);
    else recomputed.forEach((v, i) => mismatches(v, recorded[i], `${path}[${i}]`, out));
  } else if (recomputed && recorded && typeof recomputed === 'object' && typeof recorded === 'object') {
    const keys = new Set([...Object.keys(recomputed), ...Object.keys(recorded)]);
    for (const k of keys) {
      mismatches((recomputed as Record<string, unknown>)[k],
        (recorded as Record<string, unknown>)[k], `${path}.${k}`, out);
    }
  } else if (recomputed !== recorded) {
    out.push(`${path}: recomputed ${JSON.stringify(recomputed)}, results.json ${JSON.stringify(recorded)}`);
  }
  return out;
}

/**
 * A task's activations as its SAEs saw them: through the committed transformer, or generated again from the config
 * (a generated task: its activations are not committed either, and its config determines them).
 */
async function activationsOf(dir: string, config: Config, task: TaskResult, backend: string) {
  const taskCfg = config.tasks[task.name]!;
  if (!task.transformer) {
    const g = regenerateGenerated(task.name, taskCfg);
    return { acts: g.activations, n: g.n, generated: g };
  }
  const { acts, n, model } = await regenerateActivations(join(dir, task.transformer.file), task.name, taskCfg, backend);
  return { acts, n, model };
}

/** Everything results.json says about one task that its SAEs' weight files determine. */
async function recomputeFromWeights(dir: string, config: Config, task: TaskResult, backend: string) {
  const { acts, n, generated } = await activationsOf(dir, config, task, backend);
  const seeds = task.saes.map((s) => s.seed);
  const file = (s: TaskResult['saes'][number]) => join(dir, `${s.file}.safetensors`);
  const decoders = await Promise.all(task.saes.map((s) => matrixFrom(file(s), 'W_dec')));
  const encoders = await Promise.all(task.saes.map((s) => matrixFrom(file(s), 'W_enc', true)));
  const dIn = decoders[0]!.cols;
  const dSae = decoders[0]!.rows;
  const inits = seeds.map((seed) => initialDecoder(saeOf(config, task.name), dIn, seed));
  const compared = compareDictionaries(task.name, seeds, decoders, encoders, inits, config.analysis,
    principalAxes(acts, n, dIn));
  return {
    dIn, dSae,
    trainedVsInit: decoders.map((d, i) => pwmcc(d, inits[i]!)),
    ...compared,
    // A generated task: its SAEs against the committed true features, which must be the ones its config generates.
    ...(generated && task.truth ? {
      truthFile: await matrixFrom(join(dir, task.truth.file), 'features'), regeneratedTruth: generated.truth,
      truth: await truthSection(task.truth.file, join(dir, task.truth.file), generated.meanActive ?? NaN, dIn, seeds,
        decoders, encoders, inits, compared.pwmcc.pairs),
    } : {}),
  };
}

if (configs.length === 0) {
  it('finds committed results', () => {
    expect.fail(`no results/<config>/results.json in the repository under ${resultsRoot}: run \`npx turbo run `
      + `experiment\` and commit its results`);
  });
}

describe.each(configs)('results/%s', (name) => {
  const dir = join(resultsRoot, name);
  const results = parseResults(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')), join(dir, 'results.json'));
  const config = ConfigSchema.parse(results.config); // the whole config, as the experiment validated it
  // Each task's recomputation, shared by its test and the two-task comparison.
  const recomputed = new Map<string, ReturnType<typeof recomputeFromWeights>>();
  const fromWeights = (task: TaskResult) => {
    if (!recomputed.has(task.name)) {
      recomputed.set(task.name, recomputeFromWeights(dir, config, task, results.environment.backend));
    }
    return recomputed.get(task.name)!;
  };

  it('names only files that are in the repository, and run.json names its config', async () => {
    expect(results.tasks.length, 'results.json lists no task').toBeGreaterThan(0);
    const named = results.tasks.flatMap((t) => [...(t.transformer ? [t.transformer.file] : []),
      ...(t.truth ? [t.truth.file] : []), ...t.saes.flatMap((s) => [`${s.file}.safetensors`, `${s.file}.cfg.json`])]);
    const missing = named.filter((f) => !files.has(`${name}/${f}`));
    expect(missing, `files named in results/${name}/results.json but not in the repository`).toEqual([]);
    const run = JSON.parse(readFileSync(join(dir, '.work/run.json'),
      'utf8')) as { config: string; schemaVersion: number };
    expect(run).toEqual({ config: config.name, schemaVersion: results.schemaVersion });
    for (const t of results.tasks) {
      for (const s of t.saes) {
        const cfg = JSON.parse(readFileSync(join(dir, `${s.file}.cfg.json`), 'utf8')) as Record<string, unknown>;
        // k: a count for TopK and BatchTopK; for the architectures that steer a coefficient, their L0 target (unless
        // the config fixed lambda, which leaves k unused).
        const sparsity = saeSparsity(s.variant) === 'k' ? { k: s.k }
          : saeOf(config, t.name).lambda === undefined ? { target_l0: s.k } : {};
        expect(cfg, `${s.file}.cfg.json`).toMatchObject({ d_in: t.activations.dModel, d_sae: s.dSae, ...sparsity,
          variant: s.variant, seed: s.seed, hook_name: t.activations.hook ?? t.kind });
      }
    }
  });

  describe.each(results.tasks.map((t) => [t.name, t] as const))('%s', (_, task) => {
    it('PWMCC, baselines, matching, bootstrap and trained-vs-random from the committed SAE weights', async () => {
      await setBackend(results.environment.backend);
      const t0 = performance.now();
      const r = await fromWeights(task);
      const taskCfg = config.tasks[task.name]!;
      expect([r.dIn, r.dSae]).toEqual([dInOf(taskCfg), saeOf(config, task.name).expansion * dInOf(taskCfg)]);
      expect(task.saes.map((s) => s.seed)).toEqual(config.seeds);
      const diff = [
        ...mismatches(r.pwmcc, task.pwmcc, 'pwmcc'),
        ...mismatches(r.encoderPwmcc, task.encoderPwmcc, 'encoderPwmcc'),
        ...mismatches(r.subspace, task.subspace, 'subspace'),
        ...mismatches(r.randomBaseline, task.randomBaseline, 'randomBaseline'),
        ...mismatches(r.trainedVsInit, task.saes.map((s) => s.trainedVsInit), 'saes[*].trainedVsInit'),
        ...mismatches(r.matching, task.matching, 'matching'),
        ...mismatches(r.bootstrap, task.bootstrap, 'bootstrap'),
        ...mismatches(r.trainedVsRandom, task.trainedVsRandom, 'trainedVsRandom'),
        ...mismatches(r.truth, task.truth, 'truth'),
      ];
      if (r.truthFile) {
        expect(r.truthFile, `${task.truth!.file}: not the features the config generates`).toEqual(r.regeneratedTruth);
      }
      expect(diff, `results/${name}/results.json, task ${task.name}`).toEqual([]);
      console.log(`${name}/${task.name}: weights-based statistics recomputed in `
        + `${((performance.now() - t0) / 1000).toFixed(1)} s; PWMCC ${r.pwmcc.mean}`);
    });

    it('the activations\' spectrum, L0, explained variance and FVU of every SAE, and the transformer\'s validation '
        + 'accuracy, on regenerated activations', async () => {
      await setBackend(results.environment.backend);
      const t0 = performance.now();
      const taskCfg = config.tasks[task.name]!;
      const { model, acts, n } = await activationsOf(dir, config, task, results.environment.backend);
      const d = dInOf(taskCfg);
      const tActs = performance.now();
      const diff: string[] = [];
      if (model) {
        expect([n, makeTask(task.name, taskCfg).activationPosition, model.cfg.dModel])
          .toEqual([task.activations.count, task.activations.position, task.activations.dModel]);
      } else {
        expect([n, d]).toEqual([task.activations.count, task.activations.dModel]);
      }
      // The PCA spectrum (schema since 9e01caa); a results.json written before it has none to check.
      if (task.activations.spectrum !== undefined) {
        mismatches(activationSpectrum(acts, n, d), task.activations.spectrum, 'activations.spectrum', diff);
      }
      for (const [i, s] of task.saes.entries()) {
        const { sae } = await loadSae(join(dir, s.file));
        mismatches(evaluateSae(sae, acts, d),
          { l0: s.l0, explainedVariance: s.explainedVariance, fvu: s.fvu }, `saes[${i}] (seed ${s.seed})`, diff);
      }
      const tSaes = performance.now();
      if (model && task.transformer) {
        const data = makeTask(task.name, taskCfg);
        const val = accuracy(model, data, data.val);
        mismatches({ valAccuracy: val.sequence, valTokenAccuracy: val.token },
          { valAccuracy: task.transformer.valAccuracy, valTokenAccuracy: task.transformer.valTokenAccuracy },
          'transformer', diff);
      }
      expect(diff, `results/${name}/results.json, task ${task.name}`).toEqual([]);
      const sec = (a: number, b: number) => ((b - a) / 1000).toFixed(1);
      console.log(`${name}/${task.name}: activations ${n} x ${d} ${model ? 'extracted' : 'generated'} in `
        + `${sec(t0, tActs)} s, ${task.saes.length} SAEs evaluated in ${sec(tActs, tSaes)} s`
        + (model ? `, validation accuracy in ${sec(tSaes, performance.now())} s` : ''));
    }, 900_000);
  });

  it('the verdicts are the experiment\'s rules applied to these numbers', () => {
    const { verdicts, ...measured } = results;
    expect(mismatches(computeVerdicts(measured), verdicts, 'verdicts'), `results/${name}/results.json`).toEqual([]);
  });

  it('the two-task comparison from the recomputed pairwise values', async () => {
    await setBackend(results.environment.backend);
    const pair = comparedTasks(results.tasks);
    if (!pair) {
      expect(results.comparison).toBeNull();
      return;
    }
    const [a, b] = pair;
    const x = (await fromWeights(a)).pwmcc.pairs.map((p) => p.value);
    const y = (await fromWeights(b)).pwmcc.pairs.map((p) => p.value);
    const comparison = finiteOrNull({ tasks: [a.name, b.name], zTest: zTest(x, y), welch: welchTTest(x, y) });
    expect(mismatches(comparison, results.comparison, 'comparison'), `results/${name}/results.json`).toEqual([]);
  });
});
