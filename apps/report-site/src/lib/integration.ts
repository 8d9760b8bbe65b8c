/**
 * The Astro integration that ties the site to a results folder: it validates every results.json
 * before anything renders (so a bad file fails the build at once, naming the file and the field),
 * tells the pages which folder to read, and after the build copies each run's published files
 * (results.json, weights, SAE cfgs) and its latents files (validated; what the latent pages load) into
 * `downloads/<config>/`, and each sweep's table (sweep.json, sweep.csv) into
 * `downloads/sweeps/<sweep>/`. Activations and `.work/` stay out.
 */
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';
import { latentsFiles } from './latents.js';
import { loadRuns, publishedFiles, resolveResultsDir, type LoadedRun } from './results.js';
import { loadSweeps, sweepFiles, type LoadedSweep } from './sweeps.js';

/** Where downloads live inside the built site. */
export const DOWNLOADS_DIR = 'downloads';

export function saelabResults(): AstroIntegration {
  let runs: LoadedRun[] = [];
  let sweeps: LoadedSweep[] = [];
  return {
    name: 'saelab-results',
    hooks: {
      'astro:config:setup': ({ config, logger }) => {
        const repoRoot = fileURLToPath(new URL('../../', config.root));
        const dir = resolveResultsDir(process.env, repoRoot);
        runs = loadRuns(dir);
        sweeps = loadSweeps(dir);
        process.env.SAELAB_RESULTS = dir; // the pages (rendered in this process) read the same folder
        logger.info(`results from ${dir}: ${runs.map((r) => r.name).join(', ')}`
          + `${sweeps.length ? `; sweeps ${sweeps.map((s) => s.name).join(', ')}` : ''}`);
      },
      'astro:build:done': async ({ dir, logger }) => {
        const site = fileURLToPath(dir);
        let count = 0;
        for (const run of runs) {
          for (const file of [...publishedFiles(run), ...latentsFiles(run)]) {
            const rel = normalize(file);
            if (rel.startsWith('..') || rel.startsWith(sep)) {
              throw new Error(`${join(run.dir, 'results.json')}: file '${file}' points outside the results folder`);
            }
            const to = join(site, DOWNLOADS_DIR, run.name, rel);
            await mkdir(dirname(to), { recursive: true });
            await copyFile(join(run.dir, rel), to).catch((e: NodeJS.ErrnoException) => {
              throw new Error(`${join(run.dir, rel)} is listed in ${join(run.dir, 'results.json')} but cannot be `
                + `copied (${e.code ?? e.message}); regenerate the run with \`npx saelab run --config ${run.name}\`.`);
            });
            count++;
          }
        }
        for (const s of sweeps) {
          for (const file of sweepFiles) {
            const to = join(site, DOWNLOADS_DIR, 'sweeps', s.name, file);
            await mkdir(dirname(to), { recursive: true });
            await copyFile(join(s.dir, file), to).catch((e: NodeJS.ErrnoException) => {
              throw new Error(`${join(s.dir, file)} cannot be copied (${e.code ?? e.message}); regenerate the sweep `
                + `with \`npx saelab sweep --grid ${s.name}\`.`);
            });
            count++;
          }
        }
        logger.info(`copied ${count} files into ${DOWNLOADS_DIR}/`);
        // Astro 5 leaves its server-side build modules in an outDir outside the project
        // (withastro/astro#14903); they are not part of the site.
        for (const f of await readdir(site)) {
          if (/^(content-assets|content-modules|manifest_.*)\.mjs$/.test(f)) await rm(join(site, f));
        }
      },
    },
  };
}
