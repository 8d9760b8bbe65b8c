/**
 * The `husai` TopK SAE: what the original report trained (HUSAI `src/`; ../shared/PROTOCOL.md). Untied
 * Kaiming-uniform init, no decoder bias, the top-k of raw pre-activations (no ReLU, so kept values may be
 * negative), MSE + an auxiliary term, decoder rows renormalised after every step.
 */
import {
  abs, add, gatherLast, kaimingUniform, maskedAbsTopk, mul, noGrad, normalize, ones, scatterLast, square, sub, sum,
  zeros,
  type Rng, type Tensor,
} from '@saelab/tensor';
import { initRng } from './architecture.js';
import { completeTopKConfig, TopKSAE, type TopKCode, type TopKConfig } from './topk.js';

export class HusaiTopKSAE extends TopKSAE<'husai'> {
  /** Initialises from `seed` (its 'init' fork). */
  constructor(config: TopKConfig<'husai'>, seed: number | Rng) {
    const cfg = completeTopKConfig(config);
    const { dIn, dSae } = cfg;
    const rng = initRng(seed);
    super(cfg, {
      // nn.Linear(d_in, d_sae).weight is [d_sae, d_in]: kaiming_uniform_ with fan_in = d_in.
      W_enc: kaimingUniform([dSae, dIn], dIn, rng.fork('encoder')).requireGrad(),
      b_enc: zeros([dSae]).requireGrad(),
      // nn.Linear(d_sae, d_in).weight is [d_in, d_sae] with fan_in = d_sae; we hold its transpose.
      W_dec: normalize(kaimingUniform([dSae, dIn], dSae, rng.fork('decoder'))).requireGrad(),
      b_dec: zeros([dIn]), // no decoder bias: a constant zero, not a parameter
    });
  }

  protected get encodesCentred(): boolean {
    return false;
  }

  protected activate(pre: Tensor): Tensor {
    return pre;
  }

  /** Every selected latent fires, whatever its (raw) value. */
  protected override fires(): boolean {
    return true;
  }

  /**
   * loss = mse + aux, aux = (1/k) mean_b (sum of the k largest of err_b * |pre_b| * (1 - mask_b)),
   * err_b = ||x_b - x_hat_b||^2.
   */
  protected objective(x: Tensor, code: TopKCode, residual: Tensor, mse: Tensor): { loss: Tensor; aux: Tensor } {
    const { indices, pre } = code;
    const B = x.shape[0]!;
    const err = sum(square(residual), -1, true); // [B, 1]
    // [B, d_sae], 1 at the top-k
    const mask = noGrad(() => scatterLast(ones(indices.shape, x.backend), indices, this.cfg.dSae));
    const auxIdx = noGrad(() => maskedAbsTopk(pre, mask, err, this.cfg.k)); // topk of |pre| (1 - mask) err
    const picked = mul(mul(abs(this.preAt(x, auxIdx)), sub(1, gatherLast(mask, auxIdx))), err); // [B, k]
    const aux = mul(sum(picked), 1 / (this.cfg.k * B));
    return { loss: add(mse, aux), aux };
  }
}
