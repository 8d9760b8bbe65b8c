/**
 * One Adam/AdamW step (PyTorch semantics) as three kernels: the new first moment, the new
 * second moment, then the new weights from them. A kernel writes a new texture rather than into
 * its input, so "in place" means the three storages are pointed at the new textures.
 *
 * The step's numbers arrive as run-time arguments, not constants: they change every step (the
 * bias corrections), and a constant would compile a new shader each time. 1 - beta is passed
 * rather than computed in float32, where 1 - 0.999 loses three digits.
 */
import type { AdamOptions } from '../../backend.js';
import type { GpuStorage, Runtime } from './runtime.js';

/** The gradient Adam sees: g, plus wd * p for L2 decay (l2 = wd, or 0 for AdamW). */
const M_NEXT = `function (p, g, m, beta1, oneMinusBeta1, l2) {
  const grad = g[this.thread.x] + l2 * p[this.thread.x];
  return beta1 * m[this.thread.x] + oneMinusBeta1 * grad;
}`;

const V_NEXT = `function (p, g, v, beta2, oneMinusBeta2, l2) {
  const grad = g[this.thread.x] + l2 * p[this.thread.x];
  return beta2 * v[this.thread.x] + oneMinusBeta2 * grad * grad;
}`;

/** p <- p * decay - stepSize * m / (sqrt(v) / sqrt(bc2) + eps), with decay = 1 - lr wd for AdamW. */
const P_NEXT = `function (p, m, v, decay, stepSize, sqrtBc2, eps) {
  const i = this.thread.x;
  return p[i] * decay - stepSize * m[i] / (Math.sqrt(v[i]) / sqrtBc2 + eps);
}`;

export function adam(rt: Runtime, p: GpuStorage, g: GpuStorage, m: GpuStorage, v: GpuStorage, size: number,
  o: AdamOptions): void {
  const l2 = o.decoupled ? 0 : o.weightDecay;
  const decay = o.decoupled ? 1 - o.lr * o.weightDecay : 1;
  const stepSize = o.lr / (1 - o.beta1 ** o.step);
  const sqrtBc2 = Math.sqrt(1 - o.beta2 ** o.step);
  const m2 = rt.run({ source: M_NEXT, size }, p, g, m, o.beta1, 1 - o.beta1, l2);
  const v2 = rt.run({ source: V_NEXT, size }, p, g, v, o.beta2, 1 - o.beta2, l2);
  const p2 = rt.run({ source: P_NEXT, size }, p, m2, v2, decay, stepSize, sqrtBc2, o.eps);
  rt.replace(m, m2);
  rt.replace(v, v2);
  rt.replace(p, p2);
}
