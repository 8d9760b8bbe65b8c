/**
 * Pieces the standard, gated, JumpReLU and BatchTopK SAEs share: checked settings, the dense code, the
 * unit-norm decoder, the warmed-up sparsity coefficient and the loss scaled by the data's variance.
 *
 * The scale: `forward(x, v)` takes v, the data's per-element variance (what the experiments pass). The
 * dense SAEs' loss is the paper's loss on the normalised input x / sqrt(v), whose squared norm is d_in on
 * average, the normalisation Anthropic and the JumpReLU paper train with:
 *   (1/v) mean_b ||x_b - x_hat_b||^2  +  lambda * sparsity(x / sqrt v)
 * so that lambda means the same whatever the activations' scale. An L1 penalty scales with the input
 * (sparsity(x / sqrt v) = sparsity(x) / sqrt v); an L0 count does not. With v = 1 it is the paper's formula.
 */
import {
  add, gt, keep, matmul, mul, noGrad, normalize, square, sub, sum, tensor, where, type Adam, type Tensor,
} from '@saelab/tensor';
import { SparseAutoencoder, type SaeConfigBase, type SaeOutput } from './architecture.js';

/** max(x, 0), gradient 0 at 0. */
export const relu = (t: Tensor): Tensor => where(gt(t, 0), t, 0);

/** Throws unless `ok`: `SAE config: <field> (<value>) must be <rule>`, the rule saying what to set. */
export function check(field: string, value: unknown, ok: boolean, rule: string): void {
  if (!ok) throw new Error(`SAE config: ${field} (${String(value)}) must be ${rule}`);
}

/** Checks dIn and dSae, and that `config` holds no setting outside `known` (a misspelt one would be ignored). */
export function checkShape(config: object & SaeConfigBase, known: readonly string[]): void {
  for (const key of ['dIn', 'dSae'] as const) {
    check(key, config[key], Number.isInteger(config[key]) && config[key] >= 1, 'a positive integer');
  }
  for (const key of Object.keys(config)) {
    if (!['dIn', 'dSae', 'variant', ...known].includes(key)) {
      throw new Error(`SAE config: ${key} is not a setting of the ${config.variant} architecture; its settings `
        + `are ${known.join(', ')}`);
    }
  }
}

/** `o` without its undefined entries, so that defaults fill them (a cfg.json may lack a field). */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A coefficient: a finite number >= 0. */
export const isCoefficient = (v: number): boolean => Number.isFinite(v) && v >= 0;
/** A fraction of training: a number in [0, 1]. */
export const isFraction = (v: number): boolean => v >= 0 && v <= 1;

/** Checks a dense SAE's L0 target (0: none) and its controller's gain. */
export function checkController(c: { targetL0: number; l0Gain: number }): void {
  check('targetL0', c.targetL0, Number.isFinite(c.targetL0) && c.targetL0 >= 0,
    'a number >= 0 (0: no L0 controller; else the mean count of active latents to reach)');
  check('l0Gain', c.l0Gain, Number.isFinite(c.l0Gain) && c.l0Gain > 0 && c.l0Gain <= 1,
    `a number in (0, 1] (the L0 controller's gain; default ${L0_CONTROLLER_GAIN})`);
}

/** The controller's cfg.json fields: its target, and its gain where not the default (older files lack it). */
export function controllerFields(c: { targetL0: number; l0Gain: number }): Record<string, number> {
  return c.targetL0 > 0 ? { target_l0: c.targetL0,
    ...(c.l0Gain !== L0_CONTROLLER_GAIN && { l0_controller_gain: c.l0Gain }) } : {};
}

/** The inverse of controllerFields. */
export function controllerFromFile(file: Record<string, unknown>): { targetL0?: number; l0Gain?: number } {
  return { targetL0: file.target_l0 as number | undefined, l0Gain: file.l0_controller_gain as number | undefined };
}

/** lambda after its linear warm-up from 0 over the first `warmup` fraction of training (0: none). */
export function warmedUp(lambda: number, warmup: number, progress: number): number {
  return warmup > 0 ? lambda * Math.min(1, progress / warmup) : lambda;
}

/** (1/v) mean_b ||residual_b||^2: the reconstruction term of the loss. */
export function reconstruction(residual: Tensor, dataVariance: number): Tensor {
  return mul(sum(mul(residual, residual)), 1 / (residual.shape[0]! * dataVariance));
}

/**
 * Unit-norm decoder rows, as Gao et al., the Gated and JumpReLU papers train: before the optimiser step each
 * row's gradient loses its component along the row; after it, the rows are renormalised.
 */
export function unitNormDecoder(W_dec: Tensor, when: 'beforeStep' | 'afterStep'): void {
  const g = W_dec.grad;
  if (when === 'beforeStep' && g) noGrad(() => { W_dec.grad = sub(g, mul(sum(mul(g, W_dec), -1, true), W_dec)); });
  if (when === 'afterStep') noGrad(() => W_dec.assign(normalize(W_dec)));
}

/**
 * An SAE whose code is dense: `encode` gives every latent's activation, [B, d_sae], with ids 0..d_sae-1 in
 * every row (most are 0, inactive). The number of active latents varies per sample (ReLU + L1, gated,
 * JumpReLU), so no fixed-width sparse code exists; the decoder is a dense matrix product.
 */
/**
 * The L0 controller's default gain (`l0Gain`): after each step past the warm-up, lambda is multiplied by
 * (L0 / target)^gain, L0 the step's mean count of active latents per sample. At 0.02 a doubled L0 raises lambda 1.4% a
 * step, so lambda moves by 2x in about 50 steps. That suits an SAE whose L0 answers lambda within tens of steps
 * (standard, gated on the synthetic task). Where it answers in hundreds (gated and JumpReLU on the toy tasks) it
 * overshoots: gated on modular addition drove lambda to its 1e3 ceiling within 200 steps, every gate closed, and the
 * SAE never came back (EV 0.006); at l0Gain 0.005 (2x in about 200 steps) it settles at L0 31.7 in 4,000 steps.
 */
export const L0_CONTROLLER_GAIN = 0.02;
/**
 * The controller moves lambda at most this factor from its configured value, either way: an L0 that does not
 * respond to lambda (JumpReLU whose thresholds get no gradient) would otherwise send it to 1e21 within an epoch.
 */
export const L0_CONTROLLER_RANGE = 1e3;

/** The settings every dense SAE has: its sparsity coefficient, its warm-up, and an optional L0 target. */
export interface DenseSettings extends SaeConfigBase {
  lambda: number;
  lambdaWarmup: number;
  /** 0: lambda stays as configured; > 0: a controller adjusts it during training until the L0 is this. */
  targetL0: number;
  /** The controller's gain (L0_CONTROLLER_GAIN by default). */
  l0Gain: number;
}

export abstract class DenseSAE<C extends DenseSettings> extends SparseAutoencoder<C> {
  /** The dense architectures set their sparsity with a coefficient (lambda), not a count (k). */
  static override readonly sparsity: 'k' | 'coefficient' = 'coefficient';
  /** What the L0 controller has multiplied lambda by (1 without a target); kept in checkpoints. */
  protected lambdaScale = 1;

  /** The coefficient in force now: lambda, times the controller's scale, warmed up. */
  get lambdaNow(): number {
    return warmedUp(this.cfg.lambda * this.lambdaScale, this.cfg.lambdaWarmup, this.progress);
  }

  /** lambda after the controller: what the SAE ends training with (what its cfg.json records). */
  get lambdaReached(): number {
    return this.cfg.lambda * this.lambdaScale;
  }

  /**
   * The step; then, with an L0 target and past the warm-up, the controller: lambda *= (L0 / target)^gain, the
   * step's L0 counted from its firings (at least 1% of the target, so a silent batch cannot send lambda to zero).
   */
  override trainStep(x: Tensor, opt: Adam, dataVariance = 1, checkLoss?: (loss: number) => void): number {
    let before = 0;
    for (const f of this.firings) before += f;
    const loss = super.trainStep(x, opt, dataVariance, checkLoss);
    const target = this.cfg.targetL0;
    if (target > 0 && this.progress >= this.cfg.lambdaWarmup) {
      let after = 0;
      for (const f of this.firings) after += f;
      const l0 = (after - before) / x.shape[0]!;
      const next = this.lambdaScale * (Math.max(l0, 0.01 * target) / target) ** this.cfg.l0Gain;
      this.lambdaScale = Math.min(L0_CONTROLLER_RANGE, Math.max(1 / L0_CONTROLLER_RANGE, next));
    }
    return loss;
  }

  override trainingState(): Record<string, number> {
    return this.cfg.targetL0 > 0 ? { lambdaScale: this.lambdaScale } : {};
  }

  override restoreTrainingState(state: Record<string, number>): void {
    if (this.cfg.targetL0 <= 0) return;
    if (typeof state.lambdaScale !== 'number') {
      throw new Error(`${this.cfg.variant} SAE: the checkpoint has no lambdaScale (its L0 controller's state); delete `
        + 'it to retrain from the start');
    }
    this.lambdaScale = state.lambdaScale;
  }

  /** The dense code's ids made so far, by batch size and backend: built once each and kept (not freed by tidy()). */
  private readonly idsCache = new Map<string, Tensor>();

  /**
   * The dense code's ids: 0..d_sae-1 in each of B rows. The same tensor for every batch of B rows (kept out of
   * tidy()'s reach): building B x d_sae ids every step cost a quarter of a standard SAE's step (profiled).
   */
  protected denseIds(B: number, like: Tensor): Tensor {
    const key = `${B} ${like.backend.name}`;
    let ids = this.idsCache.get(key);
    if (!ids) {
      const n = this.cfg.dSae;
      const data = new Float32Array(B * n);
      for (let i = 0; i < data.length; i++) data[i] = i % n;
      ids = keep(tensor(data, [B, n], like.backend));
      this.idsCache.set(key, ids);
    }
    return ids;
  }

  /** Whether `indices` is a dense code's ids (this SAE's own tensor, or ids laid out as one). */
  private isDenseIds(indices: Tensor): boolean {
    const n = this.cfg.dSae;
    if (indices.rank !== 2 || indices.shape[1] !== n) return false;
    if (this.idsCache.get(`${indices.shape[0]} ${indices.backend.name}`) === indices) return true;
    return indices.toArray().every((id, i) => id === i % n);
  }

  /** A dense code's firings: every nonzero value of [B, d_sae], its latent being its column (no ids to read). */
  override recordFirings(indices: Tensor, values: Tensor): void {
    if (!this.isDenseIds(indices)) return super.recordFirings(indices, values);
    const val = values.toArray();
    const n = this.cfg.dSae;
    const batch = indices.shape[0]!;
    const firedNow = new Uint8Array(n);
    for (let i = 0; i < val.length; i++) {
      if (this.fires(val[i]!)) {
        const l = i % n;
        firedNow[l] = 1;
        this.firings[l]!++;
      }
    }
    for (let l = 0; l < n; l++) {
      if (firedNow[l]) this.sinceFired[l] = 0;
      else this.sinceFired[l]! += batch;
    }
  }

  /**
   * A dense SAE's forward output: the loss (reconstruction / var(x) + `aux`, the architecture's other term), the
   * per-element MSE, and the dense code f with its ids.
   */
  protected denseOutput(x: Tensor, f: Tensor, xHat: Tensor, aux: Tensor, dataVariance: number): SaeOutput {
    const residual = sub(x, xHat);
    const mse = mul(sum(square(residual)), 1 / residual.size);
    return {
      loss: add(reconstruction(residual, dataVariance), aux), mse, aux, xHat,
      indices: this.denseIds(x.shape[0]!, x), values: f,
    };
  }

  /** x_hat = f W_dec + b_dec for a dense code f [B, d_sae]. */
  protected decodeDense(f: Tensor): Tensor {
    return matmul(f, this.W_dec, { bias: this.b_dec });
  }

  /** The dense product where the code is this SAE's dense code (the forward pass's own), else the sparse one. */
  override decode(indices: Tensor, values: Tensor): Tensor {
    return this.isDenseIds(indices) ? this.decodeDense(values) : super.decode(indices, values);
  }

  /** A dense code's sparse product, for tests: sum_j values_j W_dec[indices_j] + b_dec. */
  decodeSparse(indices: Tensor, values: Tensor): Tensor {
    return super.decode(indices, values);
  }
}
