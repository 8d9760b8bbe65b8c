/** One config's results as the site sees them: the folder's name and its validated results.json. */
import type { Results } from '@saelab/results';
import { listInWords } from './format.js';

export interface Run {
  /** The config name, which is also the results subfolder's name. */
  name: string;
  results: Results;
}


/** The configs the study publishes come first, in this order; any others follow by name. */
const PREFERRED = ['husai', 'corrected'];

/** Orders runs: husai, corrected, then the rest alphabetically. */
export function sortRuns<T extends { name: string }>(runs: readonly T[]): T[] {
  const rank = (name: string) => (PREFERRED.includes(name) ? PREFERRED.indexOf(name) : PREFERRED.length);
  return [...runs].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** Display names of the task kinds the study has (the experiment's task registry); any other kind by its name. */
const TASK_TITLES: Record<string, string> = {
  copy: 'sequence copying', modular: 'modular addition', synthetic: 'synthetic features',
};

/** The display name of a task kind. */
export const taskTitle = (kind: string): string => TASK_TITLES[kind] ?? kind;

type Task = Run['results']['tasks'][number];

/** A task's SAE setting, as its SAEs record it: "openai, d_sae 512, k 8" (empty for a task without SAEs). */
export function saeSetting(task: Task): string {
  const sae = task.saes[0];
  return sae ? `${sae.variant}, d_sae ${sae.dSae}, k ${sae.k}` : '';
}

/**
 * A task's name on the page: its kind's title, and where the run holds several tasks of that kind (one per SAE
 * setting, as the synthetic config does) the task's own name too: "synthetic features, synthetic-2n".
 */
export function taskLabel(run: Run, t: number): string {
  const task = run.results.tasks[t]!;
  const same = run.results.tasks.filter((x) => x.kind === task.kind).length;
  return same > 1 ? `${taskTitle(task.kind)}, ${task.name}` : taskTitle(task.kind);
}

/**
 * Some tasks of a run in words, tasks of one kind together: "sequence copying and modular addition", or
 * "synthetic features (synthetic and synthetic-husai)" where the run holds several of that kind.
 */
export function tasksInWords(run: Run, ts: readonly number[]): string {
  const tasks = run.results.tasks;
  const kinds = [...new Set(ts.map((t) => tasks[t]!.kind))];
  return listInWords(kinds.map((kind) => {
    const repeated = tasks.filter((x) => x.kind === kind).length > 1;
    const names = ts.filter((t) => tasks[t]!.kind === kind).map((t) => tasks[t]!.name);
    return repeated ? `${taskTitle(kind)} (${listInWords(names)})` : taskTitle(kind);
  }));
}

/** Whether a task's activations are generated (the synthetic positive control): no transformer, a known truth. */
export const isGenerated = (task: Task): boolean => task.transformer === undefined;
