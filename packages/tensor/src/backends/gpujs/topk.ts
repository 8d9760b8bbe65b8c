/**
 * Top-k by merging, a form a GPU can run with no thread waiting on another.
 *
 * Every element starts as a sorted list of one (value, index) entry. Each pass merges lists in
 * pairs and keeps the first min(2 * len, k) entries of each merge, until one list per row is
 * left: ceil(log2 n) passes, each a kernel of its own. Output entry m of a merge is found
 * without merging: a binary search for how many of the first m + 1 entries come from the first
 * list (the "co-rank" of merge-path sorting), then a read. Entries are ordered by value,
 * largest first, and ties by index, lowest first, which is a total order, so the result is the
 * reference backend's exactly. A pass over an odd number of lists merges the last one with a
 * missing list, whose entries (index -1) sort after every real one.
 *
 * Lists are stored as [outer, lists, len, 2], the value and the index of each entry side by side.
 */
import type { GpuStorage, Runtime } from './runtime.js';

/** x [outer, n] -> n lists of one entry each: (x[o, i], i). */
const PAIRS = `function (x) {
  const e = idiv(this.thread.x, 2);
  if (this.thread.x - 2 * e == 0) { return x[e]; }
  return e - idiv(e, this.constants.n) * this.constants.n;
}`;

/** Output entry r of list l is entry r of the merge of input lists 2l and 2l + 1. */
const MERGE = `function (pairs) {
  const e = idiv(this.thread.x, 2);
  const perOuter = this.constants.outLists * this.constants.outLen;
  const o = idiv(e, perOuter);
  const l = idiv(e - o * perOuter, this.constants.outLen);
  const m = e - o * perOuter - l * this.constants.outLen + 1;
  const len = this.constants.len;
  const baseA = (o * this.constants.lists + 2 * l) * len;
  const baseB = baseA + len;
  let hasB = 0;
  if (2 * l + 1 < this.constants.lists) { hasB = 1; }
  // Co-rank: the smallest i such that A[i] does not precede B[m - 1 - i].
  let lo = Math.max(0, m - len);
  let hi = Math.min(m, len);
  for (let s = 0; s < this.constants.steps; s++) {
    if (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const b = baseB + m - 1 - mid;
      let ib = -1;
      if (hasB == 1) { ib = pairs[2 * b + 1]; }
      if (precedes(pairs[2 * (baseA + mid)], pairs[2 * (baseA + mid) + 1], pairs[2 * b], ib) == 1) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
  }
  // The first m entries are A[0..i) and B[0..m-i); entry m - 1 is the later of A[i-1] and B[m-i-1].
  const i = lo;
  const a = baseA + Math.max(i - 1, 0);
  const b = baseB + Math.max(m - i - 1, 0);
  let ib = -1;
  if (hasB == 1) { ib = pairs[2 * b + 1]; }
  let at = 2 * a;
  if (i == 0) {
    at = 2 * b;
  } else if (i < m) {
    if (precedes(pairs[2 * a], pairs[2 * a + 1], pairs[2 * b], ib) == 1) { at = 2 * b; }
  }
  if (this.thread.x - 2 * e == 0) { return pairs[at]; }
  if (at == 2 * b) { return ib; }
  return pairs[at + 1];
}`;

/** The indices of the first k entries of each row's single list. */
const INDICES = `function (pairs) {
  const o = idiv(this.thread.x, this.constants.k);
  const r = this.thread.x - o * this.constants.k;
  return pairs[2 * (o * this.constants.len + r) + 1];
}`;

/** Column indices of the k largest entries of each row of x [outer, n], largest first, ties to the lower index. */
export function topk(rt: Runtime, x: GpuStorage, outer: number, n: number, k: number): GpuStorage {
  let pairs = rt.run({ source: PAIRS, size: outer * n * 2, constants: { n } }, x);
  let lists = n;
  let len = 1;
  while (lists > 1) {
    const outLists = Math.ceil(lists / 2);
    const outLen = Math.min(2 * len, k);
    const steps = Math.ceil(Math.log2(len + 1)) + 1;
    const constants = { lists, len, outLists, outLen, steps };
    pairs = rt.run({ source: MERGE, size: outer * outLists * outLen * 2, constants }, pairs);
    lists = outLists;
    len = outLen;
  }
  return rt.run({ source: INDICES, size: outer * k, constants: { len, k } }, pairs);
}
