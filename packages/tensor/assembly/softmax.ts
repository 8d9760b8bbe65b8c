// softmax over rows of n floats, forward and backward (the fused primitives of nn/functional.ts).
// Sums run over four lanes combined in a fixed order: deterministic.
import { hsum, loadTail, storeTail } from './simd';
import { expV } from './vmath';

/** The largest of n floats at p; NaN if any is NaN (as the reference's max). */
// @ts-ignore: decorator
@inline function rowMax(p: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let c = 0;
  for (; c + 4 <= n; c += 4) m = f32x4.max(m, v128.load(p + <usize>c * 4));
  const h = f32x4.max(m, i32x4.shuffle(m, m, 2, 3, 0, 1));
  let s = max<f32>(f32x4.extract_lane(h, 0), f32x4.extract_lane(h, 1));
  for (; c < n; c++) s = max<f32>(s, load<f32>(p + <usize>c * 4));
  return s;
}

/** out[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)) for each of rows rows of n floats. */
export function softmax(x: usize, out: usize, rows: i32, n: i32): void {
  const row = <usize>n * 4;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * row, orow = out + <usize>r * row;
    const m = f32x4.splat(rowMax(xr, n));
    // e = exp(x - max), kept in out, and its sum.
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= n; c += 4) {
      const e = expV(f32x4.sub(v128.load(xr + <usize>c * 4), m));
      v128.store(orow + <usize>c * 4, e);
      acc = f32x4.add(acc, e);
    }
    let sum = hsum(acc);
    if (c < n) {
      const e = expV(f32x4.sub(loadTail(xr + <usize>c * 4, n - c), m));
      storeTail(orow + <usize>c * 4, e, n - c);
      for (let l = c; l < n; l++) sum += load<f32>(orow + <usize>l * 4);
    }
    const s = f32x4.splat(sum);
    c = 0;
    for (; c + 4 <= n; c += 4) v128.store(orow + <usize>c * 4, f32x4.div(v128.load(orow + <usize>c * 4), s));
    for (; c < n; c++) store<f32>(orow + <usize>c * 4, load<f32>(orow + <usize>c * 4) / sum);
  }
}

/** softmax's gradient from its output y and the output gradient g: out = y * (g - sum(g * y)) per row. */
export function softmaxGrad(y: usize, g: usize, out: usize, rows: i32, n: i32): void {
  const row = <usize>n * 4;
  for (let r = 0; r < rows; r++) {
    const yr = y + <usize>r * row, gr = g + <usize>r * row, orow = out + <usize>r * row;
    let acc = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= n; c += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(gr + <usize>c * 4), v128.load(yr + <usize>c * 4)));
    let dot = hsum(acc);
    for (; c < n; c++) dot += load<f32>(gr + <usize>c * 4) * load<f32>(yr + <usize>c * 4);
    const d = f32x4.splat(dot);
    c = 0;
    for (; c + 4 <= n; c += 4) {
      const q = <usize>c * 4;
      v128.store(orow + q, f32x4.mul(v128.load(yr + q), f32x4.sub(v128.load(gr + q), d)));
    }
    for (; c < n; c++) store<f32>(orow + <usize>c * 4, load<f32>(yr + <usize>c * 4) * (load<f32>(gr + <usize>c * 4) - dot));
  }
}
