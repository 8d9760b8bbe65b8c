// Layer normalisation over rows of d floats, forward and backward (the fused primitives of nn/functional.ts).
// Row statistics are f32 sums in four lanes combined in a fixed order: deterministic, and two-pass (mean first,
// then squared deviations) so that rows with a large mean keep their variance.
import { hsum } from './simd';

/** sum of d floats at p */
// @ts-ignore: decorator
@inline function rowSum(p: usize, d: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let c = 0;
  for (; c + 8 <= d; c += 8) {
    a0 = f32x4.add(a0, v128.load(p + <usize>c * 4));
    a1 = f32x4.add(a1, v128.load(p + <usize>c * 4, 16));
  }
  let s = hsum(f32x4.add(a0, a1));
  for (; c < d; c++) s += load<f32>(p + <usize>c * 4);
  return s;
}

/** 1 / sqrt(mean((x - mean)^2) + eps) for the row of d floats at p. */
// @ts-ignore: decorator
@inline function rowRstd(p: usize, d: i32, mean: f32, eps: f32): f32 {
  const m = f32x4.splat(mean);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let c = 0;
  for (; c + 8 <= d; c += 8) {
    const u = f32x4.sub(v128.load(p + <usize>c * 4), m);
    const w = f32x4.sub(v128.load(p + <usize>c * 4, 16), m);
    a0 = f32x4.add(a0, f32x4.mul(u, u));
    a1 = f32x4.add(a1, f32x4.mul(w, w));
  }
  let s = hsum(f32x4.add(a0, a1));
  for (; c < d; c++) {
    const u = load<f32>(p + <usize>c * 4) - mean;
    s += u * u;
  }
  return <f32>1 / Mathf.sqrt(s / <f32>d + eps);
}

/** out[r, :] = (x[r, :] - mean) * rstd for each of rows rows of d floats. */
export function layerNorm(x: usize, out: usize, rows: i32, d: i32, eps: f32): void {
  const row = <usize>d * 4;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * row, orow = out + <usize>r * row;
    const mean = rowSum(xr, d) / <f32>d;
    const rstd = rowRstd(xr, d, mean, eps);
    const m = f32x4.splat(mean), s = f32x4.splat(rstd);
    let c = 0;
    for (; c + 4 <= d; c += 4) v128.store(orow + <usize>c * 4, f32x4.mul(f32x4.sub(v128.load(xr + <usize>c * 4), m), s));
    for (; c < d; c++) store<f32>(orow + <usize>c * 4, (load<f32>(xr + <usize>c * 4) - mean) * rstd);
  }
}

/** The gradient of layerNorm for output gradient g: out = (g - mean(g) - y mean(g y)) rstd, y the normalised x. */
export function layerNormGrad(x: usize, g: usize, out: usize, rows: i32, d: i32, eps: f32): void {
  const row = <usize>d * 4;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * row, gr = g + <usize>r * row, orow = out + <usize>r * row;
    const mean = rowSum(xr, d) / <f32>d;
    const rstd = rowRstd(xr, d, mean, eps);
    const m = f32x4.splat(mean), s = f32x4.splat(rstd);
    // mean(g) and mean(g y) in one pass.
    let g0 = f32x4.splat(0), gy0 = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= d; c += 4) {
      const gv = v128.load(gr + <usize>c * 4);
      g0 = f32x4.add(g0, gv);
      gy0 = f32x4.add(gy0, f32x4.mul(gv, f32x4.mul(f32x4.sub(v128.load(xr + <usize>c * 4), m), s)));
    }
    let gSum = hsum(g0), gySum = hsum(gy0);
    for (; c < d; c++) {
      const gv = load<f32>(gr + <usize>c * 4);
      gSum += gv;
      gySum += gv * ((load<f32>(xr + <usize>c * 4) - mean) * rstd);
    }
    const gMean = gSum / <f32>d, gyMean = gySum / <f32>d;
    const gm = f32x4.splat(gMean), gym = f32x4.splat(gyMean);
    c = 0;
    for (; c + 4 <= d; c += 4) {
      const y = f32x4.mul(f32x4.sub(v128.load(xr + <usize>c * 4), m), s);
      const v = f32x4.sub(f32x4.sub(v128.load(gr + <usize>c * 4), gm), f32x4.mul(y, gym));
      v128.store(orow + <usize>c * 4, f32x4.mul(v, s));
    }
    for (; c < d; c++) {
      const y = (load<f32>(xr + <usize>c * 4) - mean) * rstd;
      store<f32>(orow + <usize>c * 4, (load<f32>(gr + <usize>c * 4) - gMean - y * gyMean) * rstd);
    }
  }
}
