/** Loading a stage's checkpoint, with an error that says what to do when it is damaged. */
import { existsSync } from 'node:fs';
import { loadCheckpoint } from '@saelab/models';
import type { Adam, Module } from '@saelab/tensor';

/**
 * The saved state if `path` holds a checkpoint, undefined if there is none; a damaged one is an error naming the fix.
 */
export async function resumeFrom<T>(path: string | undefined, module: Module, opt: Adam): Promise<T | undefined> {
  if (!path || !existsSync(path)) return undefined;
  try {
    return (await loadCheckpoint(path, module, opt)) as T;
  } catch (e) {
    throw new Error(`cannot resume from checkpoint ${path}: ${(e as Error).message}. Delete that file to restart this `
      + `stage from its beginning; every other stage's output is kept.`);
  }
}
