/** One config's results as the site sees them: the folder's name and its validated results.json. */
import type { Results } from '@saelab/results';

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

/** Display names of the task kinds the study has; any other kind is shown by its name. */
const TASK_TITLES: Record<string, string> = { copy: 'sequence copying', modular: 'modular addition' };

/** The display name of a task kind. */
export const taskTitle = (kind: string): string => TASK_TITLES[kind] ?? kind;
