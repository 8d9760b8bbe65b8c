/**
 * The task registry. A task kind is one file in this folder exporting its definition
 * (definition.ts) and one line in `tasks` below; the config's task union, the kinds and every
 * look-up by kind derive from it.
 */
import { z } from 'zod';
import { copy } from './copy.js';
import type { TaskData } from './dataset.js';
import type { TaskDefinition } from './definition.js';
import { modular } from './modular.js';

export const tasks = { copy, modular } as const;

export type TaskKind = keyof typeof tasks;
/** The task kinds in registry order, as a tuple for z.enum (results.json's `kind`, say). */
export const taskKinds = Object.keys(tasks) as [TaskKind, ...TaskKind[]];

type TaskSchemaOf<K extends TaskKind> = (typeof tasks)[K]['schema'];
const schemas = Object.values(tasks).map((t) => t.schema) as [TaskSchemaOf<TaskKind>, ...TaskSchemaOf<TaskKind>[]];

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

/** Builds a task's train/validation data from its config, and the inputs its activations are read from. */
export function makeTask(name: string, cfg: TaskConfig): TaskData {
  const def = taskOf(cfg);
  return { ...def.make(name, cfg), activationInputs: () => def.activationInputs(cfg) };
}

export type { TaskDefinition, TransformerTask } from './definition.js';
export { copy, copyActivationInputs, copySequences, makeCopyTask, type CopyTaskConfig } from './copy.js';
export {
  allModularPairs, makeModularTask, modular, modularSequences, MODULAR_POSITIONS, type ModularTaskConfig,
} from './modular.js';
export { batchOf, type Split, type TaskData } from './dataset.js';
