/**
 * Optimisers with PyTorch's semantics (torch.optim.Adam and AdamW): same bias correction, same
 * eps placement (added after sqrt(v_hat)), same weight-decay forms. The update is one fused
 * backend kernel per parameter.
 *
 *   const opt = new Adam(model.parameters(), { lr: 1e-3 });
 *   opt.zeroGrad(); loss.backward(); opt.step();
 */
import type { Tensor } from './tensor.js';

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
      p.backend.adam(p.storage, p.grad.storage, mom.m, mom.v, p.size, {
        lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps,
        weightDecay: this.weightDecay, decoupled: this.decoupled, step: this.stepCount,
      });
    }
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
