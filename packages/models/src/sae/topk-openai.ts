/**
 * The `openai` TopK SAE: Gao et al. 2024, "Scaling and evaluating sparse autoencoders". Pre-encoder bias
 * b_dec from the data mean, encoder initialised as the decoder transpose, ReLU(topk), unit-norm decoder rows
 * whose gradient loses its parallel component, AuxK on dead latents, loss normalised by the data variance.
 */
import { kaimingUniform, normalize, tensor, zeros, type Rng, type Tensor } from '@saelab/tensor';
import { initRng } from './architecture.js';
import { relu, unitNormDecoder } from './shared.js';
import { completeTopKConfig, TopKSAE, type TopKCode, type TopKConfig } from './topk.js';

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

  /** loss = mse / var(x) + auxCoef * AuxK (./topk.ts, gaoObjective). */
  protected objective(x: Tensor, code: TopKCode, residual: Tensor, mse: Tensor, dataVariance: number):
    { loss: Tensor; aux: Tensor } {
    return this.gaoObjective(x, code, residual, mse, dataVariance);
  }

  /** Before the step, each decoder row's gradient loses its component along the row; after it, rows renormalise. */
  override constrainDecoder(when: 'beforeStep' | 'afterStep'): void {
    unitNormDecoder(this.W_dec, when);
  }
}
