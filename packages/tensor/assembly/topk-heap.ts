// The heap path of top-k (./topk.ts): rows holding NaN, and rows too short for the threshold path (n < 4k).
// The order is the same strict total order on (value, index): larger first, equal values lower index first, NaN
// larger than any number.

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
export function topkHeap(row: usize, n: i32, k: i32, hv: usize, hi: usize): void {
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
//     only a few times k elements survive (at worst all do, and the path is merely slower). Each run keeps four
//     running maxima (merged at its end), so the loop is not one long chain of dependent max operations.
//  2. The survivors are packed, in index order and without branches, into a scratch list (values, indices):
//     one compare, a 4-bit lane mask, a byte shuffle (values) and a table of lane offsets (indices) per vector.
//  3. A bisection over BUCKETS evenly spaced cuts in [t, top] finds a cut u that still leaves at least k of them
//     >= u (counted with vector compares, no histogram); those are packed again (typically ~k + 1 remain).
//  4. Each candidate's place in the best-first order is its rank: the candidates before it (lower index) that
//     are >= it plus those after it that are > it (the order is strict, so ranks are distinct); those of rank < k
//     are written straight to their slot, four candidates at a time against every other, without a sort. When
//     many remain (over 2k: rows of many equal values), an insertion into a best-first list of at most k is used
//     instead; once the list is full an element must beat its last (an equal value comes later, so loses).
