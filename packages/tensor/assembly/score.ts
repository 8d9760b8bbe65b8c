// HUSAI's auxiliary scores, the first half of the fused maskedAbsTopk (src/fused.ts): one pass where the composite
// makes four (abs, 1 - mask, two products). Each element gets the composite's operations in its order, in float32:
// (|x| * (1 - mask)) * scale, so the scores, and the top-k chosen from them, are the composite's bit for bit.

/** out[r, j] = (|x[r, j]| * (1 - mask[r, j])) * scale[r] for rows x n. */
export function maskedAbsScale(x: usize, mask: usize, scale: usize, rows: i32, n: i32, out: usize): void {
  const one = f32x4.splat(1);
  for (let r = 0; r < rows; r++) {
    const s = load<f32>(scale + <usize>r * 4);
    const sv = f32x4.splat(s);
    const o = <usize>r * <usize>n * 4;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const q = o + <usize>j * 4;
      const v = f32x4.mul(f32x4.mul(f32x4.abs(v128.load(x + q)), f32x4.sub(one, v128.load(mask + q))), sv);
      v128.store(out + q, v);
    }
    for (; j < n; j++) {
      const q = o + <usize>j * 4;
      store<f32>(out + q, (abs<f32>(load<f32>(x + q)) * (<f32>1 - load<f32>(mask + q))) * s);
    }
  }
}
