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

/** The number at a path in results.json (null for an undefined statistic): @saelab/results' valueAt. */
export { valueAt } from '@saelab/results';

/**
 * The path written in `data-path` attributes, as a JSON array (["tasks",0,"pwmcc","mean"]): some
 * keys hold dots themselves (componentsFor's "0.99"), so keys joined with dots would be ambiguous.
 */
export const pathText = (path: Path): string => JSON.stringify(path);
