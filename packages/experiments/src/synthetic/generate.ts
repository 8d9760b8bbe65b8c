/**
 * Synthetic activations with known features (the study's positive control):
 *   x = sum_i a_i f_i (+ noise),   f_i unit vectors in R^d,   a_i > 0 only when feature i fires.
 * Feature i fires with probability p_i (firingProbabilities); firing is correlated through a
 * Gaussian copula with a block factor model: feature i in group G(i) has the latent normal
 *   z_i = sqrt(rho) g_G(i) + sqrt(1 - rho) e_i   (g, e independent standard normals),
 * and fires when z_i < Phi^{-1}(p_i). So P(fire) is exactly p_i, two features of one group have
 * latent correlation rho, features of different groups fire independently, and rho = 0 gives
 * independent Bernoulli(p_i) firing.
 *
 * Speed: drawing z for every (sample, feature) would cost samples x N normals (1e8 at the
 * defaults, ~8 s here). Instead, given the group factor g the members fire independently with
 * q_i(g) = Phi((Phi^{-1}(p_i) - sqrt(rho) g) / sqrt(1 - rho)), non-increasing along the group
 * (members are kept in index order, and p_i does not increase with i). The members are then
 * visited by geometric jumps at the rate b of the next member (an upper bound on those after it)
 * and a landing member is kept with probability q / b: thinning, exact, and costing about two
 * uniforms per firing feature instead of one draw per feature.
 *
 * References: Sharkey, Braun & Millidge 2022, "Taking features out of superposition with sparse
 * autoencoders"; Elhage et al. 2022, "Toy models of superposition"; Devroye 1986, "Non-Uniform
 * Random Variate Generation" (geometric skipping and thinning).
 */
import { Rng } from '@saelab/tensor';
import type { Matrix } from '../metrics/pwmcc.js';
import { normalCdf, normalQuantile } from './normal.js';
import { parseSyntheticData, type SyntheticDataConfig, type SyntheticDataInput } from './schema.js';

/** tau = N * EXPONENTIAL_TAU_FRACTION: p_0 / p_{N-1} = e^4 (about 55) whatever N. */
export const EXPONENTIAL_TAU_FRACTION = 1 / 4;
/** alpha of the power decay: p_0 / p_{N-1} = N^0.7 (about 79 at N = 512), a heavier head than exponential. */
export const POWER_ALPHA = 0.7;

/** Which features fired in each sample, kept as bits (12.8 MB at 200,000 x 512, not 100 MB of bytes). */
export interface FiringRecord {
  samples: number;
  features: number;
  /** 32-bit words per sample: ceil(features / 32). */
  words: number;
  /** [samples, words]: bit (i % 32) of word floor(i / 32) of a sample's row is set when feature i fired. */
  bits: Uint32Array;
  /** [features]: how many samples each feature fired in. */
  counts: Uint32Array;
  /** [samples]: how many features fired in each sample (its L0). */
  active: Uint32Array;
}

export interface SyntheticDataset {
  config: SyntheticDataConfig;
  /** [samples, d], row-major: one activation vector per sample. */
  activations: Float32Array;
  /** [N, d]: the true features, unit rows. */
  truth: Matrix;
  /** [N]: p_i, summing to meanActive. */
  probabilities: number[];
  /** [N]: the copula group of each feature. */
  groups: Int32Array;
  fired: FiringRecord;
}

/** Whether `feature` fired in `sample`. */
export function didFire(fired: FiringRecord, sample: number, feature: number): boolean {
  return ((fired.bits[sample * fired.words + (feature >>> 5)]! >>> (feature & 31)) & 1) === 1;
}

/** N unit vectors in R^d, isotropic (normalised Gaussians): the true features, [N, d]. */
export function groundTruthDictionary(cfg: Pick<SyntheticDataConfig, 'features' | 'd'>, rng: Rng): Matrix {
  const { features: n, d } = cfg;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = rng.normalArray(d);
    let sq = 0;
    for (let c = 0; c < d; c++) sq += row[c]! ** 2;
    const inv = 1 / Math.sqrt(sq); // a zero row has probability 0
    for (let c = 0; c < d; c++) data[i * d + c] = row[c]! * inv;
  }
  return { data, rows: n, cols: d };
}

/**
 * p_i, non-increasing in i, each <= 1, summing to meanActive. The shape q_i is
 * exp(-i / tau) (tau = N / 4) or (i + 1)^-0.7; p_i = min(1, s q_i). The sum is piecewise linear in s,
 * so s is solved exactly rather than by bisection: with the c largest capped at 1,
 * s = (meanActive - c) / sum_{i >= c} q_i, for the smallest c at which s q_c <= 1.
 */
export function firingProbabilities(cfg: Pick<SyntheticDataConfig, 'features' | 'meanActive' | 'decay'>): number[] {
  const n = cfg.features;
  const m = cfg.meanActive;
  if (!(m > 0 && m <= n)) throw new Error(`firingProbabilities: meanActive (${m}) must be in (0, features = ${n}]`);
  const tau = n * EXPONENTIAL_TAU_FRACTION;
  const shape = cfg.decay === 'exponential'
    ? (i: number) => Math.exp(-i / tau)
    : (i: number) => (i + 1) ** -POWER_ALPHA;
  const q = Array.from({ length: n }, (_, i) => shape(i));
  const tail = new Float64Array(n + 1); // tail[c] = sum_{i >= c} q_i, summed from the small end
  for (let i = n - 1; i >= 0; i--) tail[i] = tail[i + 1]! + q[i]!;
  for (let c = 0; c < n && c < m; c++) {
    const s = (m - c) / tail[c]!;
    if (s * q[c]! <= 1) return q.map((qi, i) => (i < c ? 1 : Math.min(1, s * qi)));
  }
  return q.map(() => 1); // meanActive = N: everything always fires
}

/** Features dealt at random into `groups` groups of equal size (+-1); each group lists its members in index order. */
function copulaGroups(n: number, groups: number, rng: Rng): { groupOf: Int32Array; members: Int32Array[] } {
  const perm = rng.permutation(n);
  const groupOf = new Int32Array(n);
  for (let k = 0; k < n; k++) groupOf[perm[k]!] = k % groups;
  const members = Array.from({ length: groups }, (_, g) => Int32Array.from(
    Array.from({ length: n }, (_, i) => i).filter((i) => groupOf[i] === g),
  ));
  return { groupOf, members };
}

/**
 * Visits `members` (non-increasing firing probability prob(k) along the list) by geometric jumps
 * and thinning, and calls fire(member) for each that fires: each member independently with prob(k).
 */
function thinnedFiring(members: Int32Array, prob: (k: number) => number, u: Rng, fire: (i: number) => void): void {
  const len = members.length;
  let k = 0;
  while (k < len) {
    const b = prob(k); // >= prob of every later member: the jump rate
    if (b <= 0) return;
    if (b < 1) {
      // Trials until the first success at rate b: floor(log U / log(1 - b)), U in (0, 1].
      const gap = Math.floor(Math.log(1 - u.uniform()) / Math.log1p(-b));
      if (gap > 0) {
        k += gap;
        if (k >= len) return;
        if (u.uniform() * b >= prob(k)) {
          k++;
          continue;
        }
      }
    }
    fire(members[k]!);
    k++;
  }
}

/** Generates the data set of `input` (validated; missing fields take their defaults). Same config, same bits. */
export function generateSynthetic(input: SyntheticDataInput = {}): SyntheticDataset {
  const config = parseSyntheticData(input);
  const { d, features: n, samples, correlation: rho, noise } = config;
  const root = new Rng(config.dataSeed);
  const truth = groundTruthDictionary(config, root.fork('dictionary'));
  const probabilities = firingProbabilities(config);
  // Drawn even at rho = 0 (where it does not matter), so a feature's group does not depend on rho.
  const { groupOf, members } = copulaGroups(n, config.correlationGroups, root.fork('correlation'));
  const copula = root.fork('copula');
  const firing = root.fork('firing');
  const magnitudes = root.fork('magnitudes');
  const noiseRng = root.fork('noise');
  const threshold = probabilities.map(normalQuantile); // Phi^{-1}(p_i); Infinity where p_i = 1
  const loading = Math.sqrt(rho);
  const own = Math.sqrt(1 - rho);
  const words = Math.ceil(n / 32);
  const fired: FiringRecord = {
    samples, features: n, words,
    bits: new Uint32Array(samples * words), counts: new Uint32Array(n), active: new Uint32Array(samples),
  };
  const activations = new Float32Array(samples * d); // [samples, d]
  const x = new Float64Array(d); // one sample, accumulated in float64
  const magnitude = config.magnitudes === 'uniform'
    ? () => magnitudes.uniform()
    : () => -0.5 * Math.log(1 - magnitudes.uniform()); // exponential, mean 1/2 (the uniform's mean)
  let sample = 0;
  const fire = (i: number): void => {
    fired.bits[sample * words + (i >>> 5)]! |= 1 << (i & 31);
    fired.counts[i]!++;
    fired.active[sample]!++;
    const a = magnitude();
    const off = i * d;
    for (let c = 0; c < d; c++) x[c]! += a * truth.data[off + c]!;
  };
  for (; sample < samples; sample++) {
    x.fill(0);
    for (const group of members) {
      if (rho === 0) {
        thinnedFiring(group, (k) => probabilities[group[k]!]!, firing, fire);
      } else {
        const shift = loading * copula.normal(); // this sample's group factor, scaled
        thinnedFiring(group, (k) => normalCdf((threshold[group[k]!]! - shift) / own), firing, fire);
      }
    }
    const row = sample * d;
    if (noise > 0) for (let c = 0; c < d; c++) activations[row + c] = x[c]! + noise * noiseRng.normal();
    else for (let c = 0; c < d; c++) activations[row + c] = x[c]!;
  }
  return { config, activations, truth, probabilities, groups: groupOf, fired };
}
