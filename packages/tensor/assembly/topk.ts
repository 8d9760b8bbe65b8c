// Top-k per row: the column indices (and values) of the k largest entries of each row, largest first; equal
// values keep the lower index first; NaN counts as larger than any number.
//
// The fast path (threshold, below) handles rows without NaN when n >= 4k; the heap path handles the rest.
// Both give exactly the same answer: the order is a strict total order on (value, index).

import { claim, waitFor } from './sync';
import { topkHeap } from './topk-heap';

/** Rows per unit of work in topkShared. */
// @ts-ignore: decorator
@inline const TOPK_UNIT_ROWS = 4;

/** Byte shuffles that move the lanes selected by a 4-bit mask to the front of a vector (entry = mask). */
const PACK: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0,
  12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0,
  8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
], 16);

/** Evenly spaced cuts the bisection of step 3 chooses from. */
// @ts-ignore: decorator
@inline const BUCKETS = 64;

/** The largest of the four lanes. */
// @ts-ignore: decorator
@inline function hmax(v: v128): f32 {
  const h = f32x4.pmax(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return max<f32>(f32x4.extract_lane(h, 0), f32x4.extract_lane(h, 1));
}

/** The smallest of the four lanes. */
// @ts-ignore: decorator
@inline function hmin(v: v128): f32 {
  const h = f32x4.pmin(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return min<f32>(f32x4.extract_lane(h, 0), f32x4.extract_lane(h, 1));
}

/** The lane offsets (as i32) of the lanes selected by a 4-bit mask, moved to the front (entry = mask). */
const LANES: usize = memory.data<i32>([
  0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0,
  2, 0, 0, 0, 0, 2, 0, 0, 1, 2, 0, 0, 0, 1, 2, 0,
  3, 0, 0, 0, 0, 3, 0, 0, 1, 3, 0, 0, 0, 1, 3, 0,
  2, 3, 0, 0, 0, 2, 3, 0, 1, 2, 3, 0, 0, 1, 2, 3,
], 16);

/** The sum of the four i32 lanes. */
// @ts-ignore: decorator
@inline function hsum(v: v128): i32 {
  const h = i32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return i32x4.extract_lane(h, 0) + i32x4.extract_lane(h, 1);
}

/** The threshold path for one row; returns false, having written nothing useful, if the row holds a NaN.
 *  cv, ci: scratch for n + 4 values and indices. */
function topkThreshold(row: usize, n: i32, k: i32, hv: usize, hi: usize, cv: usize, ci: usize): bool {
  // 1. The threshold (pmax ignores NaN, so NaN is looked for separately).
  const V = n >> 2, A = (k + 3) >> 2;
  let t: f32 = Infinity, top: f32 = -Infinity;
  let nan = f32x4.splat(0);
  for (let a = 0; a < A; a++) {
    const j1 = (a + 1) * V / A;
    let j = a * V / A;
    let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
    for (; j + 4 <= j1; j += 4) {
      const p = row + <usize>j * 16;
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      m0 = f32x4.pmax(m0, v0); m1 = f32x4.pmax(m1, v1); m2 = f32x4.pmax(m2, v2); m3 = f32x4.pmax(m3, v3);
      nan = v128.or(nan, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
    }
    for (; j < j1; j++) {
      const v = v128.load(row + <usize>j * 16);
      m0 = f32x4.pmax(m0, v);
      nan = v128.or(nan, f32x4.ne(v, v));
    }
    const m = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
    t = min<f32>(t, hmin(m));
    top = max<f32>(top, hmax(m));
  }
  for (let j = V << 2; j < n; j++) {
    const x = load<f32>(row + <usize>j * 4);
    if (x != x) return false;
    top = max<f32>(top, x);
  }
  if (v128.any_true(nan)) return false;

  // 2. Pack the elements >= t.
  const T = f32x4.splat(t), FOUR = i32x4.splat(4);
  let c = 0;
  let j = 0;
  let iv = i32x4.splat(0); // 4j in every lane
  for (; j + 4 <= V; j += 4) {
    const p = row + <usize>j * 16;
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    const b0 = i32x4.bitmask(f32x4.ge(v0, T)), b1 = i32x4.bitmask(f32x4.ge(v1, T));
    const b2 = i32x4.bitmask(f32x4.ge(v2, T)), b3 = i32x4.bitmask(f32x4.ge(v3, T));
    v128.store(cv + <usize>c * 4, i8x16.swizzle(v0, v128.load(PACK + <usize>b0 * 16)));
    v128.store(ci + <usize>c * 4, i32x4.add(iv, v128.load(LANES + <usize>b0 * 16)));
    c += popcnt<i32>(b0);
    iv = i32x4.add(iv, FOUR);
    v128.store(cv + <usize>c * 4, i8x16.swizzle(v1, v128.load(PACK + <usize>b1 * 16)));
    v128.store(ci + <usize>c * 4, i32x4.add(iv, v128.load(LANES + <usize>b1 * 16)));
    c += popcnt<i32>(b1);
    iv = i32x4.add(iv, FOUR);
    v128.store(cv + <usize>c * 4, i8x16.swizzle(v2, v128.load(PACK + <usize>b2 * 16)));
    v128.store(ci + <usize>c * 4, i32x4.add(iv, v128.load(LANES + <usize>b2 * 16)));
    c += popcnt<i32>(b2);
    iv = i32x4.add(iv, FOUR);
    v128.store(cv + <usize>c * 4, i8x16.swizzle(v3, v128.load(PACK + <usize>b3 * 16)));
    v128.store(ci + <usize>c * 4, i32x4.add(iv, v128.load(LANES + <usize>b3 * 16)));
    c += popcnt<i32>(b3);
    iv = i32x4.add(iv, FOUR);
  }
  for (; j < V; j++) {
    const v = v128.load(row + <usize>j * 16);
    const b = i32x4.bitmask(f32x4.ge(v, T));
    v128.store(cv + <usize>c * 4, i8x16.swizzle(v, v128.load(PACK + <usize>b * 16)));
    v128.store(ci + <usize>c * 4, i32x4.add(iv, v128.load(LANES + <usize>b * 16)));
    c += popcnt<i32>(b);
    iv = i32x4.add(iv, FOUR);
  }
  for (j = V << 2; j < n; j++) {
    const x = load<f32>(row + <usize>j * 4);
    if (x >= t) {
      store<f32>(cv + <usize>c * 4, x);
      store<i32>(ci + <usize>c * 4, j);
      c++;
    }
  }

  // 3. Narrow them down: bisect for a cut u >= t that still leaves at least k of them >= u.
  const c4 = (c + 3) & ~3;
  for (let i = c; i < c4; i++) store<f32>(cv + <usize>i * 4, -Infinity); // never >= any cut
  const d = (top - t) * (<f32>1 / <f32>BUCKETS);
  if (c > k + 4 && top > t && d > 0 && d < Infinity) {
    let f = 0, u = t;
    for (let step = BUCKETS >> 1; step > 0; step >>= 1) {
      const w = t + d * <f32>(f + step), W = f32x4.splat(w);
      let cnt = i32x4.splat(0);
      for (let i = 0; i < c4; i += 4) cnt = i32x4.sub(cnt, f32x4.ge(v128.load(cv + <usize>i * 4), W));
      const ok = hsum(cnt) >= k;
      f = select<i32>(f + step, f, ok);
      u = select<f32>(w, u, ok);
    }
    const U = f32x4.splat(u);
    let kept = 0;
    for (let i = 0; i < c4; i += 4) {
      const v = v128.load(cv + <usize>i * 4);
      const bits = i32x4.bitmask(f32x4.ge(v, U));
      const shuffle = v128.load(PACK + <usize>bits * 16);
      const ix = v128.load(ci + <usize>i * 4);
      v128.store(cv + <usize>kept * 4, i8x16.swizzle(v, shuffle));
      v128.store(ci + <usize>kept * 4, i8x16.swizzle(ix, shuffle));
      kept += popcnt<i32>(bits);
    }
    c = kept;
  }

  // 4. Keep the best k of them.
  if (c <= 2 * k) {
    // The rank of each candidate: those before it (lower index) that are >= it and those after it that are >.
    // Four candidates at a time.
    const cb = (c + 3) & ~3;
    for (let i = c; i < cb; i++) store<f32>(cv + <usize>i * 4, -Infinity); // after all: never counted
    for (let ib = 0; ib < cb; ib += 4) {
      const vi = v128.load(cv + <usize>ib * 4);
      let n0 = i32x4.splat(0), n1 = n0;
      let jj = 0;
      for (; jj + 2 <= ib; jj += 2) {
        n0 = i32x4.sub(n0, f32x4.ge(v128.load32_splat(cv + <usize>jj * 4), vi));
        n1 = i32x4.sub(n1, f32x4.ge(v128.load32_splat(cv + <usize>jj * 4, 4), vi));
      }
      const p = cv + <usize>ib * 4;
      const x0 = v128.load32_splat(p), x1 = v128.load32_splat(p, 4), x2 = v128.load32_splat(p, 8);
      const x3 = v128.load32_splat(p, 12);
      n0 = i32x4.sub(n0, v128.bitselect(f32x4.ge(x0, vi), f32x4.gt(x0, vi), i32x4(0, -1, -1, -1)));
      n1 = i32x4.sub(n1, v128.bitselect(f32x4.ge(x1, vi), f32x4.gt(x1, vi), i32x4(0, 0, -1, -1)));
      n0 = i32x4.sub(n0, v128.bitselect(f32x4.ge(x2, vi), f32x4.gt(x2, vi), i32x4(0, 0, 0, -1)));
      n1 = i32x4.sub(n1, f32x4.gt(x3, vi));
      for (jj = ib + 4; jj + 2 <= cb; jj += 2) {
        n0 = i32x4.sub(n0, f32x4.gt(v128.load32_splat(cv + <usize>jj * 4), vi));
        n1 = i32x4.sub(n1, f32x4.gt(v128.load32_splat(cv + <usize>jj * 4, 4), vi));
      }
      const r = i32x4.add(n0, n1);
      const r0 = i32x4.extract_lane(r, 0), r1 = i32x4.extract_lane(r, 1);
      const r2 = i32x4.extract_lane(r, 2), r3 = i32x4.extract_lane(r, 3);
      const q = ci + <usize>ib * 4;
      if (r0 < k) { store<f32>(hv + <usize>r0 * 4, f32x4.extract_lane(vi, 0)); store<i32>(hi + <usize>r0 * 4, load<i32>(q)); }
      if (r1 < k && ib + 1 < c) { store<f32>(hv + <usize>r1 * 4, f32x4.extract_lane(vi, 1)); store<i32>(hi + <usize>r1 * 4, load<i32>(q, 4)); }
      if (r2 < k && ib + 2 < c) { store<f32>(hv + <usize>r2 * 4, f32x4.extract_lane(vi, 2)); store<i32>(hi + <usize>r2 * 4, load<i32>(q, 8)); }
      if (r3 < k && ib + 3 < c) { store<f32>(hv + <usize>r3 * 4, f32x4.extract_lane(vi, 3)); store<i32>(hi + <usize>r3 * 4, load<i32>(q, 12)); }
    }
    return true;
  }
  let size = 0;
  let cut = t; // enter iff x > cut once the list is full
  for (let i = 0; i < c; i++) {
    const x = load<f32>(cv + <usize>i * 4);
    if (size < k || x > cut) {
      let pos = size < k ? size : k - 1;
      while (pos > 0 && x > load<f32>(hv + <usize>(pos - 1) * 4)) {
        store<f32>(hv + <usize>pos * 4, load<f32>(hv + <usize>(pos - 1) * 4));
        store<i32>(hi + <usize>pos * 4, load<i32>(hi + <usize>(pos - 1) * 4));
        pos--;
      }
      store<f32>(hv + <usize>pos * 4, x);
      store<i32>(hi + <usize>pos * 4, load<i32>(ci + <usize>i * 4));
      size = size < k ? size + 1 : k;
      if (size == k) cut = load<f32>(hv + <usize>(k - 1) * 4);
    }
  }
  return true;
}


/** Rows of x [rows, n]: the k best values (best first) into values [rows, k] and their column indices, as
 *  float32 integers, into indices [rows, k]. scratch: room for 2 (n + 4) floats (the caller gives
 *  2 (n + 4) + 64). */
export function topk(x: usize, rows: i32, n: i32, k: i32, values: usize, indices: usize, scratch: usize): void {
  if (k <= 0) return;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * <usize>n * 4;
    const hv = values + <usize>r * <usize>k * 4;
    const hi = indices + <usize>r * <usize>k * 4;
    const cv = scratch, ci = cv + <usize>(n + 4) * 4;
    if (n < 4 * k || !topkThreshold(row, n, k, hv, hi, cv, ci)) topkHeap(row, n, k, hv, hi);
    let j = 0;
    for (; j + 4 <= k; j += 4) v128.store(hi + <usize>j * 4, f32x4.convert_i32x4_s(v128.load(hi + <usize>j * 4)));
    for (; j < k; j++) store<f32>(hi + <usize>j * 4, <f32>load<i32>(hi + <usize>j * 4));
  }
}

/** topk() shared between the threads of one call (sync.ts): rows are claimed in units of TOPK_UNIT_ROWS, and
 *  each thread passes its own scratch. Rows are independent, so who computes a row never changes it. Returns
 *  the number of units this thread computed. */
export function topkShared(x: usize, rows: i32, n: i32, k: i32, values: usize, indices: usize, scratch: usize,
  ctrl: usize): i32 {
  waitFor(ctrl + 192, 1);
  const U = (rows + TOPK_UNIT_ROWS - 1) / TOPK_UNIT_ROWS;
  let units = 0;
  for (let u = claim(ctrl + 128); u < U; u = claim(ctrl + 128)) {
    const r = u * TOPK_UNIT_ROWS;
    const off = <usize>r * <usize>k * 4;
    topk(x + <usize>r * <usize>n * 4, min(TOPK_UNIT_ROWS, rows - r), n, k, values + off, indices + off, scratch);
    units++;
  }
  return units;
}
