// Elementwise unary ops.  op codes: 0 neg, 1 exp, 2 log, 3 sqrt, 4 tanh, 5 erf, 6 abs, 7 gelu, 8 geluDeriv (gelu')
import { erf32 } from './erf';
import { loadTail, storeTail } from './simd';
import { geluDerivV, geluV } from './vmath';

// GELU and its derivative go through the vector functions only, the last partial vector included (see
// loadTail), so every element sees the same arithmetic.
function gelu(a: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, geluV(v128.load(a + <usize>i * 4)));
  if (i < n) storeTail(out + <usize>i * 4, geluV(loadTail(a + <usize>i * 4, n - i)), n - i);
}

function geluDeriv(a: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, geluDerivV(v128.load(a + <usize>i * 4)));
  if (i < n) storeTail(out + <usize>i * 4, geluDerivV(loadTail(a + <usize>i * 4, n - i)), n - i);
}

/** out[i] = g[i] * gelu'(x[i]): GELU's backward pass in one go. out may be x. */
export function geluGrad(x: usize, g: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i * 4;
    v128.store(out + q, f32x4.mul(v128.load(g + q), geluDerivV(v128.load(x + q))));
  }
  if (i < n) {
    const q = <usize>i * 4;
    storeTail(out + q, f32x4.mul(loadTail(g + q, n - i), geluDerivV(loadTail(x + q, n - i))), n - i);
  }
}

export function unary(op: i32, a: usize, out: usize, n: i32): void {
  let i = 0;
  switch (op) {
    case 0: {
      for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, f32x4.neg(v128.load(a + <usize>i * 4)));
      for (; i < n; i++) store<f32>(out + <usize>i * 4, -load<f32>(a + <usize>i * 4));
      break;
    }
    case 3: {
      for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, f32x4.sqrt(v128.load(a + <usize>i * 4)));
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.sqrt(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 6: {
      for (; i + 4 <= n; i += 4) v128.store(out + <usize>i * 4, f32x4.abs(v128.load(a + <usize>i * 4)));
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.abs(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 1: {
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.exp(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 2: {
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.log(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 4: {
      for (; i < n; i++) store<f32>(out + <usize>i * 4, Mathf.tanh(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 5: {
      for (; i < n; i++) store<f32>(out + <usize>i * 4, erf32(load<f32>(a + <usize>i * 4)));
      break;
    }
    case 7: {
      gelu(a, out, n);
      break;
    }
    default: {
      geluDeriv(a, out, n);
      break;
    }
  }
}
