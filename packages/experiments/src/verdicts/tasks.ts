/**
 * What the study concludes about one task, from its numbers alone (see @saelab/results' verdicts.ts
 * for what each verdict means): seed agreement against chance and stability, how far the decoders
 * moved, whether the activations fit inside k dimensions, and the controls around the baseline.
 */
import {
  spanLevel, type Agreement, type Dimension, type Movement, type TaskResult, type TaskVerdict,
} from '@saelab/results';
import { RULES } from './rules.js';

export function agreement(task: Pick<TaskResult, 'pwmcc' | 'bootstrap' | 'randomBaseline'>): Agreement {
  if (task.pwmcc.mean >= RULES.stabilityThreshold) return 'stable';
  const [lo, hi] = task.bootstrap.ci95;
  const random = task.randomBaseline.empirical.mean;
  if (random >= lo && random <= hi) return 'chance';
  return task.pwmcc.mean > random ? 'above chance' : 'below chance';
}

export function movement(task: Pick<TaskResult, 'saes'>): Movement | null {
  if (task.saes.length === 0) return null;
  const barely = task.saes.filter((s) => s.trainedVsInit >= RULES.barelyMoved).length;
  return barely === task.saes.length ? 'barely' : barely === 0 ? 'moved' : 'mixed';
}

/** Compares the components for 99% of the variance with the k latents a sample uses; null without SAEs. */
export function dimension(task: Pick<TaskResult, 'saes' | 'activations'>): Dimension | null {
  const sae = task.saes[0];
  if (!sae) return null;
  return task.activations.spectrum.componentsFor['0.99'] <= sae.k ? 'within k' : 'beyond k';
}

const significant = (p: number | null) => p !== null && p < RULES.alpha;

/** Rising, flat or falling agreement within the span over training (see @saelab/results' verdicts.ts). */
export function agreementTrend(
  task: Pick<TaskResult, 'pwmccCurve' | 'subspace'>,
): 'rising' | 'flat' | 'falling' | null {
  const curve = task.pwmccCurve?.subspace;
  const level = task.subspace[spanLevel(task)];
  if (!curve || curve.length < 3 || !level) return null;
  const change = curve[curve.length - 1]! - curve[1]!;
  const band = 2 * level.decoder.std;
  return change > band ? 'rising' : change < -band ? 'falling' : 'flat';
}

/**
 * Agreement within the activations' span: the 99% level of `subspace`, against the untrained decoders projected
 * there. Never 'stable': in m dimensions chance itself is high (0.70 for m = 19, n = 1024), so the full-space
 * stability threshold means nothing there; only the comparison with the untrained decoders does.
 */
export function subspaceAgreement(task: Pick<TaskResult, 'saes' | 'subspace'>): Agreement | null {
  const level = task.subspace[spanLevel(task)];
  if (!level || task.saes.length === 0) return null;
  if (!significant(level.vsUntrained.p)) return 'chance';
  return level.vsUntrained.diff > 0 ? 'above chance' : 'below chance';
}

/** How many of the true features the SAEs' decoders recover (null for a task without a truth). */
export function recovery(task: Pick<TaskResult, 'truth'>): 'most' | 'some' | 'none' | null {
  if (!task.truth || task.truth.saes.length === 0) return null;
  const r = task.truth.mean.decoder.recovered90;
  return r >= RULES.recoveredMost ? 'most' : r < RULES.recoveredNone ? 'none' : 'some';
}

/** The verdict of one task; `taskConfig` is the task's entry in the run's config (for where it is read). */
export function taskVerdict(task: TaskResult, taskConfig: Record<string, unknown> | undefined): TaskVerdict {
  const random = task.trainedVsRandom.analytic?.random;
  const shapes = task.randomBaseline.initShapes.welch;
  const readAt = typeof taskConfig?.readAt === 'string' ? taskConfig.readAt : null;
  return {
    task: task.name,
    solved: task.transformer ? task.transformer.valAccuracy >= RULES.solvedAccuracy : null,
    agreement: agreement(task),
    movement: movement(task),
    barelyMovedCount: task.saes.filter((s) => s.trainedVsInit >= RULES.barelyMoved).length,
    dimension: dimension(task),
    subspaceAgreement: subspaceAgreement(task),
    agreementTrend: agreementTrend(task),
    untrainedVsAnalytic: !random ? null : !significant(random.p) ? 'consistent' : random.diff > 0 ? 'above' : 'below',
    uniformAboveGaussian: significant(shapes.p) && shapes.diff > 0,
    recovery: recovery(task),
    readAt,
    labelLeak: readAt === 'answer',
  };
}
