/** Reading results.json by path: the one way the experiment's rules and the site's pages find a number. */
import type { Path } from './verdicts.js';

/**
 * The number at `path` in `root`, or null where results.json records an undefined statistic
 * (a test statistic of values with zero spread); throws naming the path if there is neither.
 *   valueAt(results, ['tasks', 0, 'pwmcc', 'mean'])
 */
export function valueAt(root: unknown, path: Path | readonly (string | number)[]): number | null {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') break;
    node = (node as Record<string | number, unknown>)[key];
  }
  if (node !== null && typeof node !== 'number') throw new Error(`results.json has no number at ${path.join('.')}`);
  return node;
}
