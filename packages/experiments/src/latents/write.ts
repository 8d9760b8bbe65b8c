/**
 * Writes a task's latents files (`<task>/latents-seed<seed>.json`, schema in @saelab/results' latents.ts), one per
 * SAE, from its SAE files, its activations and, for a generated task with known features, its truth file. The
 * analysis job calls it for every new run; `saelab latents <dir>` (./folder.ts) for a committed one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSae, loadSafetensors, writeFileAtomic, type SparseAutoencoder } from '@saelab/models';
import { LATENTS_SCHEMA_VERSION, latentsFile, parseLatents, type Latents } from '@saelab/results';
import { Rng } from '@saelab/tensor';
import type { Config } from '../config/schema.js';
import type { Matrix } from '../metrics/pwmcc.js';
import { decoderMatrix } from '../train/sae.js';
import { taskPaths } from '../run/layout.js';
import { bestMatches, LATENT_SELECTION, latentStatistics, round6, selectLatents, type LatentSelection,
} from './compute.js';
import { describeInputs } from './inputs.js';

export interface TaskLatentsOptions {
  config: Config;
  taskName: string;
  /** The results folder; the files go to `<out>/<task>/`. */
  out: string;
  seeds: number[];
  /** An SAE's weight file without its extension (`<file>.safetensors`, `<file>.cfg.json`). */
  saeFile: (seed: number) => string;
  /** The task's activations, [n, d] row-major. */
  acts: Float32Array;
  n: number;
  d: number;
  /** A generated task's true features (tensor `features`, [N, d]), if it has them. */
  truthPath?: string;
  selection?: LatentSelection;
}

/** The file's text: its header indented, one latent per line (a readable diff, a third of the indented size). */
export function latentsText(file: Latents): string {
  const { latents, ...head } = file;
  const header = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return `${header},\n  "latents": [\n${latents.map((l) => `    ${JSON.stringify(l)}`).join(',\n')}\n  ]\n}\n`;
}

async function loadSaeOf(o: TaskLatentsOptions, seed: number): Promise<SparseAutoencoder> {
  const file = o.saeFile(seed);
  if (!existsSync(`${file}.safetensors`) || !existsSync(`${file}.cfg.json`)) {
    throw new Error(`${file}.safetensors (with its .cfg.json) is missing: the latents of task ${o.taskName} need `
      + `every SAE of the run (seeds ${o.seeds.join(', ')}); restore the folder's files or rerun \`saelab run\``);
  }
  const { sae } = await loadSae(file);
  if (sae.cfg.dIn !== o.d) {
    throw new Error(`${file}.safetensors has d_in ${sae.cfg.dIn}, but task ${o.taskName}'s activations have `
      + `${o.d} columns; they are not the activations this SAE was trained on`);
  }
  return sae;
}

/** The true features [N, d] of a truth file. */
async function truthOf(path: string): Promise<Matrix> {
  const t = (await loadSafetensors(path)).tensors.features;
  if (!t || t.shape.length !== 2) throw new Error(`${path}: expected a 2-D tensor features`);
  return { data: t.data as Float32Array, rows: t.shape[0]!, cols: t.shape[1]! };
}

/** Computes, validates and writes the latents file of every SAE of one task; returns the paths written. */
export async function writeTaskLatents(o: TaskLatentsOptions): Promise<string[]> {
  if (o.acts.length !== o.n * o.d) {
    throw new Error(`task ${o.taskName}: activations of ${o.acts.length} values are not [${o.n}, ${o.d}]`);
  }
  const sel = o.selection ?? LATENT_SELECTION;
  const taskCfg = o.config.tasks[o.taskName];
  if (!taskCfg) throw new Error(`task '${o.taskName}' is not in config '${o.config.name}'`);
  const saes = await Promise.all(o.seeds.map((seed) => loadSaeOf(o, seed)));
  const decoders: Matrix[] = saes.map(decoderMatrix);
  const truth = o.truthPath ? await truthOf(o.truthPath) : undefined;
  const describe = describeInputs(o.taskName, taskCfg, o.n, o.acts);
  const written: string[] = [];
  for (const [i, seed] of o.seeds.entries()) {
    const sae = saes[i]!;
    const stats = latentStatistics(sae, o.acts, o.n, sel.topInputs);
    const rngLabel = `latents/${o.taskName}/seed${seed}`;
    const chosen = selectLatents(stats.counts, sel, new Rng(o.config.analysis.seed).fork(rngLabel));
    const ids = chosen.map((c) => c.latent);
    const others = o.seeds.map((s, j) => ({ seed: s, matches: j === i ? [] : bestMatches(decoders[i]!, ids,
      decoders[j]!) })).filter((_, j) => j !== i);
    const truthMatches = truth ? bestMatches(decoders[i]!, ids, truth) : undefined;
    const file: Latents = {
      schemaVersion: LATENTS_SCHEMA_VERSION, config: o.config.name, task: o.taskName, kind: taskCfg.kind, seed,
      variant: sae.cfg.variant, dSae: sae.cfg.dSae, rows: o.n,
      selection: { frequent: sel.frequent, random: sel.random, topInputs: sel.topInputs, rngLabel },
      inputs: describe.inputs,
      latents: chosen.map(({ latent, chosen: why }, q) => {
        const count = stats.counts[latent]!;
        return {
          latent, chosen: why, count, frequency: round6(count / o.n),
          meanActivation: count > 0 ? round6(stats.sums[latent]! / count) : null,
          top: stats.top[latent]!.map(({ row, value }) => ({ row, value: round6(value), ...describe.row(row) })),
          matches: others.map((m) => ({ seed: m.seed, latent: m.matches[q]!.index,
            cosine: round6(m.matches[q]!.cosine) })),
          ...(truthMatches ? { truth: { feature: truthMatches[q]!.index,
            cosine: round6(truthMatches[q]!.cosine) } } : {}),
        };
      }),
    };
    const path = join(o.out, latentsFile(o.taskName, seed));
    parseLatents(file, path); // the contract holds before anything reads it
    await writeFileAtomic(path, latentsText(file));
    written.push(path);
  }
  return written;
}

/** The analysis job's latents files: every SAE of the task, from the files the pipeline wrote in `out`. */
export async function writePipelineLatents(config: Config, taskName: string, out: string, hasTruth: boolean):
    Promise<string[]> {
  const paths = taskPaths(out, taskName);
  const acts = (await loadSafetensors(paths.activations)).tensors.activations;
  if (!acts || acts.shape.length !== 2) throw new Error(`${paths.activations}: expected a 2-D tensor activations`);
  const [n, d] = acts.shape as [number, number];
  return writeTaskLatents({ config, taskName, out, seeds: config.seeds, saeFile: paths.sae,
    acts: acts.data as Float32Array, n, d, ...(hasTruth ? { truthPath: paths.truth } : {}) });
}
