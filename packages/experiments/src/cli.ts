/**
 * The `saelab` command. `saelab run --config <name|path>` runs the study and writes
 * results/<config>/; `saelab --help` lists the options.
 */
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { defaultBackendName, disposeBackends, registeredBackends } from '@saelab/tensor';
import { ConfigError, listConfigs, loadConfig } from './config/load.js';
import { SWEEP_SCHEMA_VERSION } from '@saelab/results';
import { SCHEMA_VERSION } from './results/schema.js';
import { runExperiment } from './run/pipeline.js';
import { upgradeResults } from './run/upgrade.js';
import { upgradeSweep } from './sweep/upgrade.js';
import { writeFolderLatents } from './latents/folder.js';
import type { Reporter } from './run/pool.js';
import { queueSweep } from './queue/submit.js';
import { runWorker } from './queue/worker.js';
import { loadGrid } from './sweep/grid.js';
import { runSweep } from './sweep/run.js';

/** The folder of the preset grids (`saelab sweep --grid <name>`). */
const GRID_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../grids');
const gridPresets = () => readdirSync(GRID_DIR).filter((f) => f.endsWith('.json')).map((f) => basename(f, '.json'))
  .sort();

const HELP = `saelab: do SAEs trained with different seeds learn the same features?

Usage:
  saelab run --config <name|path> [--out <dir>] [--seeds 1,2,3] [--backend <name>] [--workers <n>] [--reuse <dir>]
  saelab upgrade <dir> [<dir> ...]   bring results.json (or a sweep's sweep.json) of an older schema to the current one
                                     (no retraining)
  saelab latents <dir> [<dir> ...]   write a finished run's latents files (<task>/latents-seed<seed>.json) from its
                                     weights, for the site's latent pages (results.json is left as it is)
  saelab sweep --grid <name|path> [--out <dir>] [--backend <name>] [--workers <n>]
                                     every cell of a grid of configs; sweep.json and sweep.csv in --out
  saelab sweep --grid <name|path> --queue redis://HOST:PORT --out <shared dir> [--backend <name>]
                                     the same sweep, its training done by workers on any machines
  saelab worker --queue redis://HOST:PORT --out <shared dir> [--watch] [--stall-ms <ms>]
                                     takes a queued sweep's jobs until the queue is empty (--watch: waits for more)

Options:
  --config   a preset (${listConfigs().join(', ')}) or a path to a JSON config
  --out      results folder (default: results/<config name> under the current folder)
  --seeds    comma-separated SAE seeds, overriding the config's
  --backend  tensor backend: ${registeredBackends().filter((b) => b !== 'reference64')
    .join(', ')} (default: SAELAB_BACKEND or wasm)
  --workers  SAE jobs side by side (default: the number of cores, ${availableParallelism()}; transformers run one
             at a time on every thread; gpujs runs everything one at a time)
  --reuse    an earlier run's results folder: a transformer it finished with the same stage key (same task
             config and backend) is copied instead of trained again; may be given more than once
  --grid     a preset grid (${gridPresets().join(', ')}) or a path to a grid JSON: a base config and axes
             of overrides, e.g. { "name": "k", "description": "", "base": "smoke", "axes": { "sae.k": [2, 4] } }
  --queue    the Redis of a sweep's job queue (start one with \`redis-server --port 6379\`); --out must be a folder
             the submitter and every worker reach (each may give its own path to it)
  --watch    a worker keeps waiting for jobs when the queue is empty, until stopped
  --stall-ms how long a worker's job may go without a sign of life before another worker takes it (default 30000)
  --help     this text

A killed run resumes where it stopped when started again with the same options.`;

/** Bars with ETA on a terminal; one line per finished job otherwise. */
function makeReporter(): { reporter: Reporter; stop: () => void } {
  if (!process.stderr.isTTY) {
    return {
      reporter: { job: () => ({ start() {}, update() {}, finish: (s) => console.log(`  ${s}`) }) },
      stop() {},
    };
  }
  const multi = new cliProgress.MultiBar({
    format: '{label} |{bar}| {percentage}% | ETA {eta_formatted} | {status}',
    hideCursor: true, clearOnComplete: false, stopOnComplete: false, stream: process.stderr,
  }, cliProgress.Presets.shades_grey);
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    reporter: {
      job: (id) => ({
        start: (label, total) => {
          bars.get(id)?.stop();
          bars.set(id, multi.create(total, 0, { label: label.padEnd(28), status: '' }));
        },
        update: (done, status) => bars.get(id)?.update(done, { status: status ?? '' }),
        finish: (summary) => {
          const bar = bars.get(id);
          if (bar) multi.remove(bar);
          bars.delete(id);
          multi.log(`  ${summary}\n`);
        },
      }),
    },
    stop: () => multi.stop(),
  };
}

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ConfigError(`--seeds '${text}' must be comma-separated non-negative integers, e.g. --seeds 42,123,456`);
  }
  return seeds;
}

async function upgrade(dirs: string[]): Promise<number> {
  if (dirs.length === 0) {
    throw new ConfigError('upgrade needs the results folders to upgrade, e.g. `saelab upgrade results/husai`');
  }
  for (const dir of dirs) {
    if (existsSync(join(resolve(dir), 'sweep.json')) && !existsSync(join(resolve(dir), 'results.json'))) {
      const from = await upgradeSweep(resolve(dir)); // a sweep's folder: its sweep.json, from its cells' results
      console.log(from === SWEEP_SCHEMA_VERSION ? `${dir}: already sweep schema ${from}`
        : `${dir}: upgraded from sweep schema ${from} to ${SWEEP_SCHEMA_VERSION}`);
      continue;
    }
    const from = await upgradeResults(resolve(dir));
    console.log(from === SCHEMA_VERSION
      ? `${dir}: already schema ${SCHEMA_VERSION}` : `${dir}: upgraded from schema ${from} to ${SCHEMA_VERSION}`);
  }
  return 0;
}

async function latents(dirs: string[]): Promise<number> {
  if (dirs.length === 0) {
    throw new ConfigError('latents needs the results folders to write them for, e.g. `saelab latents results/husai`');
  }
  for (const dir of dirs) {
    const written = await writeFolderLatents(resolve(dir), (line) => console.log(`${dir}: ${line}`));
    console.log(`${dir}: wrote ${written.length} latents files`);
  }
  return 0;
}

/** --backend and --workers, checked. */
function machineOptions(values: { backend?: string; workers?: string }): { backend: string; workers?: number } {
  const backend = values.backend ?? defaultBackendName();
  if (!registeredBackends().includes(backend)) {
    throw new ConfigError(`unknown backend '${backend}': choose one of ${registeredBackends().join(', ')}`);
  }
  const workers = values.workers ? Number(values.workers) : undefined;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) {
    throw new ConfigError(`--workers '${values.workers}' must be a positive integer`);
  }
  return { backend, ...(workers ? { workers } : {}) };
}

async function worker(values: { queue?: string; out?: string; watch?: boolean; 'stall-ms'?: string }): Promise<number> {
  if (!values.queue || !values.out) {
    throw new ConfigError('worker needs --queue redis://HOST:PORT and --out <the sweep\'s shared folder>');
  }
  const stallMs = values['stall-ms'] === undefined ? undefined : Number(values['stall-ms']);
  if (stallMs !== undefined && !(Number.isInteger(stallMs) && stallMs >= 100)) {
    throw new ConfigError(`--stall-ms '${values['stall-ms']}' must be an integer number of milliseconds >= 100`);
  }
  const out = resolve(values.out);
  console.log(`saelab worker: queue ${values.queue}, output ${out}${values.watch ? ', watching' : ''}`);
  const n = await runWorker({ url: values.queue, out, watch: values.watch ?? false,
    ...(stallMs ? { stallMs } : {}), log: (line) => console.log(line) });
  console.log(`saelab worker: ${n.done} jobs done, ${n.failed} failed`);
  return 0;
}

async function sweep(values: { grid?: string; out?: string; backend?: string; workers?: string; queue?: string }):
    Promise<number> {
  if (!values.grid) {
    throw new ConfigError(`--grid is required: one of ${gridPresets().join(', ')}, or a path to a grid JSON file`);
  }
  const isPath = values.grid.endsWith('.json') || values.grid.includes('/');
  const path = isPath ? resolve(values.grid) : join(GRID_DIR, `${values.grid}.json`);
  if (!existsSync(path)) {
    throw new ConfigError(isPath ? `sweep grid ${path} does not exist`
      : `unknown grid '${values.grid}': choose one of ${gridPresets().join(', ')} or pass a path to a JSON file`);
  }
  const { grid, base } = loadGrid(path);
  const { backend, workers } = machineOptions(values);
  const out = resolve(values.out ?? `results/${grid.name}`);
  console.log(`saelab sweep: grid ${grid.name}, base ${grid.base}, backend ${backend}, output ${out}`);
  const { reporter, stop } = makeReporter();
  const t0 = performance.now();
  try {
    const o = { out, backend, ...(workers ? { workers } : {}), reporter, onCell: (line: string) => console.log(line) };
    const s = values.queue ? await queueSweep(grid, base, { ...o, url: values.queue, log: (l) => console.log(l) })
      : await runSweep(grid, base, o);
    const failed = s.cells.filter((c) => c.status === 'failed');
    console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${s.cells.length - failed.length} of `
      + `${s.cells.length} cells ran; ${join(out, 'sweep.json')}, ${join(out, 'sweep.csv')}`);
    return failed.length === 0 ? 0 : 1;
  } finally {
    stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' }, out: { type: 'string' }, seeds: { type: 'string' },
      backend: { type: 'string' }, workers: { type: 'string' }, reuse: { type: 'string', multiple: true },
      grid: { type: 'string' }, help: { type: 'boolean', short: 'h' }, queue: { type: 'string' },
      watch: { type: 'boolean' }, 'stall-ms': { type: 'string' },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (positionals[0] === 'upgrade') return upgrade(positionals.slice(1));
  if (positionals[0] === 'latents') return latents(positionals.slice(1));
  if (positionals[0] === 'sweep') return sweep(values);
  if (positionals[0] === 'worker') return worker(values);
  if (positionals[0] !== 'run') {
    throw new ConfigError(`unknown command '${positionals[0]}'; the commands are 'run', 'sweep', 'worker', `
      + `'upgrade' and 'latents' (see --help)`);
  }
  if (!values.config) {
    throw new ConfigError(`--config is required: one of ${listConfigs().join(', ')}, or a path to a JSON file`);
  }
  const config = loadConfig(values.config, values.seeds ? { seeds: parseSeeds(values.seeds) } : {});
  const { backend, workers } = machineOptions(values);
  const out = resolve(values.out ?? `results/${config.name}`);
  console.log(`saelab: config ${config.name}, backend ${backend}, ${config.seeds.length} seeds, output ${out}`);
  const { reporter, stop } = makeReporter();
  const t0 = performance.now();
  try {
    const reuse = (values.reuse ?? []).map((d) => resolve(d));
    for (const d of reuse) {
      if (!existsSync(d)) {
        throw new ConfigError(`--reuse ${d}: no such folder (pass a results folder of an earlier run)`);
      }
    }
    const results = await runExperiment(config, { out, backend, ...(workers ? { workers } : {}), reuse, reporter,
      onStage: (line) => console.log(line) });
    stop();
    for (const t of results.tasks) {
      console.log(`${t.name}: PWMCC ${t.pwmcc.mean.toFixed(4)} +/- ${t.pwmcc.std.toFixed(4)} (random baseline `
        + `${t.randomBaseline.analytic.toFixed(4)}, untrained ${t.randomBaseline.empirical.mean.toFixed(4)}); `
        + `trained-vs-init ${(t.saes.reduce((s, x) => s + x.trainedVsInit, 0) / t.saes.length).toFixed(3)}`);
      if (t.truth) {
        const m = t.truth.mean.decoder;
        console.log(`${t.name}: against ${t.truth.features} true features, decoder MMCS ${m.mmcs.toFixed(4)} (chance `
          + `${t.truth.chance.mmcs.toFixed(4)}), recovered ${(100 * m.recovered90).toFixed(1)}% at |cos| >= 0.9, `
          + `${(100 * m.recovered99).toFixed(1)}% at >= 0.99`);
      }
    }
    console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${resolve(out, 'results.json')}`);
    return 0;
  } finally {
    stop();
  }
}

main(process.argv.slice(2)).then((code) => {
  disposeBackends();
  process.exitCode = code;
}, (e: Error) => {
  disposeBackends();
  const known = e instanceof ConfigError || e.name === 'NonFiniteLossError';
  console.error(`saelab: ${e.message}`);
  if (!known && process.env.SAELAB_DEBUG) console.error(e.stack);
  process.exitCode = known ? 2 : 1;
});
