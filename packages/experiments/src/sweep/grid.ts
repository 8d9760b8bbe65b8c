/**
 * A sweep's grid: a base config (a preset or a path) and axes of overrides. Each cell takes one value
 * of every axis, so the cells are the axes' Cartesian product, each one config:
 *
 *   { "name": "k-by-size", "description": "...", "base": "synthetic",
 *     "axes": { "sae.k": [4, 8, 16], "sae.expansion": [2, 4] } }
 *
 * `axes` may also be a list of such blocks: the cells are the union of the blocks' products (a full
 * grid over size and k, say, plus every architecture at one setting). `set` holds overrides every cell
 * takes (a path and its one value, as an axis of one value that does not name the cells).
 *
 * An axis is a dotted path into the config: `sae.<field>` (the SAE training of every task without its
 * own value for that field), `tasks.<task>.<field...>` (one task's field, e.g. `tasks.synthetic.sae.k`),
 * `analysis.<field>`, `seeds` (each value a list of seeds), or `tasks` (each value a list of the base's
 * task names: the cell keeps only those). Every cell's config is validated as `saelab run` validates
 * one; a bad axis or value names the axis, the cell and the field.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadRawConfig, validateConfig } from '../config/load.js';
import { SaeTrainingSchema, type Config } from '../config/schema.js';
import { hashOf } from '../run/layout.js';

const AxesSchema = z.record(z.string(), z.array(z.unknown()).min(1, 'an axis needs at least one value'))
  .refine((a) => Object.keys(a).length > 0, 'a sweep needs at least one axis');

export const GridSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a sweep name is a lowercase word (letters, digits, dashes)'),
  description: z.string(),
  /** A preset name or a path to a config (relative to the grid file). */
  base: z.string().min(1),
  /** Overrides every cell takes, by path (as an axis path), before its own axis values. */
  set: z.record(z.string(), z.unknown()).optional(),
  axes: z.union([AxesSchema, z.array(AxesSchema).min(1, 'a list of axis blocks needs at least one block')]),
});
export type Grid = z.infer<typeof GridSchema>;
export type Axes = z.infer<typeof AxesSchema>;

/** The grid's axis blocks: one for a plain grid, each of the list's otherwise. */
export const blocksOf = (grid: Grid): Axes[] => (Array.isArray(grid.axes) ? grid.axes : [grid.axes]);

/** Every axis path of the grid, in order of first appearance (sweep.csv's axis columns). */
export const axisPaths = (grid: Grid): string[] => [...new Set(blocksOf(grid).flatMap((b) => Object.keys(b)))];

/** Every axis with the values any block gives it (sweep.json's `axes`). */
export function axisValues(grid: Grid): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const b of blocksOf(grid)) {
    for (const [p, vs] of Object.entries(b)) {
      const seen = out[p] ??= [];
      for (const v of vs) if (!seen.some((x) => hashOf(x) === hashOf(v))) seen.push(v);
    }
  }
  return out;
}

/** One cell of a grid: its name (also its folder), its value on every axis, and its validated config. */
export interface Cell {
  name: string;
  axes: Record<string, unknown>;
  config: Config;
}

/** A cell that cannot run (its config is invalid): the sweep records why and runs the others. */
export interface InvalidCell {
  name: string;
  axes: Record<string, unknown>;
  error: string;
}

const SAE_FIELDS = Object.keys(SaeTrainingSchema.shape);
const ROOTS = ['sae', 'tasks', 'seeds', 'analysis'];

/** Checks an axis path before any cell is built; the error names the axis and what it may be. */
function checkAxis(path: string, base: Record<string, unknown>): void {
  const [root, field, ...rest] = path.split('.');
  if (!ROOTS.includes(root!)) {
    throw new ConfigError(`sweep axis '${path}': an axis is a path into the config starting with ${ROOTS.join(', ')} `
      + `(e.g. sae.k, seeds, tasks, tasks.<task>.sae.k)`);
  }
  if (root === 'sae' && (field === undefined || !SAE_FIELDS.includes(field) || rest.length > 0)) {
    throw new ConfigError(`sweep axis '${path}': the SAE fields are ${SAE_FIELDS.map((f) => `sae.${f}`).join(', ')}`);
  }
  if (root === 'seeds' && field !== undefined) throw new ConfigError(`sweep axis '${path}': use 'seeds' itself`);
  if (root === 'tasks' && field !== undefined) {
    const names = Object.keys((base.tasks ?? {}) as object);
    if (!names.includes(field)) {
      throw new ConfigError(`sweep axis '${path}': the base config has no task '${field}'; its tasks are `
        + names.join(', '));
    }
  }
}

/** Sets `value` at a dotted path of a JSON object, creating objects on the way; `tasks` keeps the listed tasks. */
function apply(config: Record<string, unknown>, path: string, value: unknown): void {
  if (path === 'tasks') {
    const tasks = config.tasks as Record<string, unknown>;
    if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || !(t in tasks))) {
      throw new ConfigError(`axis 'tasks': each value must be a list of the base config's task names `
        + `(${Object.keys(tasks).join(', ')}); got ${JSON.stringify(value)}`);
    }
    config.tasks = Object.fromEntries((value as string[]).map((t) => [t, tasks[t]]));
    return;
  }
  const keys = path.split('.');
  let at = config;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    at[key] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...next } : {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = value;
}

/** A folder-safe name for one axis value: `k8`, `variant-openai`, or a short hash for a list. */
function part(path: string, value: unknown): string {
  const leaf = path.split('.').at(-1)!;
  const simple = (v: unknown) => typeof v === 'number' || typeof v === 'boolean'
    || (typeof v === 'string' && /^[a-z0-9.-]+$/i.test(v));
  const joined = Array.isArray(value) && value.every(simple) ? value.join('+') : undefined;
  const shown = simple(value) ? String(value) : joined !== undefined && joined.length <= 40 ? joined
    : hashOf(value).slice(0, 8);
  return `${leaf}-${shown}`.toLowerCase();
}

/** The cells of one block, in axis order (the last axis varies fastest). */
function combosOf(block: Axes): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [p, values] of Object.entries(block)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [p]: v })));
  }
  return combos;
}

/** Every cell of the grid: each block's in axis order (the last axis varies fastest), block after block. */
export function expandGrid(grid: Grid, base: Record<string, unknown>): (Cell | InvalidCell)[] {
  const set = grid.set ?? {};
  for (const p of [...Object.keys(set), ...axisPaths(grid)]) checkAxis(p, base);
  const names = new Set<string>();
  return blocksOf(grid).flatMap(combosOf).map((axes) => {
    const paths = Object.keys(axes);
    const name = paths.map((p) => part(p, axes[p])).join('_');
    if (names.has(name)) {
      throw new ConfigError(`sweep ${grid.name}: two cells are both called '${name}'; an axis repeats a value`);
    }
    names.add(name);
    const raw = structuredClone(base);
    try {
      for (const [p, v] of Object.entries(set)) apply(raw, p, v);
      for (const p of paths) apply(raw, p, axes[p]);
      raw.name = `${grid.name}/${name}`;
      return { name, axes, config: validateConfig(raw, `sweep ${grid.name}, cell ${name}`) };
    } catch (e) {
      return { name, axes, error: (e as Error).message };
    }
  });
}

/** Reads and validates a grid file; its `base` is resolved against the file's folder when it is a path. */
export function loadGrid(path: string): { grid: Grid; base: Record<string, unknown> } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read sweep grid ${path}: ${(e as Error).message}`);
  }
  const parsed = GridSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ConfigError(`sweep grid ${path} is invalid:\n${lines.join('\n')}`);
  }
  const grid = parsed.data;
  const ref = grid.base.endsWith('.json') || grid.base.includes('/') ? resolve(dirname(path), grid.base) : grid.base;
  return { grid, base: loadRawConfig(ref) };
}

export const isInvalid = (c: Cell | InvalidCell): c is InvalidCell => 'error' in c;
