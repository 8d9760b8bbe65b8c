/** Scalar special functions in float64, for the reference backend and the tests. */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * The error function to about 1e-14, since JavaScript has no Math.erf.
 * Taylor series below |x| = 2.5, the continued fraction of erfc above it.
 * `erf(1) ≈ 0.8427007929497149`.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
  let t = ax;
  for (let n = 80; n >= 1; n--) t = ax + n / 2 / t;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / t;
  return Math.sign(x) * (1 - erfc);
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The exact GELU, x * Phi(x): `gelu(1) ≈ 0.8413447460685429`. */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

/** d/dx of the exact GELU: Phi(x) + x * phi(x). */
export function geluDeriv(x: number): number {
  return 0.5 * (1 + erf(x * Math.SQRT1_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
