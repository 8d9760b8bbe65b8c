// ---------------------------------------------------------------------------------------------------------
// Adam / AdamW step (PyTorch semantics), in place on p, m, v.
//   decay:  p *= decay            (AdamW: 1 - lr*wd; otherwise 1)
//   l2:     g' = g + l2 * p       (Adam with weight_decay; otherwise 0)
//   m = b1*m + (1-b1)*g';  v = b2*v + (1-b2)*g'^2;  p -= stepSize * m / (sqrt(v) / bc2sqrt + eps)
// ---------------------------------------------------------------------------------------------------------
import { claim, waitFor } from './sync';

/** Elements per unit of work in adamShared (a multiple of the vector width: every element sees the same
 *  arithmetic whoever computes it). */
// @ts-ignore: decorator
@inline const ADAM_UNIT = 16384;

/** adam() shared between the threads of one call (sync.ts), in units of ADAM_UNIT elements. The nine settings
 *  (b1, 1-b1, b2, 1-b2, eps, stepSize, bc2sqrt, decay, l2) are f32s at `settings` (the threads' arguments are
 *  integers). Returns the units this thread computed. */
export function adamShared(p: usize, g: usize, m: usize, v: usize, n: i32, settings: usize, ctrl: usize): i32 {
  waitFor(ctrl + 192, 1);
  const b1 = load<f32>(settings), omb1 = load<f32>(settings, 4), b2 = load<f32>(settings, 8), omb2 = load<f32>(settings, 12);
  const eps = load<f32>(settings, 16), stepSize = load<f32>(settings, 20), bc2sqrt = load<f32>(settings, 24);
  const decay = load<f32>(settings, 28), l2 = load<f32>(settings, 32);
  const U = (n + ADAM_UNIT - 1) / ADAM_UNIT;
  let units = 0;
  for (let u = claim(ctrl + 128); u < U; u = claim(ctrl + 128)) {
    const q = <usize>(u * ADAM_UNIT) * 4;
    adam(p + q, g + q, m + q, v + q, min(ADAM_UNIT, n - u * ADAM_UNIT), b1, omb1, b2, omb2, eps, stepSize, bc2sqrt, decay, l2);
    units++;
  }
  return units;
}

export function adam(p: usize, g: usize, m: usize, v: usize, n: i32,
  b1: f32, omb1: f32, b2: f32, omb2: f32, eps: f32, stepSize: f32, bc2sqrt: f32, decay: f32, l2: f32): void {
  const B1 = f32x4.splat(b1), OMB1 = f32x4.splat(omb1), B2 = f32x4.splat(b2), OMB2 = f32x4.splat(omb2);
  const EPS = f32x4.splat(eps), SS = f32x4.splat(stepSize), BC2 = f32x4.splat(bc2sqrt);
  const DEC = f32x4.splat(decay), L2 = f32x4.splat(l2);
  const doDecay = decay != 1, doL2 = l2 != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i * 4;
    let pv = v128.load(p + q);
    let gv = v128.load(g + q);
    if (doDecay) pv = f32x4.mul(pv, DEC);
    if (doL2) gv = f32x4.add(gv, f32x4.mul(L2, pv));
    const mv = f32x4.add(f32x4.mul(B1, v128.load(m + q)), f32x4.mul(OMB1, gv));
    const vv2 = f32x4.add(f32x4.mul(B2, v128.load(v + q)), f32x4.mul(OMB2, f32x4.mul(gv, gv)));
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv2), BC2), EPS);
    pv = f32x4.sub(pv, f32x4.mul(SS, f32x4.div(mv, denom)));
    v128.store(p + q, pv);
    v128.store(m + q, mv);
    v128.store(v + q, vv2);
  }
  for (; i < n; i++) {
    const q = <usize>i * 4;
    let pv = load<f32>(p + q);
    let gv = load<f32>(g + q);
    if (doDecay) pv = pv * decay;
    if (doL2) gv = gv + l2 * pv;
    const mv = b1 * load<f32>(m + q) + omb1 * gv;
    const vv2 = b2 * load<f32>(v + q) + omb2 * (gv * gv);
    const denom = Mathf.sqrt(vv2) / bc2sqrt + eps;
    pv = pv - stepSize * (mv / denom);
    store<f32>(p + q, pv);
    store<f32>(m + q, mv);
    store<f32>(v + q, vv2);
  }
}
