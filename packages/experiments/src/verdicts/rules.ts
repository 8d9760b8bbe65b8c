/** The fixed thresholds every verdict uses; written into results.json as `verdicts.rules`. */
export const RULES = {
  /** PWMCC at or above this is called stable (the report's threshold, after Paulo & Belrose 2025). */
  stabilityThreshold: 0.7,
  /** A trained decoder whose PWMCC with its own initialisation is at least this barely moved. */
  barelyMoved: 0.9,
  /** Validation accuracy at which a transformer counts as having solved its task (the protocol's stopping rule). */
  solvedAccuracy: 0.99,
  /** Significance level of every test a verdict reads. */
  alpha: 0.05,
  /** On a task with known features, a mean recovered fraction (|cos| >= 0.9) from which recovery is 'most'. */
  recoveredMost: 0.9,
  /** ... and below which it is 'none' (fewer than one feature in a hundred). */
  recoveredNone: 0.01,
} as const;

export { valueAt } from '@saelab/results';
