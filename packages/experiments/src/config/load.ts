/**
 * Finds, merges and validates configs. A config may `"extends": "<name>"` another and override
 * any field (objects merge key by key, arrays and values replace); the command line may then
 * override the seeds. Every failure is a `ConfigError` that names the file, the field and the fix.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigSchema, type Config } from './schema.js';

/** The folder holding the named presets (husai, corrected, synthetic, quick, smoke, ...). */
export const CONFIG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../configs');

/** A problem with a config, meant to be printed without a stack trace. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Names of the configs in CONFIG_DIR. */
export function listConfigs(): string[] {
  return readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.json')).map((f) => basename(f, '.json')).sort();
}

export interface ConfigOverrides {
  seeds?: number[];
}

/** A config by preset name or path with its `extends` resolved, not yet validated (a sweep edits it first). */
export function loadRawConfig(nameOrPath: string): Record<string, unknown> {
  const raw = resolveExtends(nameOrPath, []);
  delete raw.extends;
  return raw;
}

/** Loads a config by preset name (`husai`) or path (`./my.json`), resolving `extends`, then validates it. */
export function loadConfig(nameOrPath: string, overrides: ConfigOverrides = {}): Config {
  const raw = loadRawConfig(nameOrPath);
  if (overrides.seeds) raw.seeds = overrides.seeds;
  return validateConfig(raw, nameOrPath);
}

/** Validates an already-merged config object, with messages that name each bad field. */
export function validateConfig(raw: unknown, source = '<object>'): Config {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ConfigError(`config ${source} is invalid:\n${lines.join('\n')}\nFix these fields in the config file (see `
      + `configs/husai.json for a complete example).`);
  }
  return parsed.data;
}

type Json = { [key: string]: unknown };

function locate(nameOrPath: string): string {
  const asPath = resolve(nameOrPath);
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) {
    if (existsSync(asPath)) return asPath;
    throw new ConfigError(`config file ${asPath} does not exist; pass a preset name (${listConfigs().join(', ')}) or a `
      + `path to a JSON file`);
  }
  const preset = join(CONFIG_DIR, `${nameOrPath}.json`);
  if (existsSync(preset)) return preset;
  throw new ConfigError(`unknown config '${nameOrPath}': choose one of ${listConfigs().join(', ')} or pass a path to a `
    + `JSON file`);
}

function readJson(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config ${path} is not valid JSON (${(e as Error).message}); fix the syntax and run again`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`config ${path} must hold a JSON object`);
  }
  return value as Json;
}

function resolveExtends(nameOrPath: string, chain: string[]): Json {
  const path = locate(nameOrPath);
  if (chain.includes(path)) throw new ConfigError(`config ${path} extends itself through ${chain.join(' -> ')}`);
  const own = readJson(path);
  if (own.extends === undefined) return own;
  if (typeof own.extends !== 'string') throw new ConfigError(`config ${path}: "extends" must be a config name or path`);
  const parentRef = own.extends.includes('/') ? resolve(dirname(path), own.extends) : own.extends;
  const parent = resolveExtends(parentRef, [...chain, path]);
  return merge(parent, own);
}

/** Deep merge: objects key by key; everything else (arrays included) replaced by the override. */
export function merge(base: Json, override: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? merge(prev, value) : value;
  }
  return out;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
