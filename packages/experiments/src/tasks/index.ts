/** The tasks by kind. */
import type { TaskConfig } from '../config/schema.js';
import { makeCopyTask } from './copy.js';
import type { TaskData } from './dataset.js';
import { makeModularTask } from './modular.js';

export { copySequences, makeCopyTask } from './copy.js';
export { allModularPairs, makeModularTask, modularSequences, MODULAR_POSITIONS } from './modular.js';
export { batchOf, type Split, type TaskData } from './dataset.js';

/** Builds a task's train/validation data from its config. */
export function makeTask(name: string, cfg: TaskConfig): TaskData {
  return cfg.kind === 'copy' ? makeCopyTask(name, cfg) : makeModularTask(name, cfg);
}
