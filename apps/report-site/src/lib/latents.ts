/**
 * The latent pages' files (`<task>/latents-seed<seed>.json`, @saelab/results' latents.ts): which SAEs of a run have
 * one, read at build time (Node-only) so the integration copies them into the downloads and the page lists them. A
 * run without them is fine: the page names the command that writes them. A file present but invalid fails the build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { latentsFile, parseLatents } from '@saelab/results';
import type { LoadedRun } from './results.js';

/** One SAE of a task: its seed, where its latents file sits (relative to the run folder), and whether it exists. */
export interface LatentsSource {
  seed: number;
  file: string;
  present: boolean;
}

/** The SAEs of task `taskIndex` of `run`, in results.json's order, with their latents files. */
export function latentsSources(run: LoadedRun, taskIndex: number): LatentsSource[] {
  const task = run.results.tasks[taskIndex]!;
  return task.saes.map(({ seed }) => {
    const file = latentsFile(task.name, seed);
    return { seed, file, present: existsSync(join(run.dir, file)) };
  });
}

/** The latents files a run has, validated (relative to its folder): what the integration copies. */
export function latentsFiles(run: LoadedRun): string[] {
  return run.results.tasks.flatMap((_, i) => latentsSources(run, i).filter((s) => s.present).map((s) => {
    const path = join(run.dir, s.file);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`${path} is not valid JSON (${(e as Error).message}); write it again with \`npx saelab `
        + `latents ${run.dir}\`.`);
    }
    parseLatents(raw, path);
    return s.file;
  }));
}

/** The command that writes a run's latents files, as the page states it. */
export const latentsCommand = (run: { name: string }) => `npx saelab latents results/${run.name}`;
