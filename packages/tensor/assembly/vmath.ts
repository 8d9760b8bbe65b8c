// Vector (f32x4) special functions for the fused GELU: exp, erfc, and GELU with its derivative, each to a few
// float32 ulps. Pure f32x4 arithmetic in a fixed order, so deterministic.
//
// Written for speed, since GELU runs over the transformer's largest activations: polynomials in Estrin's form
// (short dependency chains), rounding to an integer by adding 1.5 * 2^23, and the constants read from a table
// in memory with one broadcast load each, because V8 rebuilds an inline v128 constant from immediates (three
// instructions) on every loop iteration.

// The constant table: slot names, then the values in the same order.
// @ts-ignore: decorator
@inline const LOG2E = 0;
// @ts-ignore: decorator
@inline const ROUNDER = 1; // 1.5 * 2^23: x + ROUNDER - ROUNDER rounds x to an integer, held in the low mantissa bits
// @ts-ignore: decorator
@inline const LN2_HI = 2; // ln 2 split in two (Cody-Waite) so that x - n ln2 is exact for the n that occur
// @ts-ignore: decorator
@inline const LN2_LO = 3;
// @ts-ignore: decorator
@inline const E0 = 4; // exp's polynomial (Cephes expf), e0 highest
// @ts-ignore: decorator
@inline const ONE = 10;
// @ts-ignore: decorator
@inline const EXP_MIN = 11; // below this exp(x) is under the smallest normal float: flushed to 0
// @ts-ignore: decorator
@inline const HALF = 12;
// @ts-ignore: decorator
@inline const Q0 = 13; // erfc's polynomial (Numerical Recipes' erfcc), q0 lowest
// @ts-ignore: decorator
@inline const ERFC_C = 22;
// @ts-ignore: decorator
@inline const SQRT1_2 = 23;
// @ts-ignore: decorator
@inline const ZERO = 24;
// @ts-ignore: decorator
@inline const MINUS_HALF = 25;
// @ts-ignore: decorator
@inline const INV_SQRT_2PI = 26;

const K: usize = memory.data<f32>([
  1.44269504088896341, 12582912.0, 0.693359375, -2.12194440e-4,
  1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
  1.0, -87.33654, 0.5,
  1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
  1.26551223, 0.70710678118654752, 0.0, -0.5, 0.39894228040143268,
]);

/** The constant in slot i, in every lane. */
// @ts-ignore: decorator
@inline function k(i: i32): v128 {
  return v128.load32_splat(K + <usize>i * 4);
}

/** a * b + c */
// @ts-ignore: decorator
@inline function mad(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(f32x4.mul(a, b), c);
}

/** exp(x) for x <= ~88 (the kernels only ask for x <= 0): Cephes' expf, a degree-5 polynomial on
 *  [-ln2/2, ln2/2] times 2^n built in the exponent bits; relative error under 2 ulps, 0 below EXP_MIN. */
// @ts-ignore: decorator
@inline export function expV(x: v128): v128 {
  const t = mad(x, k(LOG2E), k(ROUNDER));
  const n = f32x4.sub(t, k(ROUNDER)); // round(x / ln 2); t's low bits hold it as an integer
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, k(LN2_HI))), f32x4.mul(n, k(LN2_LO)));
  const r2 = f32x4.mul(r, r);
  // p(r) = e5 + e4 r + e3 r^2 + e2 r^3 + e1 r^4 + e0 r^5
  const p = f32x4.add(f32x4.add(mad(k(E0 + 4), r, k(E0 + 5)), f32x4.mul(mad(k(E0 + 2), r, k(E0 + 3)), r2)),
    f32x4.mul(mad(k(E0), r, k(E0 + 1)), f32x4.mul(r2, r2)));
  const y = f32x4.add(f32x4.mul(p, r2), f32x4.add(r, k(ONE)));
  // 2^n: n + 127 in the exponent field. Lanes below EXP_MIN (where this overflows) are masked to 0.
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127 - 0x4B400000)), 23);
  return v128.andnot(f32x4.mul(y, scale), f32x4.lt(x, k(EXP_MIN)));
}

/** erfc(z) for z >= 0 to a relative error below 1.2e-7 (Numerical Recipes' Chebyshev-fitted erfcc):
 *  t exp(-z^2 - 1.26551223 + t Q(t)) with t = 1 / (1 + z/2) and Q of degree 8. */
// @ts-ignore: decorator
@inline export function erfcV(z: v128): v128 {
  const t = f32x4.div(k(ONE), mad(k(HALF), z, k(ONE)));
  const t2 = f32x4.mul(t, t);
  const t4 = f32x4.mul(t2, t2);
  const q03 = mad(mad(k(Q0 + 3), t, k(Q0 + 2)), t2, mad(k(Q0 + 1), t, k(Q0)));
  const q47 = mad(mad(k(Q0 + 7), t, k(Q0 + 6)), t2, mad(k(Q0 + 5), t, k(Q0 + 4)));
  const q = mad(k(Q0 + 8), f32x4.mul(t4, t4), mad(q47, t4, q03));
  const arg = f32x4.add(f32x4.sub(f32x4.neg(f32x4.mul(z, z)), k(ERFC_C)), f32x4.mul(t, q));
  return f32x4.mul(t, expV(arg));
}

/** Phi(x), the standard normal CDF: erfc(|x| / sqrt 2) / 2 below 0, 1 minus that above (so no cancellation
 *  in the negative tail, where GELU is small). */
// @ts-ignore: decorator
@inline function phiV(x: v128): v128 {
  const half = f32x4.mul(k(HALF), erfcV(f32x4.mul(f32x4.abs(x), k(SQRT1_2))));
  return v128.bitselect(half, f32x4.sub(k(ONE), half), f32x4.lt(x, k(ZERO)));
}

/** The exact GELU, x Phi(x). */
// @ts-ignore: decorator
@inline export function geluV(x: v128): v128 {
  return f32x4.mul(x, phiV(x));
}

/** d/dx of the exact GELU: Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi). */
// @ts-ignore: decorator
@inline export function geluDerivV(x: v128): v128 {
  const density = f32x4.mul(expV(f32x4.mul(k(MINUS_HALF), f32x4.mul(x, x))), k(INV_SQRT_2PI));
  return f32x4.add(phiV(x), f32x4.mul(x, density));
}
