// where: out[i] = cond[i] != 0 ? a[i] : b[i] over a chunk of n elements starting at logical element `start`.
// Each operand is either streamed (len 0: element i of the chunk at p + 4i) or broadcast as in binary.ts
// (element p[floor((start + i) / rep) % len]: a scalar, a trailing row, a per-row value...).

/** Reads operands that are streamed or scalars as vectors (the fast path) */
// @ts-ignore: decorator
@inline function vecAt(p: usize, len: i32, i: i32): v128 {
  return len == 0 ? v128.load(p + <usize>i * 4) : v128.load32_splat(p);
}

export function where(c: usize, cLen: i32, cRep: i32, a: usize, aLen: i32, aRep: i32, b: usize, bLen: i32, bRep: i32,
  out: usize, n: i32, start: i32): void {
  if (cLen <= 1 && aLen <= 1 && bLen <= 1) {
    const zero = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const mask = f32x4.ne(vecAt(c, cLen, i), zero); // NaN != 0: NaN selects a, as in the reference
      v128.store(out + <usize>i * 4, v128.bitselect(vecAt(a, aLen, i), vecAt(b, bLen, i), mask));
    }
    for (; i < n; i++) {
      const q = <usize>i * 4;
      const cv = load<f32>(cLen == 0 ? c + q : c);
      store<f32>(out + q, cv != 0 ? load<f32>(aLen == 0 ? a + q : a) : load<f32>(bLen == 0 ? b + q : b));
    }
    return;
  }
  // General broadcast: walk each operand's (segment, offset) counters along.
  let cs = cLen == 0 ? 0 : (start / cRep) % cLen, co = cLen == 0 ? 0 : start % cRep;
  let as = aLen == 0 ? 0 : (start / aRep) % aLen, ao = aLen == 0 ? 0 : start % aRep;
  let bs = bLen == 0 ? 0 : (start / bRep) % bLen, bo = bLen == 0 ? 0 : start % bRep;
  for (let i = 0; i < n; i++) {
    const q = <usize>i * 4;
    const cv = load<f32>(cLen == 0 ? c + q : c + <usize>cs * 4);
    store<f32>(out + q, cv != 0 ? load<f32>(aLen == 0 ? a + q : a + <usize>as * 4) : load<f32>(bLen == 0 ? b + q : b + <usize>bs * 4));
    if (cLen != 0 && ++co == cRep) { co = 0; if (++cs == cLen) cs = 0; }
    if (aLen != 0 && ++ao == aRep) { ao = 0; if (++as == aLen) as = 0; }
    if (bLen != 0 && ++bo == bRep) { bo = 0; if (++bs == bLen) bs = 0; }
  }
}
