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
  gt, matmul, mul, noGrad, normalize, sub, sum, tensor, where, type Tensor,
} from '@saelab/tensor';
import { SparseAutoencoder, type SaeConfigBase } from './architecture.js';

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
export abstract class DenseSAE<C extends SaeConfigBase> extends SparseAutoencoder<C> {
  /** The dense code's ids: 0..d_sae-1 in each of B rows. */
  protected denseIds(B: number, like: Tensor): Tensor {
    const n = this.cfg.dSae;
    return tensor(Float32Array.from({ length: B * n }, (_, i) => i % n), [B, n], like.backend);
  }

  /** x_hat = f W_dec + b_dec for a dense code f [B, d_sae]. */
  protected decodeDense(f: Tensor): Tensor {
    return matmul(f, this.W_dec, { bias: this.b_dec });
  }

  /** The dense product where the code is this SAE's dense code (the forward pass's own), else the sparse one. */
  override decode(indices: Tensor, values: Tensor): Tensor {
    const n = this.cfg.dSae;
    if (indices.rank === 2 && indices.shape[1] === n) {
      const ids = indices.toArray();
      if (ids.every((id, i) => id === i % n)) return this.decodeDense(values);
    }
    return super.decode(indices, values);
  }

  /** A dense code's sparse product, for tests: sum_j values_j W_dec[indices_j] + b_dec. */
  decodeSparse(indices: Tensor, values: Tensor): Tensor {
    return super.decode(indices, values);
  }
}
