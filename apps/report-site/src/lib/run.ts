/** One config's results as the site sees them: the folder's name and its validated results.json. */
import type { Results, TaskResult } from '@saelab/experiments';

export interface Run {
  /** The config name, which is also the results subfolder's name. */
  name: string;
  results: Results;
}

/** A task located in a run, with its index (for paths into results.json). */
export interface TaskAt {
  index: number;
  task: TaskResult;
}

/** The first task of this kind (copy or modular), if the run has one. */
export function taskOfKind(run: Run, kind: TaskResult['kind']): TaskAt | undefined {
  const index = run.results.tasks.findIndex((t) => t.kind === kind);
  return index < 0 ? undefined : { index, task: run.results.tasks[index]! };
}

/** The configs the study publishes come first, in this order; any others follow by name. */
const PREFERRED = ['husai', 'corrected'];

/** Orders runs: husai, corrected, then the rest alphabetically. */
export function sortRuns<T extends { name: string }>(runs: readonly T[]): T[] {
  const rank = (name: string) => (PREFERRED.includes(name) ? PREFERRED.indexOf(name) : PREFERRED.length);
  return [...runs].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** The display name of a task kind. */
export const TASK_TITLES: Record<TaskResult['kind'], string> = { copy: 'sequence copying', modular: 'modular addition' };
