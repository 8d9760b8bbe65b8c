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

/** Column sums, each column accumulated in f64 from the first row to the last (so the bits do not depend on how
 *  columns are blocked). Blocks of 16 columns first: eight independent chains of adds per row, and one whole
 *  cache line read per row and pass, halve the passes over the rows (a bias gradient sums 5376 rows). */
function sumCols(a: usize, out: usize, outer: i32, n: i32, inner: i32): void {
  const ld = <usize>inner * 4;
  for (let o = 0; o < outer; o++) {
    const base = a + <usize>o * <usize>n * ld;
    const dst = out + <usize>o * ld;
    let j = 0;
    for (; j + 16 <= inner; j += 16) {
      let p = base + <usize>j * 4;
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      let s4 = f64x2.splat(0), s5 = f64x2.splat(0), s6 = f64x2.splat(0), s7 = f64x2.splat(0);
      for (let i = 0; i < n; i++) {
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
      const q = dst + <usize>j * 4;
      v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 1, 4, 5));
      v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(s2), f32x4.demote_f64x2_zero(s3), 0, 1, 4, 5), 16);
      v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(s4), f32x4.demote_f64x2_zero(s5), 0, 1, 4, 5), 32);
      v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(s6), f32x4.demote_f64x2_zero(s7), 0, 1, 4, 5), 48);
    }
    for (; j + 8 <= inner; j += 8) {
      let p = base + <usize>j * 4;
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      for (let i = 0; i < n; i++) {
        const v = v128.load(p);
        const w = v128.load(p, 16);
        s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
        s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi2lo(v)));
        s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
        s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hi2lo(w)));
        p += ld;
      }
      const q = dst + <usize>j * 4;
      v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 1, 4, 5));
      v128.store(q, i32x4.shuffle(f32x4.demote_f64x2_zero(s2), f32x4.demote_f64x2_zero(s3), 0, 1, 4, 5), 16);
    }
    for (; j < inner; j++) {
      let p = base + <usize>j * 4;
      let s: f64 = 0;
      for (let i = 0; i < n; i++) {
        s += <f64>load<f32>(p);
        p += ld;
      }
      store<f32>(dst + <usize>j * 4, <f32>s);
    }
  }
}

function maxCols(a: usize, out: usize, outer: i32, n: i32, inner: i32): void {
  const ld = <usize>inner * 4;
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

export function reduce(op: i32, a: usize, out: usize, outer: i32, n: i32, inner: i32): void {
  if (inner == 1) {
    if (op == 0) sumRows(a, out, outer, n);
    else maxRows(a, out, outer, n);
  } else {
    if (op == 0) sumCols(a, out, outer, n, inner);
    else maxCols(a, out, outer, n, inner);
  }
}
