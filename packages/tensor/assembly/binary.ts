// ---------------------------------------------------------------------------------------------------------
// Elementwise binary ops.  op codes: 0 add, 1 sub, 2 mul, 3 div, 4 maximum, 5 cmpgt, 6 cmpeq
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function binV(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(x, y);
    case 1: return f32x4.sub(x, y);
    case 2: return f32x4.mul(x, y);
    case 3: return f32x4.div(x, y);
    case 4: return f32x4.max(x, y);
    case 5: return v128.and(f32x4.gt(x, y), f32x4.splat(1));
    default: return v128.and(f32x4.eq(x, y), f32x4.splat(1));
  }
}
// @ts-ignore: decorator
@inline function binS(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case 0: return x + y;
    case 1: return x - y;
    case 2: return x * y;
    case 3: return x / y;
    case 4: return max<f32>(x, y);
    case 5: return x > y ? <f32>1 : <f32>0;
    default: return x == y ? <f32>1 : <f32>0;
  }
}

// out[i] = x[i] op y[i]
// @ts-ignore: decorator
@inline function vvLoop(op: i32, x: usize, y: usize, o: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = <usize>i * 4;
    const r0 = binV(op, v128.load(x + q), v128.load(y + q));
    const r1 = binV(op, v128.load(x + q, 16), v128.load(y + q, 16));
    v128.store(o + q, r0);
    v128.store(o + q, r1, 16);
  }
  for (; i < n; i++) {
    const q = <usize>i * 4;
    store<f32>(o + q, binS(op, load<f32>(x + q), load<f32>(y + q)));
  }
}
// out[i] = x[i] op s   (or s op x[i] when swapped)
// @ts-ignore: decorator
@inline function vsLoop(op: i32, x: usize, s: f32, o: usize, n: i32, swapped: bool): void {
  const sv = f32x4.splat(s);
  let i = 0;
  if (!swapped) {
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i * 4;
      const r0 = binV(op, v128.load(x + q), sv);
      const r1 = binV(op, v128.load(x + q, 16), sv);
      v128.store(o + q, r0);
      v128.store(o + q, r1, 16);
    }
    for (; i < n; i++) store<f32>(o + <usize>i * 4, binS(op, load<f32>(x + <usize>i * 4), s));
  } else {
    for (; i + 8 <= n; i += 8) {
      const q = <usize>i * 4;
      const r0 = binV(op, sv, v128.load(x + q));
      const r1 = binV(op, sv, v128.load(x + q, 16));
      v128.store(o + q, r0);
      v128.store(o + q, r1, 16);
    }
    for (; i < n; i++) store<f32>(o + <usize>i * 4, binS(op, s, load<f32>(x + <usize>i * 4)));
  }
}

function vv(op: i32, x: usize, y: usize, o: usize, n: i32): void {
  switch (op) {
    case 0: vvLoop(0, x, y, o, n); break;
    case 1: vvLoop(1, x, y, o, n); break;
    case 2: vvLoop(2, x, y, o, n); break;
    case 3: vvLoop(3, x, y, o, n); break;
    case 4: vvLoop(4, x, y, o, n); break;
    case 5: vvLoop(5, x, y, o, n); break;
    default: vvLoop(6, x, y, o, n); break;
  }
}
function vs(op: i32, x: usize, s: f32, o: usize, n: i32, swapped: bool): void {
  switch (op) {
    case 0: vsLoop(0, x, s, o, n, swapped); break;
    case 1: vsLoop(1, x, s, o, n, swapped); break;
    case 2: vsLoop(2, x, s, o, n, swapped); break;
    case 3: vsLoop(3, x, s, o, n, swapped); break;
    case 4: vsLoop(4, x, s, o, n, swapped); break;
    case 5: vsLoop(5, x, s, o, n, swapped); break;
    default: vsLoop(6, x, s, o, n, swapped); break;
  }
}

/** out[i] = full[i] op bc[floor((start + i) / repeat) % bcLen]   (bc[...] op full[i] when swapped); i < n.
 *  full/out point at element `start` of the logical arrays (so long arrays can be streamed in chunks). */
export function binary(op: i32, full: usize, bc: usize, out: usize, n: i32, bcLen: i32, repeat: i32, swapped: i32, start: i32): void {
  const sw = swapped != 0;
  if (bcLen == 1) {
    vs(op, full, load<f32>(bc), out, n, sw);
  } else if (repeat == 1) {
    let pos = start % bcLen;
    for (let s = 0; s < n; ) {
      const q = <usize>s * 4;
      const len = min(bcLen - pos, n - s);
      const y = bc + <usize>pos * 4;
      if (sw) vv(op, y, full + q, out + q, len);
      else vv(op, full + q, y, out + q, len);
      s += len;
      pos = 0;
    }
  } else {
    let seg = (start / repeat) % bcLen;
    let off = start % repeat;
    for (let s = 0; s < n; ) {
      const q = <usize>s * 4;
      const len = min(repeat - off, n - s);
      vs(op, full + q, load<f32>(bc + <usize>seg * 4), out + q, len, sw);
      s += len;
      off = 0;
      seg++;
      if (seg == bcLen) seg = 0;
    }
  }
}
