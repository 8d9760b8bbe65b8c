/**
 * The `verdicts` section of results.json: what the study concludes from its numbers, decided by
 * the experiment's fixed rules (packages/experiments/src/verdicts/) and written beside the numbers,
 * so a reader of results.json alone gets the conclusions and the site only puts them into words.
 * Every threshold a rule used is recorded in `rules`.
 */
import { z } from 'zod';

/** How a number is written where it is shown (the site's formats; see apps/report-site/src/lib/format.ts). */
export const NumberStyleSchema = z.enum(['pwmcc', 'fixed2', 'fixed3', 'ev', 'percent', 'p', 'int']);

/** A path into results.json, e.g. ['tasks', 0, 'pwmcc', 'mean']. */
export const PathSchema = z.array(z.union([z.string(), z.number().int()]));

/**
 * Seed agreement against chance and stability: 'stable' at or above the stability threshold; else
 * 'chance' when the untrained decoders' mean PWMCC lies inside the trained PWMCC's bootstrap 95%
 * interval (the bootstrap resamples seeds, the unit drawn at random); else above or below it.
 */
export const AgreementSchema = z.enum(['stable', 'chance', 'above chance', 'below chance']);
/**
 * How far the decoders moved from their initialisation: all barely (trainedVsInit >= barelyMoved), all well away, or
 * some of each.
 */
export const MovementSchema = z.enum(['barely', 'moved', 'mixed']);
/**
 * 'within k' when 99% of the activations' variance lies in at most k principal components: any k directions reconstruct
 * them.
 */
export const DimensionSchema = z.enum(['within k', 'beyond k']);
/**
 * A one-sample test against a reference value at the rules' alpha: significantly above, below, or consistent with it.
 */
export const SideSchema = z.enum(['above', 'below', 'consistent']);

export const TaskVerdictSchema = z.object({
  task: z.string(),
  /** The transformer's validation accuracy reached rules.solvedAccuracy; null for generated activations (none). */
  solved: z.boolean().nullable(),
  agreement: AgreementSchema,
  /** Null for a task without SAEs. */
  movement: MovementSchema.nullable(),
  barelyMovedCount: z.number().int(),
  dimension: DimensionSchema.nullable(),
  /**
   * Seed agreement of the decoders within the activations' span (subspace PWMCC at 99% of the variance),
   * against the untrained decoders projected the same way, by Welch's test at alpha ('chance' when not
   * significant). Never 'stable': chance in m dimensions can itself exceed the stability threshold.
   * Null for a task without SAEs.
   */
  subspaceAgreement: AgreementSchema.nullable(),
  /**
   * Whether agreement within the activations' span rose with training: the change of pwmccCurve.subspace from
   * epoch 1 to the last epoch against twice the std of the last epoch's pairwise values there ('flat' within it).
   * Null for a task without a curve.
   */
  agreementTrend: z.enum(['rising', 'flat', 'falling']).nullable(),
  /** The untrained decoders' pairwise PWMCC against the analytic chance level (null where it was not tested). */
  untrainedVsAnalytic: SideSchema.nullable(),
  /** Random uniform-entry dictionaries agree more than Gaussian ones (initShapes' Welch test at alpha). */
  uniformAboveGaussian: z.boolean(),
  /**
   * For a task with known features: the mean over SAEs of the fraction of true features their decoders recover at
   * |cos| >= 0.9 is at least rules.recoveredMost ('most'), below rules.recoveredNone ('none'), or between ('some').
   * Null for a task without a truth.
   */
  recovery: z.enum(['most', 'some', 'none']).nullable(),
  /** Where the task is read, when its config chooses ('answer', 'equals'); null otherwise. */
  readAt: z.string().nullable(),
  /** The read position holds the answer itself: a causal model sees the label there. */
  labelLeak: z.boolean(),
});

export const ClaimStatusSchema = z.enum(['reproduced', 'not reproduced', 'not measured']);

/** One of the original report's claims, and whether this run reproduces it under the stated tolerance. */
export const ClaimVerdictSchema = z.object({
  id: z.string(),
  label: z.string(), // what the report claimed, as a table row
  reported: z.string(), // the report's value, as it wrote it
  tolerance: z.string(), // the rule, in words
  note: z.string().optional(), // why the claim needs care when read
  status: ClaimStatusSchema,
  /** The measured values that decided it: one, a min-max pair over SAEs, or the two ends of an interval. */
  paths: z.array(PathSchema),
  shape: z.enum(['single', 'range', 'interval']),
  style: NumberStyleSchema,
  missing: z.string().optional(), // why nothing was measured
});

export const VerdictsSchema = z.object({
  rules: z.object({
    stabilityThreshold: z.number(), // 0.7: PWMCC called stable (the report's threshold, after Paulo & Belrose 2025)
    barelyMoved: z.number(), // 0.9: a decoder this close to its own initialisation (PWMCC) barely moved
    solvedAccuracy: z.number(), // 0.99: validation accuracy at which a transformer solved its task
    alpha: z.number(), // 0.05: significance level of every test a verdict reads
    recoveredMost: z.number(), // 0.9: recovery 'most' from this mean fraction of true features recovered
    recoveredNone: z.number(), // 0.01: recovery 'none' below it
  }),
  /** The run trains the report's own SAE variant, so its numbers are read against the report's claims. */
  followsReport: z.boolean(),
  tasks: z.array(TaskVerdictSchema),
  claims: z.array(ClaimVerdictSchema),
  /** The two-task comparison's z-test at alpha (null without a comparison). */
  comparison: z.object({ significant: z.boolean() }).nullable(),
});

export type Verdicts = z.infer<typeof VerdictsSchema>;
export type TaskVerdict = z.infer<typeof TaskVerdictSchema>;
export type ClaimVerdict = z.infer<typeof ClaimVerdictSchema>;
export type Agreement = z.infer<typeof AgreementSchema>;
export type Movement = z.infer<typeof MovementSchema>;
export type Dimension = z.infer<typeof DimensionSchema>;
export type NumberStyle = z.infer<typeof NumberStyleSchema>;
export type Path = z.infer<typeof PathSchema>;
