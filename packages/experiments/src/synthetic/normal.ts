/**
 * The standard normal CDF and its inverse, needed by the Gaussian copula of the synthetic data
 * (a feature fires when its latent normal falls below the quantile of its firing probability).
 *
 * References: M. J. Wichura 1988, "Algorithm AS 241: The Percentage Points of the Normal
 * Distribution", Applied Statistics 37(3), 477-484 (PPND16, relative error about 1e-16);
 * J. F. Hart et al. 1968, "Computer Approximations" (algorithm 5666), in the double-precision
 * form of G. West 2005, "Better approximations to cumulative normal functions" (absolute error
 * about 1e-15; relative error in the far tail up to ~1e-8 at |x| = 8, harmless for probabilities).
 */

// AS 241 PPND16: rational approximations in three regions of p (the coefficients as published).
const A = [
  3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
  45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727,
];
const B = [
  1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
  21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561,
];
const C = [
  1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
  1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4,
];
const D = [
  1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
  0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9,
];
const E = [
  6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.2965605718285048912,
  0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
];
const F = [
  1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
  7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15,
];

/** sum_k c[k] x^k (Horner). */
function poly(c: readonly number[], x: number): number {
  let s = 0;
  for (let k = c.length - 1; k >= 0; k--) s = s * x + c[k]!;
  return s;
}

/**
 * Phi^{-1}(p), the standard normal quantile (AS 241), for p in [0, 1]: -Infinity at 0, Infinity at 1.
 *   normalQuantile(0.975); // 1.959963984540054
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`normalQuantile: p (${p}) must be in [0, 1]`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly(A, r)) / poly(B, r);
  }
  // The tails: r = sqrt(-log(min(p, 1 - p))), two rational fits in r; the sign follows q.
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = poly(C, r) / poly(D, r);
  } else {
    r -= 5;
    x = poly(E, r) / poly(F, r);
  }
  return q < 0 ? -x : x;
}

// Hart 5666 as given by West 2005: a rational fit times the density below 7.07, a continued fraction above.
const HART_P = [
  220.206867912376, 221.213596169931, 112.079291497871, 33.912866078383,
  6.37396220353165, 0.700383064443688, 0.0352624965998911,
];
const HART_Q = [
  440.413735824752, 793.826512519948, 637.333633378831, 296.564248779674,
  86.7807322029461, 16.064177579207, 1.75566716318264, 0.0883883476483184,
];

/**
 * Phi(x) = P(Z <= x) for a standard normal Z (Hart 5666). The smaller tail is computed and the
 * other is 1 minus it, so Phi(-x) = 1 - Phi(x) holds to rounding.
 *   normalCdf(1.959963984540054); // 0.975
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) throw new Error('normalCdf: x is NaN');
  const ax = Math.abs(x);
  let tail: number; // P(Z > |x|)
  if (ax > 37) {
    tail = 0;
  } else if (ax < 7.07106781186547) {
    tail = (Math.exp(-0.5 * ax * ax) * poly(HART_P, ax)) / poly(HART_Q, ax);
  } else {
    const cf = ax + 1 / (ax + 2 / (ax + 3 / (ax + 4 / (ax + 0.65))));
    tail = Math.exp(-0.5 * ax * ax) / cf / 2.506628274631;
  }
  return x > 0 ? 1 - tail : tail;
}
