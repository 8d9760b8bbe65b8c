/**
 * Metrics against a known dictionary: how well an SAE trained on synthetic data recovered the
 * true features. Rows are features (truth, [N, d]) or latents (learned, [nLatents, d]); only
 * directions count, so every metric ignores row order, sign and scale.
 *
 * - MMCS (Sharkey, Braun & Millidge 2022, "Taking features out of superposition with sparse
 *   autoencoders"): mean over true features of the max |cos| with any latent. Its reverse, mean
 *   over latents of the max with any true feature, says how many latents are not features at all.
 * - Recovery: a true feature is recovered when some latent has |cos| >= threshold (0.9, 0.99).
 *   For two seeds, `bothRecovered` asks whether the SAEs agree because both found the truth.
 * - Matched cosine: a one-to-one (Hungarian) matching, so one latent cannot stand for two features.
 */
import { rectangularAssignment } from './rectangular.js';
import { checkSameSpace, cosineMatrix, type Matrix } from './pwmcc.js';

/** Row and column maxima of the |cos| matrix between truth [N, d] and learned [L, d]. */
function maxima(truth: Matrix, learned: Matrix, fn: string): { perFeature: Float64Array; perLatent: Float64Array } {
  checkSameSpace(truth, learned, fn);
  const n = truth.rows;
  const l = learned.rows;
  const cos = cosineMatrix(truth, learned); // [N, L]
  const perFeature = new Float64Array(n);
  const perLatent = new Float64Array(l); // |cos| >= 0, so 0 is a safe start
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 0; j < l; j++) {
      const c = cos[i * l + j]!;
      if (c > best) best = c;
      if (c > perLatent[j]!) perLatent[j] = c;
    }
    perFeature[i] = best;
  }
  return { perFeature, perLatent };
}

function meanOf(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

function checkThreshold(threshold: number, fn: string): void {
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`${fn}: threshold (${threshold}) must be in [0, 1]`);
}

/** For each true feature, its best |cos| with any latent: [N]. */
export function bestCosinePerFeature(truth: Matrix, learned: Matrix): Float64Array {
  return maxima(truth, learned, 'bestCosinePerFeature').perFeature;
}

/** MMCS: mean over true features of the max |cos| with any latent (Sharkey et al. 2022). */
export function mmcs(truth: Matrix, learned: Matrix): number {
  return meanOf(maxima(truth, learned, 'mmcs').perFeature);
}

/** Reverse MMCS: mean over latents of the max |cos| with any true feature. mmcsReverse(b, a) = mmcs(a, b). */
export function mmcsReverse(truth: Matrix, learned: Matrix): number {
  return meanOf(maxima(truth, learned, 'mmcsReverse').perLatent);
}

/** Per true feature: does some latent reach |cos| >= threshold? [N]. */
export function recovered(truth: Matrix, learned: Matrix, threshold: number): boolean[] {
  checkThreshold(threshold, 'recovered');
  return Array.from(maxima(truth, learned, 'recovered').perFeature, (c) => c >= threshold);
}

/** Fraction of true features recovered at |cos| >= threshold (0.9 and 0.99 in the study). */
export function recoveredFraction(truth: Matrix, learned: Matrix, threshold: number): number {
  const r = recovered(truth, learned, threshold);
  return r.filter(Boolean).length / r.length;
}

/** Fraction of true features that both SAEs a and b recover at |cos| >= threshold. */
export function bothRecovered(truth: Matrix, a: Matrix, b: Matrix, threshold: number): number {
  const ra = recovered(truth, a, threshold);
  const rb = recovered(truth, b, threshold);
  let both = 0;
  for (let i = 0; i < ra.length; i++) if (ra[i] && rb[i]) both++;
  return both / ra.length;
}

/** One-to-one matching of true features to latents. */
export interface TruthMatch {
  /** latentOf[i] = the latent matched to true feature i, or -1 when there are fewer latents than features. */
  latentOf: Int32Array;
  /** [N]: |cos| of each feature with its matched latent (0 where unmatched). */
  featureCosine: Float64Array;
  /** Mean |cos| over the min(N, L) matched pairs. */
  meanMatchedCosine: number;
}

/**
 * One-to-one matching maximising the total |cos| between true features and latents (the linear
 * assignment problem). d_sae and N usually differ, so the smaller set is matched into the larger
 * (rectangular.ts: exact, and unlike padding the cost matrix to a square with dummy rows, which
 * gives the same optimum, it does not pay a full search per dummy row).
 */
export function matchedToTruth(truth: Matrix, learned: Matrix): TruthMatch {
  checkSameSpace(truth, learned, 'matchedToTruth');
  const n = truth.rows;
  const l = learned.rows;
  const cos = cosineMatrix(truth, learned); // [N, L]
  const latentOf = new Int32Array(n).fill(-1);
  if (n <= l) {
    const cost = new Float64Array(n * l);
    for (let k = 0; k < cost.length; k++) cost[k] = 1 - cos[k]!;
    latentOf.set(rectangularAssignment(cost, n, l)); // feature -> latent
  } else {
    const cost = new Float64Array(l * n); // [L, N]: latents into features
    for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) cost[j * n + i] = 1 - cos[i * l + j]!;
    rectangularAssignment(cost, l, n).forEach((feature, latent) => { latentOf[feature] = latent; });
  }
  const featureCosine = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = latentOf[i]!;
    if (j < 0) continue; // a feature left over when L < N
    featureCosine[i] = cos[i * l + j]!;
    sum += featureCosine[i]!;
  }
  return { latentOf, featureCosine, meanMatchedCosine: sum / Math.min(n, l) };
}

/** Every truth metric of one SAE, from one |cos| matrix for the maxima. */
export interface TruthScores {
  mmcs: number;
  mmcsReverse: number;
  /** Fractions of true features recovered at |cos| >= 0.9 and >= 0.99. */
  recovered90: number;
  recovered99: number;
  matchedCosine: number;
}

/** The study's truth metrics of one learned dictionary. */
export function scoreAgainstTruth(truth: Matrix, learned: Matrix): TruthScores {
  const { perFeature, perLatent } = maxima(truth, learned, 'scoreAgainstTruth');
  const at = (t: number) => perFeature.filter((c) => c >= t).length / perFeature.length;
  return {
    mmcs: meanOf(perFeature),
    mmcsReverse: meanOf(perLatent),
    recovered90: at(0.9),
    recovered99: at(0.99),
    matchedCosine: matchedToTruth(truth, learned).meanMatchedCosine,
  };
}
