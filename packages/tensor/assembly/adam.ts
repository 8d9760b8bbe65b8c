// ---------------------------------------------------------------------------------------------------------
// Adam / AdamW step (PyTorch semantics), in place on p, m, v.
//   decay:  p *= decay            (AdamW: 1 - lr*wd; otherwise 1)
//   l2:     g' = g + l2 * p       (Adam with weight_decay; otherwise 0)
//   m = b1*m + (1-b1)*g';  v = b2*v + (1-b2)*g'^2;  p -= stepSize * m / (sqrt(v) / bc2sqrt + eps)
// ---------------------------------------------------------------------------------------------------------
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
