/**
 * A sweep as queue jobs. Each valid cell contributes, per task, its activation stage (a transformer trained and
 * its activations read, or generated activations) and one SAE per seed; the analysis stays with the submitter,
 * whose local sweep replays the finished stages and computes it (so its output is a local sweep's, bit for bit).
 *
 * A job's id is its output's place and content key: `<cell>/<task>/<stage>/<stage key>` (stage `transformer`,
 * `activations` for a generated task, or `sae-seed<seed>`). The same sweep submitted twice therefore names the
 * same jobs, and BullMQ keeps one of each. A transformer is trained once per activation key: the first cell with
 * that key owns the job, and the later cells adopt its files once it is done (as a local sweep's later cells do),
 * before their SAE jobs are released. A generated task's activations are cheap and made in every cell.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { stageKeys } from '../run/layout.js';
import { isTransformerTask } from '../tasks/index.js';
import type { Cell } from '../sweep/grid.js';

/** What a queue job carries: everything a worker needs, with paths relative to its shared folder (--out). */
export interface QueueJobData {
  kind: 'activations' | 'sae';
  /** The cell's folder under the shared folder: `cells/<cell>`. */
  dir: string;
  config: Config;
  task: string;
  seed?: number;
  backend: string;
  /** The stage key the submitter computed; a worker whose code computes another refuses the job. */
  key: string;
}

export interface PlannedJob {
  id: string;
  data: QueueJobData;
  /** The cell whose folder the job writes. */
  cell: string;
}

export interface ActivationJob extends PlannedJob {
  /** Every cell that uses these activations: the owner first, then the cells that adopt them. */
  cells: string[];
}

export interface SaeJob extends PlannedJob {
  /** The id of the activation job it waits for. */
  after: string;
}

export interface QueuePlan {
  activations: ActivationJob[];
  saes: SaeJob[];
}

export const cellDir = (cell: string) => join('cells', cell);

/** The jobs of the valid cells, in cell and task order. */
export function planSweep(cells: readonly Cell[], backend: string): QueuePlan {
  const activations: ActivationJob[] = [];
  const saes: SaeJob[] = [];
  const owners = new Map<string, ActivationJob>(); // activation key -> the job that trains it
  for (const cell of cells) {
    const dir = cellDir(cell.name);
    for (const task of Object.keys(cell.config.tasks)) {
      const keys = stageKeys(cell.config, task, backend);
      const shared = isTransformerTask(cell.config.tasks[task]!);
      let job = shared ? owners.get(keys.activations) : undefined;
      if (job) {
        job.cells.push(cell.name);
      } else {
        const stage = shared ? 'transformer' : 'activations';
        job = { id: `${cell.name}/${task}/${stage}/${keys.activations}`, cell: cell.name, cells: [cell.name],
          data: { kind: 'activations', dir, config: cell.config, task, backend, key: keys.activations } };
        activations.push(job);
        if (shared) owners.set(keys.activations, job);
      }
      for (const seed of cell.config.seeds) {
        const key = keys.sae(seed);
        saes.push({ id: `${cell.name}/${task}/sae-seed${seed}/${key}`, cell: cell.name, after: job.id,
          data: { kind: 'sae', dir, config: cell.config, task, seed, backend, key } });
      }
    }
  }
  return { activations, saes };
}
