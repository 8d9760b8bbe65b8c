/** Deterministic inputs and bitwise comparisons for the wasm kernel tests (wasm-kernels-*.test.ts). */

/** Tiny deterministic LCG in [-1, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  };
}
/** n LCG values in [-scale, scale), as float32. */
export function randArray(n: number, seed: number, scale = 1): Float32Array {
  const r = lcg(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r() * scale;
  return out;
}
/** True when the two arrays hold the same bits (so NaN == NaN and 0 != -0). */
export function bitsEqual(x: Float32Array, y: Float32Array): boolean {
  if (x.length !== y.length) return false;
  const a = new Uint32Array(x.buffer, x.byteOffset, x.length), b = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
/** First index where two float arrays differ bitwise (NaN == NaN), or -1. */
export function firstDiff(x: Float32Array, y: Float32Array): number {
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!, q = y[i]!;
    if (!(Object.is(p, q) || (Number.isNaN(p) && Number.isNaN(q)))) return i;
  }
  return -1;
}
