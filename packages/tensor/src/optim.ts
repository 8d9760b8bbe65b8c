/**
 * Optimisers with PyTorch's semantics (torch.optim.Adam and AdamW): same bias correction, same
 * eps placement (added after sqrt(v_hat)), same weight-decay forms. The update is one fused
 * kernel per parameter where the backend registers `adam` (fused.ts), else `adamComposite`, written with ops.
 *
 *   const opt = new Adam(model.parameters(), { lr: 1e-3 });
 *   opt.zeroGrad(); loss.backward(); opt.step();
 */
import type { AdamOptions } from './backend.js';
import { getKernel } from './fused.js';
import { add, div, mul, sqrt, sub } from './ops/elementwise.js';
import { keep } from './scope.js';
import { noGrad, Tensor } from './tensor.js';

export interface AdamConfig {
  /** Learning rate. */
  lr?: number; // default 1e-3
  /** Decay rates of the first and second moment estimates. */
  betas?: readonly [number, number]; // default [0.9, 0.999]
  /** Added to the denominator for stability. */
  eps?: number; // default 1e-8
  /** L2 penalty (Adam) or decoupled decay (AdamW). */
  weightDecay?: number; // default 0 for Adam, 0.01 for AdamW
}

interface Moments {
  m: unknown;
  v: unknown;
}

export class Adam {
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  /** Steps taken so far. */
  stepCount = 0;
  private readonly moments = new Map<Tensor, Moments>();
  protected readonly decoupled: boolean = false;

  constructor(readonly params: readonly Tensor[], config: AdamConfig = {}, defaultDecay = 0) {
    this.lr = config.lr ?? 1e-3;
    this.betas = config.betas ?? [0.9, 0.999];
    this.eps = config.eps ?? 1e-8;
    this.weightDecay = config.weightDecay ?? defaultDecay;
    if (!(this.lr > 0)) throw new Error(`Adam: lr (${this.lr}) must be > 0`);
    for (const p of params) {
      if (!p.requiresGrad) throw new Error(`Adam: parameter ${p} does not require grad; call requireGrad() on it`);
    }
  }

  /** Applies one update from the parameters' accumulated gradients (parameters without one are skipped). */
  step(): void {
    this.stepCount++;
    for (const p of this.params) {
      if (!p.grad) continue;
      let mom = this.moments.get(p);
      if (!mom) {
        mom = { m: p.backend.zeros(p.size), v: p.backend.zeros(p.size) };
        this.moments.set(p, mom);
      }
      const o: AdamOptions = {
        lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps,
        weightDecay: this.weightDecay, decoupled: this.decoupled, step: this.stepCount,
      };
      const kernel = getKernel('adam', p.backend);
      if (kernel) kernel(p.backend, p.storage, p.grad.storage, mom.m, mom.v, p.size, o);
      else this.compositeStep(p, p.grad, mom, o);
    }
  }

  /** The step without a kernel: adamComposite on tensors viewing the moments (kept from tidy()), then stored. */
  private compositeStep(p: Tensor, g: Tensor, mom: Moments, o: AdamOptions): void {
    noGrad(() => {
      const [m, v] = [mom.m, mom.v].map((s) => keep(new Tensor(p.shape, s, p.backend)));
      const next = adamComposite(p.detach(), g, m!, v!, o);
      p.assign(next.p);
      mom.m = keep(next.m).storage;
      mom.v = keep(next.v).storage;
    });
  }

  /** Clears the parameters' gradients before the next backward pass. */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Host copies of the moment estimates, for checkpoints. */
  state(): { step: number; m: Float32Array[]; v: Float32Array[] } {
    const read = (p: Tensor, which: 'm' | 'v') => {
      const mom = this.moments.get(p);
      return Float32Array.from(mom ? p.backend.toHost(mom[which], p.size) : new Float32Array(p.size));
    };
    return { step: this.stepCount, m: this.params.map((p) => read(p, 'm')), v: this.params.map((p) => read(p, 'v')) };
  }

  /** Restores `state()` output (after loading the parameters themselves). */
  loadState(s: { step: number; m: ArrayLike<number>[]; v: ArrayLike<number>[] }): void {
    if (s.m.length !== this.params.length || s.v.length !== this.params.length) {
      throw new Error(`Adam.loadState: state holds ${s.m.length} parameters, the optimiser has ${this.params.length}`);
    }
    this.stepCount = s.step;
    this.params.forEach((p, i) => {
      this.moments.set(p, { m: p.backend.fromHost(s.m[i]!), v: p.backend.fromHost(s.v[i]!) });
    });
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch's default decay 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled = true;

  constructor(params: readonly Tensor[], config: AdamConfig = {}) {
    super(params, config, 0.01);
  }
}

/**
 * One Adam/AdamW step with ops (PyTorch semantics): the fused adam kernel's definition, and its fallback where a
 * backend registers none. Returns the new parameter and moments; the kernel writes the same into p, m and v.
 */
export function adamComposite(p: Tensor, g: Tensor, m: Tensor, v: Tensor, o: AdamOptions):
  { p: Tensor; m: Tensor; v: Tensor } {
  let [param, grad] = [p, g];
  if (o.weightDecay !== 0) {
    if (o.decoupled) param = mul(p, 1 - o.lr * o.weightDecay);
    else grad = add(g, mul(p, o.weightDecay));
  }
  const m1 = add(mul(m, o.beta1), mul(grad, 1 - o.beta1));
  const v1 = add(mul(v, o.beta2), mul(mul(grad, grad), 1 - o.beta2));
  const [bc1, bc2] = [1 - o.beta1 ** o.step, 1 - o.beta2 ** o.step];
  const update = div(mul(m1, o.lr / bc1), add(div(sqrt(v1), Math.sqrt(bc2)), o.eps));
  return { p: sub(param, update), m: m1, v: v1 };
}
