/**
 * Scalar functions the kernels call, in the JavaScript subset gpu.js compiles to GLSL (and to
 * WebAssembly or plain JavaScript in its other modes).
 *
 * Kernels and these functions are written as source text, not as functions whose text gpu.js
 * would read back with `toString()`: a bundler's minifier rewrites function bodies (`true` to
 * `!0`, `if` to `&&`) into forms gpu.js cannot parse, while a string reaches it as written.
 *
 * Inside a shader every number is a float32, so integer arithmetic (indices) is exact only
 * below 2^24, and a float division can land one below a whole quotient: `idiv` corrects that.
 * GLSL has no erf, and the tanh gpu.js supplies overflows to NaN beyond |x| = 44, so both are
 * written here, accurate to float32.
 */

/** floor(x / y) for non-negative integers held in floats, exactly. */
const idiv = `function idiv(x, y) {
  let q = Math.floor(x / y);
  if (q * y > x) { q = q - 1; }
  if ((q + 1) * y <= x) { q = q + 1; }
  return q;
}`;

/** tanh without overflow: (1 - e^-2|x|) / (1 + e^-2|x|), and its series near 0 where 1 - e cancels. */
const tanhf = `function tanhf(x) {
  const ax = Math.abs(x);
  let t = 0;
  if (ax < 0.0625) {
    const x2 = x * x;
    t = ax * (1 - x2 * (0.3333333333333333 - x2 * 0.13333333333333333));
  } else {
    const e = Math.exp(-2 * ax);
    t = (1 - e) / (1 + e);
  }
  if (x < 0) { t = -t; }
  return t;
}`;

/** erfc(z) for z >= 0 to a relative 1.2e-7 (Numerical Recipes' Chebyshev fit `erfcc`). */
const erfcPositive = `function erfcPositive(z) {
  const t = 1 / (1 + 0.5 * z);
  return t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}`;

/** erfc for any sign: erfc(-z) = 2 - erfc(z). */
const erfcf = `function erfcf(x) {
  if (x < 0) { return 2 - erfcPositive(-x); }
  return erfcPositive(x);
}`;

/** erf: its Taylor series below |x| = 0.5 (where 1 - erfc loses digits), 1 - erfc above. */
const erff = `function erff(x) {
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const x2 = x * x;
    return 1.1283791670955126 * x * (1 - x2 * (0.3333333333333333 - x2 * (0.1 - x2 * (0.023809523809523808
      - x2 * (0.004629629629629629 - x2 * 0.0007575757575757576)))));
  }
  let r = 1 - erfcPositive(ax);
  if (x < 0) { r = -r; }
  return r;
}`;

/** The exact GELU x * Phi(x), with Phi(x) = erfc(-x / sqrt 2) / 2 (no cancellation for x < 0). */
const geluf = `function geluf(x) {
  return 0.5 * x * erfcf(-0.7071067811865476 * x);
}`;

/** d/dx of the exact GELU: Phi(x) + x * phi(x). */
const geluDerivf = `function geluDerivf(x) {
  return 0.5 * erfcf(-0.7071067811865476 * x) + x * 0.3989422804014327 * Math.exp(-0.5 * x * x);
}`;

/**
 * For top-k (topk.ts): 1 if entry (va, ia) sorts before (vb, ib): larger value first, then lower index;
 * missing entries (index -1) last.
 */
const precedes = `function precedes(va, ia, vb, ib) {
  if (ib < 0) {
    if (ia < 0) { return 0; }
    return 1;
  }
  if (ia < 0) { return 0; }
  if (va > vb || (va == vb && ia < ib)) { return 1; }
  return 0;
}`;

/** Every function, registered once with gpu.js; each shader includes only those it calls. */
export const GPU_FUNCTIONS = [idiv, tanhf, erfcPositive, erfcf, erff, geluf, geluDerivf, precedes];
