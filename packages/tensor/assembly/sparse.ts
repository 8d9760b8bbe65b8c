// Indexing kernels: the sparse products of a top-k code (x [B, d], W [n, d] with one row per latent, idx [B, k])
// and the row/column gathers and scatters. Index tensors hold integers stored as floats: indexCheck() turns
// them into i32 in place first and reports the first bad one, so the kernels themselves can trust them.
// Sums run in a fixed order (over j, then lanes combined by hsum), so results are deterministic.
import { hsum } from './simd';
import { claim, done, waitFor } from './sync';

/** Converts count float indices at idx to i32 in place. Returns -1, or the position of the first value that
 *  is not an integer in [0, limit) (the JS side then names it in its error). Eight at a time: a lane passes if
 *  0 <= v < limit (false for NaN) and v survives the round trip through i32 (so -0 passes, as 0, as the scalar
 *  test lets it); a group with any failing lane, and the last few values, go through the scalar test, which
 *  finds the exact position (converting the good values before it, as it always has). */
export function indexCheck(idx: usize, count: i32, limit: i32): i32 {
  const lim = <f32>limit;
  const zero = f32x4.splat(0), limv = f32x4.splat(lim);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const p = idx + <usize>i * 4;
    const v0 = v128.load(p), v1 = v128.load(p, 16);
    const r0 = i32x4.trunc_sat_f32x4_s(v0), r1 = i32x4.trunc_sat_f32x4_s(v1);
    const ok0 = v128.and(v128.and(f32x4.ge(v0, zero), f32x4.lt(v0, limv)), f32x4.eq(f32x4.convert_i32x4_s(r0), v0));
    const ok1 = v128.and(v128.and(f32x4.ge(v1, zero), f32x4.lt(v1, limv)), f32x4.eq(f32x4.convert_i32x4_s(r1), v1));
    if (!i32x4.all_true(v128.and(ok0, ok1))) break;
    v128.store(p, r0);
    v128.store(p, r1, 16);
  }
  for (; i < count; i++) {
    const p = idx + <usize>i * 4;
    const v = load<f32>(p);
    if (!(v >= 0 && v < lim)) return i; // also catches NaN
    const r = <i32>v;
    if (<f32>r != v) return i;
    store<i32>(p, r);
  }
  return -1;
}

/** The dot product of d floats at x and y: four f32x4 accumulators, then the scalar tail. */
// @ts-ignore: decorator
@inline function dot(x: usize, y: usize, d: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let c = 0;
  for (; c + 16 <= d; c += 16) {
    const o = <usize>c * 4;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(x + o, 32), v128.load(y + o, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(x + o, 48), v128.load(y + o, 48)));
  }
  for (; c + 4 <= d; c += 4) a0 = f32x4.add(a0, f32x4.mul(v128.load(x + <usize>c * 4), v128.load(y + <usize>c * 4)));
  let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; c < d; c++) s += load<f32>(x + <usize>c * 4) * load<f32>(y + <usize>c * 4);
  return s;
}

/** out[b, j] = x[b, :] . W[idx[b, j], :]  ->  [B, k] */
export function gatherDot(x: usize, w: usize, idx: usize, out: usize, B: i32, k: i32, d: i32): void {
  const row = <usize>d * 4;
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * row;
    for (let j = 0; j < k; j++) {
      const q = <usize>(b * k + j) * 4;
      store<f32>(out + q, dot(xb, w + <usize>load<i32>(idx + q) * row, d));
    }
  }
}

/** out[b, :] = sum_j v[b, j] W[idx[b, j], :]  ->  [B, d]. Columns in blocks of 32 held in 8 accumulators,
 *  so each output element is v[b, 0] W[.., c] + v[b, 1] W[.., c] + ... in that order, whatever d is. */
export function gatherCombine(v: usize, w: usize, idx: usize, out: usize, B: i32, k: i32, d: i32): void {
  const row = <usize>d * 4;
  for (let b = 0; b < B; b++) {
    const ob = out + <usize>b * row;
    const vb = v + <usize>(b * k) * 4;
    const ib = idx + <usize>(b * k) * 4;
    let c = 0;
    for (; c + 32 <= d; c += 32) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
      for (let j = 0; j < k; j++) {
        const s = v128.load32_splat(vb + <usize>j * 4);
        const wr = w + <usize>load<i32>(ib + <usize>j * 4) * row + <usize>c * 4;
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(wr)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(wr, 16)));
        a2 = f32x4.add(a2, f32x4.mul(s, v128.load(wr, 32)));
        a3 = f32x4.add(a3, f32x4.mul(s, v128.load(wr, 48)));
        a4 = f32x4.add(a4, f32x4.mul(s, v128.load(wr, 64)));
        a5 = f32x4.add(a5, f32x4.mul(s, v128.load(wr, 80)));
        a6 = f32x4.add(a6, f32x4.mul(s, v128.load(wr, 96)));
        a7 = f32x4.add(a7, f32x4.mul(s, v128.load(wr, 112)));
      }
      const o = ob + <usize>c * 4;
      v128.store(o, a0); v128.store(o, a1, 16); v128.store(o, a2, 32); v128.store(o, a3, 48);
      v128.store(o, a4, 64); v128.store(o, a5, 80); v128.store(o, a6, 96); v128.store(o, a7, 112);
    }
    for (; c + 4 <= d; c += 4) {
      let a0 = f32x4.splat(0);
      for (let j = 0; j < k; j++) {
        const wr = w + <usize>load<i32>(ib + <usize>j * 4) * row + <usize>c * 4;
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(vb + <usize>j * 4), v128.load(wr)));
      }
      v128.store(ob + <usize>c * 4, a0);
    }
    for (; c < d; c++) {
      let s: f32 = 0;
      for (let j = 0; j < k; j++) {
        s += load<f32>(vb + <usize>j * 4) * load<f32>(w + <usize>load<i32>(ib + <usize>j * 4) * row + <usize>c * 4);
      }
      store<f32>(ob + <usize>c * 4, s);
    }
  }
}

/** dst[0:d] += s * src[0:d] */
// @ts-ignore: decorator
@inline function axpy(dst: usize, src: usize, s: f32, d: i32): void {
  const sv = f32x4.splat(s);
  let c = 0;
  for (; c + 8 <= d; c += 8) {
    const o = <usize>c * 4;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(sv, v128.load(src + o))));
    v128.store(dst + o, f32x4.add(v128.load(dst + o, 16), f32x4.mul(sv, v128.load(src + o, 16))), 16);
  }
  for (; c < d; c++) store<f32>(dst + <usize>c * 4, load<f32>(dst + <usize>c * 4) + s * load<f32>(src + <usize>c * 4));
}

/** out = zeros [n, d]; out[idx[b, j], :] += a[b, j] x[b, :], in (b, j) order, shared between the threads of one
 *  call (sync.ts). The B k contributions are first bucketed by output row (a stable counting sort into order,
 *  using count: n + 1 ints, and order: 2 B k ints, each contribution's byte offsets into a and x) by the first
 *  thread to arrive, while the others wait; then rows are claimed in units of SCATTER_UNIT_ROWS, and each row
 *  is summed in registers and stored once, in the same (b, j) order as a direct scatter would add them. So who
 *  computes a row never changes it. Returns the units this thread computed. */
export function scatterOuter(a: usize, x: usize, idx: usize, out: usize, B: i32, k: i32, d: i32, n: i32,
  count: usize, order: usize, ctrl: usize): i32 {
  waitFor(ctrl + 192, 1);
  if (claim(ctrl) == 0) {
    sortByRow(idx, B * k, k, n, <usize>d * 4, count, order);
    done(ctrl + 64);
  }
  waitFor(ctrl + 64, 1);
  const U = (n + SCATTER_UNIT_ROWS - 1) / SCATTER_UNIT_ROWS;
  let units = 0;
  for (let u = claim(ctrl + 128); u < U; u = claim(ctrl + 128)) {
    scatterRows(a, x, out, d, u * SCATTER_UNIT_ROWS, min(n, (u + 1) * SCATTER_UNIT_ROWS), count, order);
    units++;
  }
  return units;
}

/** Output rows per unit of work in scatterOuter. */
// @ts-ignore: decorator
@inline const SCATTER_UNIT_ROWS = 64;

/** The counting sort of scatterOuter: afterwards count[r] is where row r's run ends in order (and count[r - 1],
 *  or 0, where it starts). Each entry holds its contribution's byte offsets into a (4 (b k + j)) and into x
 *  (b row), so scatterRows adds them to its bases with no multiplies. */
function sortByRow(idx: usize, total: i32, k: i32, n: i32, row: usize, count: usize, order: usize): void {
  memory.fill(count, 0, <usize>(n + 1) * 4);
  for (let q = 0; q < total; q++) {
    const p = count + <usize>(load<i32>(idx + <usize>q * 4) + 1) * 4;
    store<i32>(p, load<i32>(p) + 1);
  }
  for (let r = 0; r < n; r++) {
    const p = count + <usize>r * 4;
    store<i32>(p + 4, load<i32>(p + 4) + load<i32>(p));
  }
  // q = b k + j, walked as (b, j): no division per contribution.
  for (let b = 0, q = 0; q < total; b++) {
    const xo = <u32>(<usize>b * row);
    for (let j = 0; j < k; j++, q++) {
      const p = count + <usize>load<i32>(idx + <usize>q * 4) * 4;
      const at = load<i32>(p);
      store<u32>(order + <usize>at * 8, <u32>q * 4);
      store<u32>(order + <usize>at * 8, xo, 4);
      store<i32>(p, at + 1);
    }
  }
}

/** Output rows r0..r1 of scatterOuter from the sorted contributions. */
function scatterRows(a: usize, x: usize, out: usize, d: i32, r0: i32, r1: i32, count: usize, order: usize): void {
  const row = <usize>d * 4;
  let from = r0 == 0 ? 0 : load<i32>(count + <usize>(r0 - 1) * 4);
  for (let r = r0; r < r1; r++) {
    const to = load<i32>(count + <usize>r * 4);
    const orow = out + <usize>r * row;
    let c = 0;
    for (; c + 16 <= d; c += 16) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let i = from; i < to; i++) {
        const o = order + <usize>i * 8;
        const w = v128.load32_splat(a + <usize>load<u32>(o));
        const xr = x + <usize>load<u32>(o, 4) + <usize>c * 4;
        s0 = f32x4.add(s0, f32x4.mul(w, v128.load(xr)));
        s1 = f32x4.add(s1, f32x4.mul(w, v128.load(xr, 16)));
        s2 = f32x4.add(s2, f32x4.mul(w, v128.load(xr, 32)));
        s3 = f32x4.add(s3, f32x4.mul(w, v128.load(xr, 48)));
      }
      const o = orow + <usize>c * 4;
      v128.store(o, s0); v128.store(o, s1, 16); v128.store(o, s2, 32); v128.store(o, s3, 48);
    }
    for (; c < d; c++) {
      let s: f32 = 0;
      for (let i = from; i < to; i++) {
        const o = order + <usize>i * 8;
        s += load<f32>(a + <usize>load<u32>(o)) * load<f32>(x + <usize>load<u32>(o, 4) + <usize>c * 4);
      }
      store<f32>(orow + <usize>c * 4, s);
    }
    from = to;
  }
}

/** out[i, :] = table[idx[i], :] for i < n; table rows have cols floats. */
export function gatherRows(table: usize, cols: i32, idx: usize, n: i32, out: usize): void {
  const row = <usize>cols * 4;
  if (cols >= 16) {
    for (let i = 0; i < n; i++) memory.copy(out + <usize>i * row, table + <usize>load<i32>(idx + <usize>i * 4) * row, row);
    return;
  }
  // Short rows (a bias looked up per latent): a plain loop beats a memory.copy call per row.
  for (let i = 0; i < n; i++) {
    const src = table + <usize>load<i32>(idx + <usize>i * 4) * row, dst = out + <usize>i * row;
    for (let c = 0; c < cols; c++) store<f32>(dst + <usize>c * 4, load<f32>(src + <usize>c * 4));
  }
}

/** out = zeros [rows, cols]; out[idx[i], :] += src[i, :] for i < n, in order. */
export function scatterAddRows(src: usize, n: i32, cols: i32, idx: usize, rows: i32, out: usize): void {
  const row = <usize>cols * 4;
  memory.fill(out, 0, <usize>rows * row);
  for (let i = 0; i < n; i++) axpy(out + <usize>load<i32>(idx + <usize>i * 4) * row, src + <usize>i * row, 1, cols);
}

/** x [outer, n], idx [outer, k]: out[o, j] = x[o, idx[o, j]]. */
export function gatherLast(x: usize, outer: i32, n: i32, idx: usize, k: i32, out: usize): void {
  for (let o = 0; o < outer; o++) {
    const xr = x + <usize>(o * n) * 4;
    for (let j = 0; j < k; j++) {
      const q = <usize>(o * k + j) * 4;
      store<f32>(out + q, load<f32>(xr + <usize>load<i32>(idx + q) * 4));
    }
  }
}

/** out = zeros [outer, n]; out[o, idx[o, j]] += src[o, j], in order. */
export function scatterLast(src: usize, outer: i32, k: i32, idx: usize, n: i32, out: usize): void {
  memory.fill(out, 0, <usize>outer * <usize>n * 4);
  for (let o = 0; o < outer; o++) {
    const orow = out + <usize>(o * n) * 4;
    for (let j = 0; j < k; j++) {
      const q = <usize>(o * k + j) * 4;
      const p = orow + <usize>load<i32>(idx + q) * 4;
      store<f32>(p, load<f32>(p) + load<f32>(src + q));
    }
  }
}

/** Rows (samples b) per unit of work in sparseShared. */
// @ts-ignore: decorator
@inline const SPARSE_UNIT_ROWS = 16;

/** gatherDot (op 0: a = x [B, d], out [B, k]) or gatherCombine (op 1: a = v [B, k], out [B, d]) shared between
 *  the threads of one call (sync.ts): samples are claimed in units of SPARSE_UNIT_ROWS. Each sample's outputs
 *  depend on that sample alone, so who computes it never changes a bit. Returns the units this thread did. */
export function sparseShared(op: i32, a: usize, w: usize, idx: usize, out: usize, B: i32, k: i32, d: i32, ctrl: usize): i32 {
  waitFor(ctrl + 192, 1);
  const U = (B + SPARSE_UNIT_ROWS - 1) / SPARSE_UNIT_ROWS;
  const aRow = op == 0 ? d : k, outRow = op == 0 ? k : d;
  let units = 0;
  for (let u = claim(ctrl + 128); u < U; u = claim(ctrl + 128)) {
    const b = u * SPARSE_UNIT_ROWS, n = min(SPARSE_UNIT_ROWS, B - b);
    const pa = a + <usize>(b * aRow) * 4, pi = idx + <usize>(b * k) * 4, po = out + <usize>(b * outRow) * 4;
    if (op == 0) gatherDot(pa, w, pi, po, n, k, d);
    else gatherCombine(pa, w, pi, po, n, k, d);
    units++;
  }
  return units;
}
