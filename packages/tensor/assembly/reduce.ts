// ---------------------------------------------------------------------------------------------------------
// Reductions over the middle axis of [outer, n, inner].  op: 0 sum (accumulated in f64), 1 max.
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function hi2lo(v: v128): v128 {
  return i32x4.shuffle(v, v, 2, 3, 0, 1);
}

function sumRows(a: usize, out: usize, outer: i32, n: i32): void {
  for (let o = 0; o < outer; o++) {
    const row = a + <usize>o * <usize>n * 4;
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      const v = v128.load(row + <usize>i * 4);
      const w = v128.load(row + <usize>i * 4, 16);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi2lo(v)));
      s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
      s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hi2lo(w)));
    }
    const t = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
    let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
    for (; i < n; i++) s += <f64>load<f32>(row + <usize>i * 4);
    store<f32>(out + <usize>o * 4, <f32>s);
  }
}

function maxRows(a: usize, out: usize, outer: i32, n: i32): void {
  for (let o = 0; o < outer; o++) {
    const row = a + <usize>o * <usize>n * 4;
    let m0 = f32x4.splat(-Infinity), m1 = f32x4.splat(-Infinity);
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      m0 = f32x4.max(m0, v128.load(row + <usize>i * 4));
      m1 = f32x4.max(m1, v128.load(row + <usize>i * 4, 16));
    }
    const m = f32x4.max(m0, m1);
    let s = max<f32>(max<f32>(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max<f32>(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
    for (; i < n; i++) s = max<f32>(s, load<f32>(row + <usize>i * 4));
    store<f32>(out + <usize>o * 4, s);
  }
}

/** Rows per chunk in sumCols: a chunk of a wide matrix stays in L2 while each of its column blocks is summed. */
// @ts-ignore: decorator
@inline const SUM_CHUNK_ROWS = 128;

/** Column sums, each column accumulated in f64 from the first row to the last (so the bits do not depend on how
 *  columns or rows are blocked). Blocks of 16 columns first: eight independent chains of adds per row, and one
 *  whole cache line read per row and pass. The rows go in chunks of SUM_CHUNK_ROWS, each column block's running
 *  sums kept in `acc` (inner f64s per outer index) between chunks: a block's pass down a whole wide matrix
 *  ([5376, 512], a bias gradient) reads one line per 2 KiB and was L3-latency bound, 8x slower than this. */
function sumCols(a: usize, out: usize, outer: i32, n: i32, stride: i32, inner: i32, acc: usize): void {
  const ld = <usize>stride * 4;
  for (let o = 0; o < outer; o++) {
    const base = a + <usize>o * <usize>n * ld;
    const dst = out + <usize>o * ld;
    const sums = acc + <usize>o * <usize>inner * 8;
    memory.fill(sums, 0, <usize>inner * 8);
    for (let i0 = 0; i0 < n; i0 += SUM_CHUNK_ROWS) {
      const rows = min(SUM_CHUNK_ROWS, n - i0);
      const chunk = base + <usize>i0 * ld;
      let j = 0;
      for (; j + 16 <= inner; j += 16) {
        let p = chunk + <usize>j * 4;
        const q = sums + <usize>j * 8;
        let s0 = v128.load(q), s1 = v128.load(q, 16), s2 = v128.load(q, 32), s3 = v128.load(q, 48);
        let s4 = v128.load(q, 64), s5 = v128.load(q, 80), s6 = v128.load(q, 96), s7 = v128.load(q, 112);
        for (let i = 0; i < rows; i++) {
          const v = v128.load(p), w = v128.load(p, 16), x = v128.load(p, 32), y = v128.load(p, 48);
          s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
          s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi2lo(v)));
          s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
          s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hi2lo(w)));
          s4 = f64x2.add(s4, f64x2.promote_low_f32x4(x));
          s5 = f64x2.add(s5, f64x2.promote_low_f32x4(hi2lo(x)));
          s6 = f64x2.add(s6, f64x2.promote_low_f32x4(y));
          s7 = f64x2.add(s7, f64x2.promote_low_f32x4(hi2lo(y)));
          p += ld;
        }
        v128.store(q, s0); v128.store(q, s1, 16); v128.store(q, s2, 32); v128.store(q, s3, 48);
        v128.store(q, s4, 64); v128.store(q, s5, 80); v128.store(q, s6, 96); v128.store(q, s7, 112);
      }
      for (; j + 8 <= inner; j += 8) {
        let p = chunk + <usize>j * 4;
        const q = sums + <usize>j * 8;
        let s0 = v128.load(q), s1 = v128.load(q, 16), s2 = v128.load(q, 32), s3 = v128.load(q, 48);
        for (let i = 0; i < rows; i++) {
          const v = v128.load(p);
          const w = v128.load(p, 16);
          s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
          s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi2lo(v)));
          s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
          s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hi2lo(w)));
          p += ld;
        }
        v128.store(q, s0); v128.store(q, s1, 16); v128.store(q, s2, 32); v128.store(q, s3, 48);
      }
      for (; j < inner; j++) {
        let p = chunk + <usize>j * 4;
        const q = sums + <usize>j * 8;
        let s = load<f64>(q);
        for (let i = 0; i < rows; i++) {
          s += <f64>load<f32>(p);
          p += ld;
        }
        store<f64>(q, s);
      }
    }
    let j = 0;
    for (; j + 4 <= inner; j += 4) {
      const q = sums + <usize>j * 8;
      v128.store(dst + <usize>j * 4, i32x4.shuffle(f32x4.demote_f64x2_zero(v128.load(q)), f32x4.demote_f64x2_zero(v128.load(q, 16)), 0, 1, 4, 5));
    }
    for (; j < inner; j++) store<f32>(dst + <usize>j * 4, <f32>load<f64>(sums + <usize>j * 8));
  }
}

function maxCols(a: usize, out: usize, outer: i32, n: i32, stride: i32, inner: i32): void {
  const ld = <usize>stride * 4;
  for (let o = 0; o < outer; o++) {
    const base = a + <usize>o * <usize>n * ld;
    const dst = out + <usize>o * ld;
    let j = 0;
    for (; j + 16 <= inner; j += 16) {
      let p = base + <usize>j * 4;
      let m0 = f32x4.splat(-Infinity), m1 = f32x4.splat(-Infinity), m2 = f32x4.splat(-Infinity), m3 = f32x4.splat(-Infinity);
      for (let i = 0; i < n; i++) {
        m0 = f32x4.max(m0, v128.load(p));
        m1 = f32x4.max(m1, v128.load(p, 16));
        m2 = f32x4.max(m2, v128.load(p, 32));
        m3 = f32x4.max(m3, v128.load(p, 48));
        p += ld;
      }
      const q = dst + <usize>j * 4;
      v128.store(q, m0); v128.store(q, m1, 16); v128.store(q, m2, 32); v128.store(q, m3, 48);
    }
    for (; j + 4 <= inner; j += 4) {
      let p = base + <usize>j * 4;
      let m0 = f32x4.splat(-Infinity);
      for (let i = 0; i < n; i++) {
        m0 = f32x4.max(m0, v128.load(p));
        p += ld;
      }
      v128.store(dst + <usize>j * 4, m0);
    }
    for (; j < inner; j++) {
      let p = base + <usize>j * 4;
      let s: f32 = -Infinity;
      for (let i = 0; i < n; i++) {
        s = max<f32>(s, load<f32>(p));
        p += ld;
      }
      store<f32>(dst + <usize>j * 4, s);
    }
  }
}

/** Reduces the middle axis of a [outer, n, inner] into out [outer, inner]. acc: scratch for outer * inner f64s
 *  (column sums; unused otherwise). */
export function reduce(op: i32, a: usize, out: usize, outer: i32, n: i32, inner: i32, acc: usize): void {
  reduceColumns(op, a, out, outer, n, inner, inner, acc);
}

/** reduce() over the first `inner` of `stride` columns (a block of columns: every column's result is computed
 *  the same way whatever the block, so reductions can be shared out by column blocks). */
export function reduceColumns(op: i32, a: usize, out: usize, outer: i32, n: i32, stride: i32, inner: i32, acc: usize): void {
  if (stride == 1) {
    if (op == 0) sumRows(a, out, outer, n);
    else maxRows(a, out, outer, n);
  } else {
    if (op == 0) sumCols(a, out, outer, n, stride, inner, acc);
    else maxCols(a, out, outer, n, stride, inner);
  }
}
