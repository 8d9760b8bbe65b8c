/**
 * A number on the page is never a bare number: it is a reference into one run's results.json
 * (config name + path), resolved at render time. The page shows the value found there and
 * carries the path in the markup, so the end-to-end test can check every number against the file.
 */
import type { NumberStyle } from './format.js';

/** A path into results.json, e.g. ['tasks', 0, 'pwmcc', 'mean']. */
export type Path = readonly (string | number)[];

/** One number on the page: where it comes from and how to write it. */
export interface NumRef {
  config: string;
  path: Path;
  style: NumberStyle;
}

/**
 * The number at `path` in `root`, or null where results.json records an undefined statistic
 * (a test statistic of values with zero spread); throws naming the path if there is neither.
 */
export function valueAt(root: unknown, path: Path): number | null {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') break;
    node = (node as Record<string | number, unknown>)[key];
  }
  if (node !== null && typeof node !== 'number') throw new Error(`results.json has no number at ${path.join('.')}`);
  return node;
}

/**
 * The path written in `data-path` attributes, as a JSON array (["tasks",0,"pwmcc","mean"]): some
 * keys hold dots themselves (componentsFor's "0.99"), so keys joined with dots would be ambiguous.
 */
export const pathText = (path: Path): string => JSON.stringify(path);
