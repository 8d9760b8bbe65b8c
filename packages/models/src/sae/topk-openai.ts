/**
 * The `openai` TopK SAE: Gao et al. 2024, "Scaling and evaluating sparse autoencoders". Pre-encoder bias
 * b_dec from the data mean, encoder initialised as the decoder transpose, ReLU(topk), unit-norm decoder rows
 * whose gradient loses its parallel component, AuxK on dead latents, loss normalised by the data variance.
 */
import {
  add, gatherCombine, gt, kaimingUniform, mean, mul, noGrad, normalize, square, sub, sum, tensor, topkIndices, where,
  zeros, type Rng, type Tensor,
} from '@saelab/tensor';
import { initRng } from './architecture.js';
import { completeTopKConfig, TopKSAE, type TopKCode, type TopKConfig } from './topk.js';

const relu = (t: Tensor): Tensor => where(gt(t, 0), t, 0);

export class OpenaiTopKSAE extends TopKSAE<'openai'> {
  /** Initialises from `seed` (its 'init' fork); `dataMean` ([d_in]) sets b_dec, as Gao et al. do. */
  constructor(config: TopKConfig<'openai'>, seed: number | Rng, dataMean?: ArrayLike<number>) {
    const cfg = completeTopKConfig(config);
    const { dIn, dSae } = cfg;
    if (dataMean && dataMean.length !== dIn) {
      throw new Error(`openai SAE: dataMean has ${dataMean.length} values, expected d_in = ${dIn}`);
    }
    const W_dec = normalize(kaimingUniform([dSae, dIn], dIn, initRng(seed).fork('decoder'))).requireGrad();
    super(cfg, {
      W_enc: tensor(W_dec.toArray(), [dSae, dIn]).requireGrad(), // tied init: W_enc = W_dec^T
      b_enc: zeros([dSae]).requireGrad(),
      W_dec,
      b_dec: (dataMean ? tensor(Array.from(dataMean), [dIn]) : zeros([dIn])).requireGrad(),
    });
  }

  protected get encodesCentred(): boolean {
    return true;
  }

  protected activate(pre: Tensor): Tensor {
    return relu(pre);
  }

  /** loss = mse / var(x) + auxCoef * AuxK. */
  protected objective(x: Tensor, code: TopKCode, residual: Tensor, mse: Tensor, dataVariance: number):
    { loss: Tensor; aux: Tensor } {
    const aux = this.auxK(x, code.pre, residual);
    return { loss: add(mul(mse, 1 / dataVariance), aux), aux };
  }

  /** Gao et al.'s AuxK: the top-k_aux dead latents reconstruct the (detached) residual. */
  private auxK(x: Tensor, pre: Tensor, residual: Tensor): Tensor {
    const dead = Array.from(this.sinceFired, (s) => (s >= this.cfg.deadAfter ? 1 : 0));
    const nDead = dead.reduce<number>((a, b) => a + b, 0);
    if (nDead === 0) return zeros([], x.backend);
    const kAux = Math.min(this.cfg.auxK, nDead);
    const e = residual.detach();
    const auxIdx = noGrad(() => topkIndices(where(tensor(dead, [this.cfg.dSae], x.backend), pre, -Infinity), kAux));
    const eHat = gatherCombine(relu(this.preAt(x, auxIdx)), auxIdx, this.W_dec);
    const scale = noGrad(() => mean(square(sub(e, mean(e, 0, true)))).item()) || 1;
    return mul(mean(square(sub(e, eHat))), this.cfg.auxCoef / scale);
  }

  /** Before the step, each decoder row's gradient loses its component along the row; after it, rows renormalise. */
  override constrainDecoder(when: 'beforeStep' | 'afterStep'): void {
    const g = this.W_dec.grad;
    if (when === 'beforeStep' && g) {
      noGrad(() => { this.W_dec.grad = sub(g, mul(sum(mul(g, this.W_dec), -1, true), this.W_dec)); });
    }
    super.constrainDecoder(when);
  }
}
