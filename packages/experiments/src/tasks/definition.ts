/**
 * What a task kind is: one object per file in this folder, listed once in the registry (index.ts).
 * The pipeline asks a task only through this interface, so a new task is one file and one line.
 */
import type { z } from 'zod';
import type { TransformerTraining } from './fields.js';
import type { Split, TaskData } from './dataset.js';

/** The config fields every task whose activations come from a trained transformer has. */
export interface TransformerTaskConfig {
  kind: string;
  transformer: TransformerTraining;
  activations: { hook: string };
}

/**
 * A task whose SAE activations are read from a transformer trained on its data (copy, modular):
 * `make` gives the training data, then the trained model runs over `activationInputs` and the
 * config's hook is read at the data's `activationPosition`.
 *
 * The synthetic task (PROTOCOL.md, "Synthetic activations"; issue 18 part 2) has no transformer:
 * it will be a second member of `TaskDefinition`, say `GeneratedTask`, whose schema has no
 * `transformer` field and which gives `activations(cfg)` ([n, d] rows of x = sum_i a_i f_i, plus
 * its true features) instead of `make` and `activationInputs`. The one place that chooses between
 * the two is the activation stage, `transformerJob` in run/jobs.ts; `dIn` already lets the config
 * check k against d_sae without a transformer.
 */
export interface TransformerTask<C extends TransformerTaskConfig> {
  /** The config's `kind`, also the task's name in the registry. */
  kind: C['kind'];
  /** The human name, for the site and the logs, lowercase as in a sentence: 'modular addition'. */
  title: string;
  /** The zod schema of the task's config, with `kind: z.literal(kind)`; the config's union is built from these. */
  schema: z.ZodType<C>;
  /** The task's data for training its transformer (train/val splits, vocabulary, loss window, activation position). */
  make(name: string, cfg: C): Omit<TaskData, 'activationInputs'>;
  /** The sequences the activations are read from: [n, seqLen] tokens (their targets unused). */
  activationInputs(cfg: C): Split;
  /** The width of one activation row, the SAE's d_in. */
  dIn(cfg: C): number;
}

/** Any task kind. Today every task trains a transformer; the synthetic task joins this union. */
export type TaskDefinition<C extends TransformerTaskConfig = TransformerTaskConfig> = TransformerTask<C>;
