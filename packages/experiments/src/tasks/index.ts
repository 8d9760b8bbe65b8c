/**
 * The task registry. A task kind is one file in this folder exporting its definition
 * (definition.ts) and one line in `tasks` below; the config's task union, the kinds and every
 * look-up by kind derive from it.
 */
import { z } from 'zod';
import { copy } from './copy.js';
import type { TaskData } from './dataset.js';
import type { TaskDefinition, TransformerTask, TransformerTaskConfig } from './definition.js';
import { SaeOverrideSchema } from './fields.js';
import { modular } from './modular.js';
import { synthetic } from './synthetic.js';

export const tasks = { copy, modular, synthetic } as const;

export type TaskKind = keyof typeof tasks;
/** The task kinds in registry order, as a tuple for z.enum (results.json's `kind`, say). */
export const taskKinds = Object.keys(tasks) as [TaskKind, ...TaskKind[]];

// Every task's entry may also hold its own SAE settings (fields.ts, SaeOverrideSchema).
const withSae = <S extends (typeof tasks)[TaskKind]['schema']>(schema: S) =>
  schema.extend({ sae: SaeOverrideSchema.optional() });
type TaskSchemaOf<K extends TaskKind> = ReturnType<typeof withSae<(typeof tasks)[K]['schema']>>;
const schemas = Object.values(tasks).map((t) => withSae(t.schema)) as [TaskSchemaOf<TaskKind>,
  ...TaskSchemaOf<TaskKind>[]];

const unknownKind = (kind: unknown) => {
  const value = typeof kind === 'string' ? `'${kind}'` : JSON.stringify(kind);
  const what = kind === undefined ? 'missing task kind' : `unknown task kind ${value}`;
  return `${what}: choose one of ${taskKinds.join(', ')}`;
};

/** A task's config: the union of the registry's schemas, told apart by `kind`. */
export const TaskSchema = z.discriminatedUnion('kind', schemas, {
  // Only the union's own issue (no schema has this kind) is reworded; a bad field keeps its schema's message.
  error: (issue) => (issue.code === 'invalid_union' && issue.note
    ? unknownKind((issue.input as { kind?: unknown } | undefined)?.kind) : undefined),
});
export type TaskConfig = z.infer<typeof TaskSchema>;

/** The definition of a config's task kind; an unknown kind is an error naming the allowed ones. */
export function taskOf<C extends TaskConfig>(cfg: C): TaskDefinition<C> {
  // The registry holds each kind's definition under its kind, so the one for cfg.kind takes cfg's type.
  if (!Object.hasOwn(tasks, cfg.kind)) throw new Error(unknownKind(cfg.kind));
  return tasks[cfg.kind as TaskKind] as unknown as TaskDefinition<C>;
}

/** The width of a task's activation rows, the SAE's d_in. */
export function dInOf(cfg: TaskConfig): number {
  return (taskOf(cfg) as { dIn(c: TaskConfig): number }).dIn(cfg);
}

/** Whether a task trains a transformer (copy, modular) rather than generating its activations (synthetic). */
export function isTransformerTask<C extends TaskConfig>(cfg: C): cfg is C & TransformerTaskConfig {
  return taskOf(cfg).source === 'transformer';
}

/** A transformer task's config, or an error naming the task when its activations are generated. */
export function transformerConfig(name: string, cfg: TaskConfig): TaskConfig & TransformerTaskConfig {
  if (!isTransformerTask(cfg)) {
    throw new Error(`task ${name} (${cfg.kind}) generates its activations; it has no transformer`);
  }
  return cfg;
}

/** Builds a transformer task's train/validation data from its config, and the inputs its activations are read from. */
export function makeTask(name: string, cfg: TaskConfig): TaskData {
  const c = transformerConfig(name, cfg);
  const t = taskOf(c) as TransformerTask<typeof c>;
  return { ...t.make(name, c), activationInputs: () => t.activationInputs(c) };
}

export type { GeneratedActivations, GeneratedTask, TaskDefinition, TransformerTask } from './definition.js';
export { synthetic, SyntheticTaskSchema, type SyntheticTaskConfig } from './synthetic.js';
export { copy, copyActivationInputs, copySequences, makeCopyTask, type CopyTaskConfig } from './copy.js';
export {
  allModularPairs, makeModularTask, modular, modularSequences, MODULAR_POSITIONS, type ModularTaskConfig,
} from './modular.js';
export { batchOf, type Split, type TaskData } from './dataset.js';
