/**
 * The one conclusion that spans two results files: does a second protocol (corrected) change what the
 * first (husai) concludes? It only compares verdicts both files already hold; it decides nothing anew.
 */
import type { Results, TaskResult } from './schema.js';
import type { TaskVerdict } from './verdicts.js';

export interface TaskChange {
  task: string;
  /** Index of the task in each run's `tasks`. */
  at: [number, number];
  verdicts: [TaskVerdict, TaskVerdict];
  /** Agreement, movement or dimension differ between the two runs. */
  changed: boolean;
}

export interface ProtocolChange {
  tasks: TaskChange[];
  changed: boolean;
  /**
   * The second run still cannot answer the question on some task: its decoders barely moved, or its
   * activations span no more dimensions than k.
   */
  unresolved: boolean;
}

const key = (v: TaskVerdict) => [v.agreement, v.movement, v.dimension].join('/');

/** The fraction of the activations' variance whose principal directions are "the data's span" (subspace, curve). */
export const SPAN_VARIANCE = 0.99;

/** The index in `task.subspace` of the level at SPAN_VARIANCE (-1 if the task has none). */
export const spanLevel = (task: Pick<TaskResult, 'subspace'>): number =>
  task.subspace.findIndex((l) => l.variance === SPAN_VARIANCE);

/** The verdict of a task of a run (the verdicts are in task order). */
export function taskVerdict(results: Results, task: number | TaskResult): TaskVerdict {
  const index = typeof task === 'number' ? task : results.tasks.indexOf(task);
  const v = results.verdicts.tasks[index];
  if (!v) throw new Error(`results of '${results.config.name}' have no verdict for task ${index}`);
  return v;
}

/** Per task present in both runs (by name), whether the verdicts differ; undefined when they share no task. */
export function protocolChange(first: Results, second: Results): ProtocolChange | undefined {
  const tasks: TaskChange[] = [];
  first.tasks.forEach((task, i) => {
    const j = second.tasks.findIndex((t) => t.name === task.name);
    if (j < 0) return;
    const verdicts: [TaskVerdict, TaskVerdict] = [taskVerdict(first, i), taskVerdict(second, j)];
    tasks.push({ task: task.name, at: [i, j], verdicts, changed: key(verdicts[0]) !== key(verdicts[1]) });
  });
  if (tasks.length === 0) return undefined;
  return {
    tasks,
    changed: tasks.some((t) => t.changed),
    unresolved: tasks.some(({ verdicts: [, v] }) => v.movement === 'barely' || v.dimension === 'within k'),
  };
}
