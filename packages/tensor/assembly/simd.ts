// Small SIMD helpers shared by the kernels.

/** Lanes 0..m-1 (m = 1..3) of a vector read from p, the rest 0: lets a loop's last partial vector go through
 *  the same vector arithmetic as the full ones, so tails give bit-identical results. */
// @ts-ignore: decorator
@inline export function loadTail(p: usize, m: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (m > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (m > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores lanes 0..m-1 (m = 1..3) of v at p. */
// @ts-ignore: decorator
@inline export function storeTail(p: usize, v: v128, m: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (m > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (m > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** The sum of the four lanes, in the fixed order (l0 + l2) + (l1 + l3). */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  const h = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1);
}
