/**
 * What a task kind is: one object per file in this folder, listed once in the registry (index.ts).
 * The pipeline asks a task only through this interface, so a new task is one file and one line.
 */
import type { z } from 'zod';
import type { TransformerTraining } from './fields.js';
import type { Matrix } from '../metrics/pwmcc.js';
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
 */
export interface TransformerTask<C extends TransformerTaskConfig> {
  source: 'transformer';
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

/** What a generated task gives: the activation rows, and the true features when the task knows them. */
export interface GeneratedActivations {
  /** [n, d], row-major. */
  activations: Float32Array;
  n: number;
  d: number;
  /** [N, d] unit rows: the features the activations are built from (the positive control's truth). */
  truth?: Matrix;
  /** The mean count of features active per sample in the generated rows. */
  meanActive?: number;
  /** The true features active in row `row`, in index order (what a latent page shows of a sample). */
  activeFeatures?(row: number): number[];
}

/**
 * A task whose activations are generated from its config, with no transformer (synthetic: x = sum_i a_i f_i over
 * known features f_i). The activation stage (run/jobs.ts) saves what `generate` gives, and the truth beside it.
 */
export interface GeneratedTask<C extends { kind: string }> {
  source: 'generated';
  kind: C['kind'];
  title: string;
  schema: z.ZodType<C>;
  generate(cfg: C): GeneratedActivations;
  dIn(cfg: C): number;
}

/** Any task kind: the activation stage asks `source` which of the two it is. */
export type TaskDefinition<C extends { kind: string } = { kind: string }> =
  | TransformerTask<C & TransformerTaskConfig>
  | GeneratedTask<C>;
