/**
 * The reference backend's fused kernels (fused.ts), as plain loops: the definitions the fast backends' kernels
 * are tested against. They keep a row's sums and an element's arithmetic in float64, rounding once into the
 * storage, where the composites (written with ops) round every step to float32; so the reference registers
 * them rather than running the composites. matmulBias has none here: its composite is the reference's matmul,
 * then its add.
 */
import type { AdamOptions, Backend, HostArray } from '../../backend.js';
import { registerKernel } from '../../fused.js';
import { gelu, geluDeriv } from '../../math.js';

/** Mean and 1 / sqrt(biased variance + eps) of the row x[o .. o + d). */
function rowStats(x: HostArray, o: number, d: number, eps: number): { mean: number; rstd: number } {
  let mean = 0;
  for (let c = 0; c < d; c++) mean += x[o + c]!;
  mean /= d;
  let variance = 0;
  for (let c = 0; c < d; c++) variance += (x[o + c]! - mean) ** 2;
  return { mean, rstd: 1 / Math.sqrt(variance / d + eps) };
}

/** A new output of n zeros in the backend's precision (float32, or float64 for reference64). */
const zeros = (b: Backend, n: number) => b.zeros(n) as HostArray;

/** The exact GELU of each element. */
function geluKernel(b: Backend, x: HostArray, size: number): HostArray {
  const out = zeros(b, size);
  for (let i = 0; i < size; i++) out[i] = gelu(x[i]!);
  return out;
}

/** g * gelu'(x), with gelu'(x) rounded to the storage's precision before the product. */
function geluGradKernel(b: Backend, x: HostArray, g: HostArray, size: number): HostArray {
  const out = zeros(b, size);
  for (let i = 0; i < size; i++) out[i] = geluDeriv(x[i]!);
  for (let i = 0; i < size; i++) out[i] = g[i]! * out[i]!;
  return out;
}

function layerNorm(b: Backend, x: HostArray, rows: number, d: number, eps: number): HostArray {
  const out = zeros(b, rows * d);
  for (let r = 0; r < rows; r++) {
    const { mean, rstd } = rowStats(x, r * d, d, eps);
    for (let c = 0; c < d; c++) out[r * d + c] = (x[r * d + c]! - mean) * rstd;
  }
  return out;
}

function layerNormGrad(b: Backend, x: HostArray, g: HostArray, rows: number, d: number, eps: number): HostArray {
  const out = zeros(b, rows * d);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    const { mean, rstd } = rowStats(x, o, d, eps);
    let gMean = 0;
    let gyMean = 0;
    for (let c = 0; c < d; c++) {
      gMean += g[o + c]!;
      gyMean += g[o + c]! * (x[o + c]! - mean) * rstd;
    }
    gMean /= d;
    gyMean /= d;
    for (let c = 0; c < d; c++) out[o + c] = (g[o + c]! - gMean - (x[o + c]! - mean) * rstd * gyMean) * rstd;
  }
  return out;
}

function adam(p: HostArray, g: HostArray, m: HostArray, v: HostArray, size: number, o: AdamOptions): void {
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  for (let i = 0; i < size; i++) {
    let grad = g[i]!;
    if (o.weightDecay !== 0) {
      if (o.decoupled) p[i] = p[i]! * (1 - o.lr * o.weightDecay);
      else grad += o.weightDecay * p[i]!;
    }
    m[i] = o.beta1 * m[i]! + (1 - o.beta1) * grad;
    v[i] = o.beta2 * v[i]! + (1 - o.beta2) * grad * grad;
    p[i] = p[i]! - (o.lr / bc1) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + o.eps);
  }
}

const h = (s: unknown) => s as HostArray;
for (const name of ['reference', 'reference64']) {
  registerKernel('gelu', name, (b, x, size) => geluKernel(b, h(x), size));
  registerKernel('geluGrad', name, (b, x, g, size) => geluGradKernel(b, h(x), h(g), size));
  registerKernel('layerNorm', name, (b, x, rows, d, eps) => layerNorm(b, h(x), rows, d, eps));
  registerKernel('layerNormGrad', name, (b, x, g, rows, d, eps) => layerNormGrad(b, h(x), h(g), rows, d, eps));
  registerKernel('adam', name, (_b, p, g, m, v, size, o) => adam(h(p), h(g), h(m), h(v), size, o));
}
