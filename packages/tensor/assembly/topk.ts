// Top-k per row: the column indices (and values) of the k largest entries of each row, largest first; equal
// values keep the lower index first; NaN counts as larger than any number.
//
// The fast path (threshold, below) handles rows without NaN when n >= 4k; the heap path handles the rest.
// Both give exactly the same answer: the order is a strict total order on (value, index).

import { claim, waitFor } from './sync';

/** Rows per unit of work in topkShared. */
// @ts-ignore: decorator
@inline const TOPK_UNIT_ROWS = 8;

// @ts-ignore: decorator
@inline function better(va: f32, ia: i32, vb: f32, ib: i32): bool {
  if (va != va) return vb != vb ? ia < ib : true;
  if (vb != vb) return false;
  return va > vb || (va == vb && ia < ib);
}

function siftDown(hv: usize, hi: usize, start: i32, size: i32): void {
  let pos = start;
  const v = load<f32>(hv + <usize>pos * 4);
  const id = load<i32>(hi + <usize>pos * 4);
  while (true) {
    let child = 2 * pos + 1;
    if (child >= size) break;
    let cv = load<f32>(hv + <usize>child * 4);
    let ci = load<i32>(hi + <usize>child * 4);
    if (child + 1 < size) {
      const rv = load<f32>(hv + <usize>(child + 1) * 4);
      const ri = load<i32>(hi + <usize>(child + 1) * 4);
      if (better(cv, ci, rv, ri)) { child++; cv = rv; ci = ri; } // pick the worse child
    }
    if (!better(v, id, cv, ci)) break; // v is already worse than (or equal to) its worse child
    store<f32>(hv + <usize>pos * 4, cv);
    store<i32>(hi + <usize>pos * 4, ci);
    pos = child;
  }
  store<f32>(hv + <usize>pos * 4, v);
  store<i32>(hi + <usize>pos * 4, id);
}

function siftUp(hv: usize, hi: usize, pos0: i32): void {
  let pos = pos0;
  const v = load<f32>(hv + <usize>pos * 4);
  const id = load<i32>(hi + <usize>pos * 4);
  while (pos > 0) {
    const parent = (pos - 1) >> 1;
    const pv = load<f32>(hv + <usize>parent * 4);
    const pi = load<i32>(hi + <usize>parent * 4);
    if (!better(pv, pi, v, id)) break; // parent already worse
    store<f32>(hv + <usize>pos * 4, pv);
    store<i32>(hi + <usize>pos * 4, pi);
    pos = parent;
  }
  store<f32>(hv + <usize>pos * 4, v);
  store<i32>(hi + <usize>pos * 4, id);
}

/** The heap path: a binary min-heap of the k best (value, index) pairs seen so far (root = worst), kept in the
 *  row's own output slots (indices as i32), then heap-sorted into best-first order. */
function topkHeap(row: usize, n: i32, k: i32, hv: usize, hi: usize): void {
  for (let j = 0; j < k; j++) {
    store<f32>(hv + <usize>j * 4, load<f32>(row + <usize>j * 4));
    store<i32>(hi + <usize>j * 4, j);
    siftUp(hv, hi, j);
  }
  let t = load<f32>(hv); // worst kept value; a later element enters iff it is > t (or NaN while t is not)
  let j = k;
  if (t == t) {
    // Skip 4 at a time while none of them can enter.
    for (; j + 4 <= n; j += 4) {
      const v = v128.load(row + <usize>j * 4);
      if (!v128.any_true(v128.or(f32x4.gt(v, f32x4.splat(t)), f32x4.ne(v, v)))) continue;
      for (let jj = j; jj < j + 4; jj++) {
        const xv = load<f32>(row + <usize>jj * 4);
        if (xv > t || (xv != xv && t == t)) {
          store<f32>(hv, xv);
          store<i32>(hi, jj);
          siftDown(hv, hi, 0, k);
          t = load<f32>(hv);
        }
      }
    }
    for (; j < n; j++) {
      const xv = load<f32>(row + <usize>j * 4);
      if (xv > t || (xv != xv && t == t)) {
        store<f32>(hv, xv);
        store<i32>(hi, j);
        siftDown(hv, hi, 0, k);
        t = load<f32>(hv);
      }
    }
  }
  // Heap sort: repeatedly move the worst to the end -> best-first order.
  for (let end = k - 1; end > 0; end--) {
    const v0 = load<f32>(hv), i0 = load<i32>(hi);
    store<f32>(hv, load<f32>(hv + <usize>end * 4));
    store<i32>(hi, load<i32>(hi + <usize>end * 4));
    store<f32>(hv + <usize>end * 4, v0);
    store<i32>(hi + <usize>end * 4, i0);
    siftDown(hv, hi, 0, end);
  }
}

// The threshold path, for rows without NaN and n >= 4k:
//  1. A threshold t with at least k elements >= t: split the row's vectors into A = ceil(k / 4) runs, so that
//     the lanes of the runs are 4A >= k disjoint groups of elements; each group's maximum is >= the smallest of
//     them, t. So the k-th largest value is >= t, and every element below t can be dropped. For typical rows
//     only a few times k elements survive (at worst all do, and the path is merely slower).
//  2. The survivors are packed, in index order and without branches, into a scratch list (values, indices):
//     one compare, a 4-bit lane mask and a byte shuffle per vector.
//  3. A histogram of the survivors' values narrows them down to about k (see below).
//  4. They are inserted into a best-first list of at most k; once it is full an element must beat its last
//     (strictly: an equal value comes later, so loses the tie). (A quickselect for the k-th value followed by a
//     sort of the k was slower: its partition loops mispredict more.)

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

/** Buckets of the histogram that narrows the survivors down (step 3). */
// @ts-ignore: decorator
@inline const BUCKETS = 64;

/** The histogram bucket of x >= t: floor((x - t) * scale), at most BUCKETS - 1. */
// @ts-ignore: decorator
@inline function bucket(x: f32, t: f32, scale: f32): i32 {
  return min<i32>(BUCKETS - 1, <i32>((x - t) * scale));
}

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

/** The threshold path for one row; returns false, having written nothing useful, if the row holds a NaN.
 *  cv, ci: scratch for n + 4 values and indices; hist: BUCKETS ints. */
function topkThreshold(row: usize, n: i32, k: i32, hv: usize, hi: usize, cv: usize, ci: usize, hist: usize): bool {
  // 1. The threshold (pmax ignores NaN, so NaN is looked for separately).
  const V = n >> 2, A = (k + 3) >> 2;
  let t: f32 = Infinity, top: f32 = -Infinity;
  let nan = f32x4.splat(0);
  for (let a = 0; a < A; a++) {
    let m = f32x4.splat(-Infinity);
    for (let j = a * V / A; j < (a + 1) * V / A; j++) {
      const v = v128.load(row + <usize>j * 16);
      m = f32x4.pmax(m, v);
      nan = v128.or(nan, f32x4.ne(v, v));
    }
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
  let iv = i32x4(0, 1, 2, 3);
  let c = 0;
  for (let j = 0; j < V; j++) {
    const v = v128.load(row + <usize>j * 16);
    const bits = i32x4.bitmask(f32x4.ge(v, T));
    const shuffle = v128.load(PACK + <usize>bits * 16);
    v128.store(cv + <usize>c * 4, i8x16.swizzle(v, shuffle));
    v128.store(ci + <usize>c * 4, i8x16.swizzle(iv, shuffle));
    c += popcnt<i32>(bits);
    iv = i32x4.add(iv, FOUR);
  }
  for (let j = V << 2; j < n; j++) {
    const x = load<f32>(row + <usize>j * 4);
    if (x >= t) {
      store<f32>(cv + <usize>c * 4, x);
      store<i32>(ci + <usize>c * 4, j);
      c++;
    }
  }

  // 3. Narrow them down: a histogram of their values over [t, top] in BUCKETS buckets finds the bucket that
  //    holds the k-th largest; the bucket index only grows with the value, so keeping the elements from that
  //    bucket up keeps the k best, and typically only a few more.
  const scale = <f32>BUCKETS / (top - t);
  if (c > 2 * k && top > t && scale > 0 && scale < Infinity) {
    memory.fill(hist, 0, BUCKETS * 4);
    for (let i = 0; i < c; i++) {
      const p = hist + <usize>bucket(load<f32>(cv + <usize>i * 4), t, scale) * 4;
      store<i32>(p, load<i32>(p) + 1);
    }
    let from = BUCKETS - 1;
    for (let seen = 0; from > 0; from--) {
      seen += load<i32>(hist + <usize>from * 4);
      if (seen >= k) break;
    }
    let kept = 0;
    for (let i = 0; i < c; i++) {
      const x = load<f32>(cv + <usize>i * 4);
      if (bucket(x, t, scale) >= from) {
        store<f32>(cv + <usize>kept * 4, x);
        store<i32>(ci + <usize>kept * 4, load<i32>(ci + <usize>i * 4));
        kept++;
      }
    }
    c = kept;
  }

  // 4. Keep the best k of them.
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
 *  float32 integers, into indices [rows, k]. scratch: room for 2 (n + 4) + BUCKETS floats. */
export function topk(x: usize, rows: i32, n: i32, k: i32, values: usize, indices: usize, scratch: usize): void {
  if (k <= 0) return;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * <usize>n * 4;
    const hv = values + <usize>r * <usize>k * 4;
    const hi = indices + <usize>r * <usize>k * 4;
    const cv = scratch, ci = cv + <usize>(n + 4) * 4, hist = ci + <usize>(n + 4) * 4;
    if (n < 4 * k || !topkThreshold(row, n, k, hv, hi, cv, ci, hist)) topkHeap(row, n, k, hv, hi);
    for (let j = 0; j < k; j++) store<f32>(hi + <usize>j * 4, <f32>load<i32>(hi + <usize>j * 4));
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
