/**
 * Statistics for comparing PWMCC values: the original's two-sample z-test (kept to reproduce it),
 * Welch's t-test, a bootstrap over seeds, and the comparison that matters most, trained PWMCC
 * against the random baseline.
 *
 * A caution that shapes this file: the 10 pairwise values of 5 seeds share seeds, so they are not
 * independent. Tests that treat them as 10 independent samples (zTest, welchTTest) overstate the
 * evidence; the bootstrap resamples seeds, the unit that really was drawn at random.
 *
 * References: HUSAI `scripts/experiments/task_generalization.py` and its report (the z-test);
 * Welch 1947; Efron & Tibshirani 1993 (percentile bootstrap); Paulo & Belrose 2025 (random baseline).
 */
/// <reference path="../types/jstat.d.ts" />
import jStat from 'jstat';
import type { Rng } from '@saelab/tensor';

function nonEmpty(x: readonly number[], fn: string, min = 1): void {
  if (x.length < min) throw new Error(`${fn}: needs at least ${min} value(s), got ${x.length}`);
}

/** Arithmetic mean. */
export function mean(x: readonly number[]): number {
  nonEmpty(x, 'mean');
  // Summing deviations from the first value is exact for constant input (so its std is exactly 0)
  // and loses less precision on values that sit close together, as PWMCCs do.
  const x0 = x[0]!;
  let s = 0;
  for (const v of x) s += v - x0;
  return x0 + s / x.length;
}

function sumSquaredDeviations(x: readonly number[]): number {
  const m = mean(x);
  let s = 0;
  for (const v of x) s += (v - m) ** 2;
  return s;
}

/** Standard deviation with ddof 0 (numpy's default `np.std`). */
export function populationStd(x: readonly number[]): number {
  nonEmpty(x, 'populationStd');
  return Math.sqrt(sumSquaredDeviations(x) / x.length);
}

/** Standard deviation with ddof 1 (the unbiased-variance estimate). */
export function sampleStd(x: readonly number[]): number {
  nonEmpty(x, 'sampleStd', 2);
  return Math.sqrt(sumSquaredDeviations(x) / (x.length - 1));
}

/** Quantile q in [0, 1] with linear interpolation between order statistics (numpy's default). */
export function quantile(x: readonly number[], q: number): number {
  nonEmpty(x, 'quantile');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q (${q}) must lie in [0, 1]`);
  const s = [...x].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
}

/** Median (the mean of the two middle values for an even count). */
export function median(x: readonly number[]): number {
  return quantile(x, 0.5);
}

/** num / den, read as 0 when both are 0 and as Infinity when only den is (all values equal). */
function safeRatio(num: number, den: number): number {
  if (den > 0) return num / den;
  return num === 0 ? 0 : Math.sign(num) * Infinity;
}

/** Two-sided p-value of a standard normal statistic. */
export function normalTwoSidedP(z: number): number {
  return 2 * jStat.normal.cdf(-Math.abs(z), 0, 1); // = 2 (1 - Phi(|z|)), without cancellation
}

/** Two-sided p-value of a Student t statistic with df degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return 2 * jStat.studentt.cdf(-Math.abs(t), df);
}

/** Mean, standard deviation and count of one group (what a report publishes). */
export interface SampleSummary {
  mean: number;
  std: number;
  n: number;
}

/** The original's two-sample z-test (see PROTOCOL.md "Statistics"). */
export interface ZTestResult {
  /** mean(x) - mean(y). */
  diff: number;
  /** sqrt(s1^2/n1 + s2^2/n2). */
  se: number;
  /** |diff| / se. */
  z: number;
  /** 2 (1 - Phi(z)). */
  p: number;
  /** |diff| / sqrt((s1^2 + s2^2) / 2). */
  cohensD: number;
  /** diff -/+ 1.96 se. */
  ci: [number, number];
}

/** The original's z-test from published summaries (mean, std, n) of two groups. */
export function zTestFromSummary(x: SampleSummary, y: SampleSummary): ZTestResult {
  const diff = x.mean - y.mean;
  const se = Math.sqrt(x.std ** 2 / x.n + y.std ** 2 / y.n);
  const z = safeRatio(Math.abs(diff), se);
  return {
    diff,
    se,
    z,
    p: normalTwoSidedP(z),
    cohensD: safeRatio(Math.abs(diff), Math.sqrt((x.std ** 2 + y.std ** 2) / 2)),
    ci: [diff - 1.96 * se, diff + 1.96 * se],
  };
}

/**
 * The original's two-sample z-test on raw values. s is the POPULATION std (ddof 0): the original
 * summarised with numpy's `off_diagonal.std()` (HUSAI `compute_feature_statistics`), whose default
 * is ddof 0, and its report fed those stds into the test. Kept so the husai protocol reproduces it.
 */
export function zTest(x: readonly number[], y: readonly number[]): ZTestResult {
  const summary = (v: readonly number[]): SampleSummary => ({ mean: mean(v), std: populationStd(v), n: v.length });
  return zTestFromSummary(summary(x), summary(y));
}

/** A t-test's result. */
export interface TTestResult {
  /** The estimated difference (mean(x) - mean(y), or mean(x) - mu). */
  diff: number;
  /** Its standard error. */
  se: number;
  /** diff / se. */
  t: number;
  /** Degrees of freedom (Welch-Satterthwaite for two samples). */
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/** Welch's unequal-variance t-test of mean(x) - mean(y) (sample stds, ddof 1). */
export function welchTTest(x: readonly number[], y: readonly number[]): TTestResult {
  nonEmpty(x, 'welchTTest (x)', 2);
  nonEmpty(y, 'welchTTest (y)', 2);
  const vx = sampleStd(x) ** 2 / x.length;
  const vy = sampleStd(y) ** 2 / y.length;
  const diff = mean(x) - mean(y);
  const se = Math.sqrt(vx + vy);
  // With both variances 0 the Welch-Satterthwaite df is 0/0; fall back to the pooled n1 + n2 - 2.
  const df = se > 0 ? (vx + vy) ** 2 / (vx ** 2 / (x.length - 1) + vy ** 2 / (y.length - 1)) : x.length + y.length - 2;
  const t = safeRatio(diff, se);
  return { diff, se, t, df, p: studentTwoSidedP(t, df) };
}

/** One-sample t-test of mean(x) against a fixed value mu (sample std, ddof 1). */
export function oneSampleTTest(x: readonly number[], mu: number): TTestResult {
  nonEmpty(x, 'oneSampleTTest', 2);
  const diff = mean(x) - mu;
  const se = sampleStd(x) / Math.sqrt(x.length);
  const df = x.length - 1;
  const t = safeRatio(diff, se);
  return { diff, se, t, df, p: studentTwoSidedP(t, df) };
}

/** A percentile bootstrap of the mean pairwise value. */
export interface BootstrapResult {
  /** The observed mean of the off-diagonal pairs (i < j). */
  mean: number;
  /** 2.5th and 97.5th percentiles of the bootstrap means. */
  ci95: [number, number];
  /** Std of the bootstrap means (a standard error for `mean`). */
  se: number;
  iterations: number;
}

/**
 * Bootstrap over SEEDS of the mean off-diagonal value of a pairwise matrix (e.g. pwmccMatrix).
 * Each iteration draws n seeds with replacement and averages matrix[i][j] over pairs of draws with
 * distinct original seeds (a seed drawn twice is not compared with itself). Draws with fewer than
 * two distinct seeds carry no pair and are redrawn. Deterministic for a given `rng` state.
 */
export function bootstrapMeanPwmcc(matrix: readonly (readonly number[])[], rng: Rng,
    iterations = 10_000): BootstrapResult {
  const n = matrix.length;
  if (n < 2) throw new Error(`bootstrapMeanPwmcc: needs a matrix of at least 2 seeds, got ${n}`);
  matrix.forEach((row, i) => {
    if (row.length !== n) {
      throw new Error(`bootstrapMeanPwmcc: row ${i} has ${row.length} entries; the matrix must be ${n} x ${n}`);
    }
  });
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new Error(`bootstrapMeanPwmcc: iterations (${iterations}) must be a positive integer`);
  }
  // The upper triangle is the measured value for both orders, as in summarisePairs.
  const value = (i: number, j: number): number => (i < j ? matrix[i]![j]! : matrix[j]![i]!);
  const observed: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) observed.push(value(i, j));

  const means = new Float64Array(iterations);
  const draw = new Int32Array(n);
  for (let it = 0; it < iterations; ) {
    for (let k = 0; k < n; k++) draw[k] = rng.int(n);
    // Running mean: exact when every value is equal, so an all-equal matrix gives a zero-width CI.
    let m = 0;
    let count = 0;
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        if (draw[a] === draw[b]) continue;
        count++;
        m += (value(draw[a]!, draw[b]!) - m) / count;
      }
    }
    if (count > 0) means[it++] = m;
  }
  const all = Array.from(means);
  return {
    mean: mean(observed),
    ci95: [quantile(all, 0.025), quantile(all, 0.975)],
    se: iterations > 1 ? sampleStd(all) : 0,
    iterations,
  };
}

/** How trained PWMCC values compare with random-dictionary values (and the analytic chance level). */
export interface TrainedVsRandomResult {
  trainedMean: number;
  randomMean: number;
  /** trainedMean - randomMean: how far above chance training moved the dictionaries. */
  diff: number;
  /** Welch's t-test of trained vs random. Pairwise values share seeds, so read p as optimistic. */
  welch: TTestResult;
  /** diff / sampleStd(random): the gap in units of chance-level spread (Infinity if that spread is 0). */
  diffInRandomStds: number;
  /** Present when an analytic baseline was given. */
  analytic?: {
    /** The analytic chance level (analyticBaseline(d, n)). */
    baseline: number;
    /** One-sample t-test of the trained values against the baseline. */
    trained: TTestResult;
    /** One-sample t-test of the random values against it: a check that the random control is at chance. */
    random: TTestResult;
  };
}

/**
 * Compares trained PWMCC values with those of random (untrained) dictionaries, optionally with the analytic baseline.
 */
export function trainedVsRandom(trained: readonly number[], random: readonly number[],
    analyticBaseline?: number): TrainedVsRandomResult {
  const welch = welchTTest(trained, random);
  const result: TrainedVsRandomResult = {
    trainedMean: mean(trained),
    randomMean: mean(random),
    diff: welch.diff,
    welch,
    diffInRandomStds: safeRatio(welch.diff, sampleStd(random)),
  };
  if (analyticBaseline !== undefined) {
    result.analytic = {
      baseline: analyticBaseline,
      trained: oneSampleTTest(trained, analyticBaseline),
      random: oneSampleTTest(random, analyticBaseline),
    };
  }
  return result;
}
