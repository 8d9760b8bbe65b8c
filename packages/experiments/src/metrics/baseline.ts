/**
 * The chance level of PWMCC: what two dictionaries of random directions score.
 *
 * For independent isotropic unit vectors u, v in R^d, t = |u . v| has density proportional to
 * (1 - t^2)^((d-3)/2) on [0, 1] (t^2 ~ Beta(1/2, (d-1)/2)). A row's max over n independent columns
 * has survival 1 - F(t)^n, so E[max] = integral_0^1 (1 - F(t)^n) dt. Each PWMCC term is the mean of
 * such maxima, hence E[PWMCC] of two random [n, d] dictionaries is exactly E[max]. For d = 128,
 * n = 1024 it is 0.2988: the "PWMCC ~ 0.30" of Paulo & Belrose 2025 and of the HUSAI report is
 * this chance level, not a property of training.
 *
 * Numerics: substituting t = sin(theta) turns the density into cos(theta)^(d-2) on [0, pi/2],
 * smooth for every d >= 2 (no endpoint singularity at d = 2), so composite Gauss-Legendre
 * quadrature converges fast. The tail S = 1 - F is accumulated from the right, so 1 - F^n =
 * -expm1(n log1p(-S)) keeps full precision where F is close to 1.
 */
import type { Rng } from '@saelab/tensor';
import type { Matrix } from './pwmcc.js';
import { pwmcc } from './pwmcc.js';
import { mean, sampleStd, welchTTest } from './stats.js';

/** Gauss-Legendre nodes and weights on [-1, 1] (Newton's method on P_n; Golub-Welsch not needed). */
function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5)); // Tricomi's initial guess
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // Recurrence: (k+1) P_{k+1} = (2k+1) z P_k - k P_{k-1}.
      let p0 = 1;
      let p1 = z;
      for (let k = 1; k < n; k++) [p0, p1] = [p1, ((2 * k + 1) * z * p1 - k * p0) / (k + 1)];
      dp = (n * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

const GL = gaussLegendre(10);

/** integral of f over [lo, hi] with one 10-point Gauss-Legendre rule. */
function glIntegral(f: (x: number) => number, lo: number, hi: number): number {
  const half = (hi - lo) / 2;
  const mid = (hi + lo) / 2;
  let s = 0;
  for (let k = 0; k < GL.x.length; k++) s += GL.w[k]! * f(mid + half * GL.x[k]!);
  return s * half;
}

/** Unnormalized density of theta = asin|cos| for dimension d: cos(theta)^(d-2). */
function kernel(d: number): (theta: number) => number {
  return d === 2 ? () => 1 : (theta) => Math.exp((d - 2) * Math.log(Math.cos(theta)));
}

/** Enough panels to resolve the density's width (~1/sqrt(d)) and the max's sharp transition. */
function panelCount(d: number): number {
  return Math.max(2000, Math.ceil(60 * Math.sqrt(d)));
}

function checkDimension(d: number, fn: string): void {
  if (!Number.isInteger(d) || d < 1) throw new Error(`${fn}: dimension d (${d}) must be a positive integer`);
}

/** P(|cos| <= t) for two independent isotropic unit vectors in R^d (the CDF F above). */
export function absCosineCdf(t: number, d: number): number {
  checkDimension(d, 'absCosineCdf');
  if (t >= 1) return 1;
  if (t <= 0) return 0;
  if (d === 1) return 0; // in R^1 the |cosine| is always 1
  const f = kernel(d);
  const top = Math.asin(t);
  const panels = panelCount(d);
  const h = Math.PI / 2 / panels;
  let below = 0;
  let total = 0;
  for (let p = 0; p < panels; p++) {
    const lo = p * h;
    const hi = lo + h;
    const mass = glIntegral(f, lo, hi);
    total += mass;
    if (hi <= top) below += mass;
    else if (lo < top) below += glIntegral(f, lo, top);
  }
  return below / total;
}

/** E[max] and E[max^2] of n i.i.d. |cos| in R^d. */
function maxMoments(d: number, n: number): { m1: number; m2: number } {
  if (d === 1) return { m1: 1, m2: 1 };
  const f = kernel(d);
  const panels = panelCount(d);
  const h = Math.PI / 2 / panels;
  const panelMass = new Float64Array(panels);
  for (let p = 0; p < panels; p++) panelMass[p] = glIntegral(f, p * h, (p + 1) * h);
  // tailRight[p] = mass right of panel p; accumulated from the right so small tails stay exact.
  const tailRight = new Float64Array(panels);
  let acc = 0;
  for (let p = panels - 1; p >= 0; p--) {
    tailRight[p] = acc;
    acc += panelMass[p]!;
  }
  const total = acc;
  let m1 = 0;
  let m2 = 0;
  for (let p = 0; p < panels; p++) {
    const lo = p * h;
    const hi = lo + h;
    const half = h / 2;
    for (let k = 0; k < GL.x.length; k++) {
      const theta = lo + half * (1 + GL.x[k]!);
      const survival = (tailRight[p]! + glIntegral(f, theta, hi)) / total; // 1 - F(sin theta)
      const pMaxAbove = -Math.expm1(n * Math.log1p(-survival)); // 1 - F^n
      // t = sin(theta), dt = cos(theta) dtheta; E[M] = int (1-F^n) dt, E[M^2] = int 2t (1-F^n) dt.
      const wdt = GL.w[k]! * half * Math.cos(theta);
      m1 += wdt * pMaxAbove;
      m2 += wdt * pMaxAbove * 2 * Math.sin(theta);
    }
  }
  return { m1, m2 };
}

function checkArgs(d: number, n: number, fn: string): void {
  checkDimension(d, fn);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${fn}: number of latents n (${n}) must be a positive integer`);
}

/** Expected PWMCC of two independent random [n, d] dictionaries: E[max of n |cos|] in R^d. */
export function analyticBaseline(d: number, n: number): number {
  checkArgs(d, n, 'analyticBaseline');
  return maxMoments(d, n).m1;
}

/**
 * Std of one row's max of n |cos| in R^d. The PWMCC itself (a mean of 2n such, correlated, maxima)
 * varies far less; use empiricalBaseline for its spread.
 */
export function analyticBaselineStd(d: number, n: number): number {
  checkArgs(d, n, 'analyticBaselineStd');
  const { m1, m2 } = maxMoments(d, n);
  return Math.sqrt(Math.max(0, m2 - m1 * m1));
}

/** A [rows, cols] dictionary of i.i.d. standard normals (isotropic rows once normalized). */
export function randomDictionary(rows: number, cols: number, rng: Rng): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) {
    throw new Error(`randomDictionary: shape [${rows}, ${cols}] must be two positive integers`);
  }
  return { data: Float32Array.from(rng.normalArray(rows * cols)), rows, cols };
}

/** PWMCC of `trials` independent pairs of random [n, d] dictionaries: the values, mean and sample std. */
export function empiricalBaseline(d: number, n: number, trials: number,
    rng: Rng): { values: number[]; mean: number; std: number } {
  checkArgs(d, n, 'empiricalBaseline');
  if (!Number.isInteger(trials) || trials < 2) {
    throw new Error(`empiricalBaseline: trials (${trials}) must be an integer >= 2`);
  }
  const values: number[] = [];
  for (let t = 0; t < trials; t++) values.push(pwmcc(randomDictionary(n, d, rng), randomDictionary(n, d, rng)));
  return { values, mean: mean(values), std: sampleStd(values) };
}

/**
 * Why untrained decoders can sit above the analytic baseline: PWMCC of `trials` pairs of [n, d]
 * dictionaries with uniform entries (rows uniform in a cube, as Kaiming-uniform draws them) beside
 * `trials` pairs with Gaussian entries (isotropic rows, as the formula assumes), and Welch's test
 * between the two. Uniform rows lean toward the cube's corners and match each other slightly better.
 */
export function initShapeBaselines(d: number, n: number, trials: number, rng: Rng) {
  checkArgs(d, n, 'initShapeBaselines');
  const uniform = (r: Rng): Matrix => ({ data: Float32Array.from(r.uniformArray(n * d, -1, 1)), rows: n, cols: d });
  const draw = (make: (r: Rng) => Matrix, r: Rng) => {
    const values = Array.from({ length: trials }, () => pwmcc(make(r), make(r)));
    return { values, mean: mean(values), std: sampleStd(values) };
  };
  const u = draw(uniform, rng.fork('uniform'));
  const g = draw((r) => randomDictionary(n, d, r), rng.fork('gaussian'));
  return { uniform: u, gaussian: g, welch: welchTTest(u.values, g.values) };
}
