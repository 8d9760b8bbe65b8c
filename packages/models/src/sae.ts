/**
 * TopK sparse autoencoders, in the two variants of the protocol (../shared/PROTOCOL.md):
 * - `husai`: what the original report trained (HUSAI `src/`): untied Kaiming-uniform init, no
 *   decoder bias, the top-k of raw pre-activations (no ReLU, so kept values may be negative),
 *   MSE + an auxiliary term, decoder rows renormalised after every step.
 * - `openai`: Gao et al. 2024, "Scaling and evaluating sparse autoencoders": pre-encoder bias
 *   b_dec from the data mean, encoder initialised as the decoder transpose, ReLU(topk), unit-norm
 *   decoder rows whose gradient loses its parallel component, AuxK on dead latents, loss
 *   normalised by the data variance.
 *
 * Both keep W_enc and W_dec as [d_sae, d_in], one row per latent, so that after the top-k the
 * forward and backward passes touch only the k chosen rows per sample (gatherDot, gatherCombine,
 * scatterOuter): no dense [batch, d_sae] gradient is ever built. The dense encoder product is
 * needed only to choose the k latents, and runs off the tape.
 */
import {
  type Adam, abs, add, gatherCombine, gatherDot, gatherLast, gatherRows, gt, kaimingUniform, mean, Module, mul, noGrad,
  normalize, reshape, Rng, scatterLast, square, sub, sum, tensor, topkIndices, where, zeros, ones, matmul, type Tensor,
} from '@saelab/tensor';

export type SaeVariant = 'husai' | 'openai';

export interface SaeConfig {
  dIn: number; // 128: the transformer's d_model
  dSae: number; // 1024: expansion 8
  k: number; // 32 latents kept per sample
  variant: SaeVariant;
  auxK?: number; // openai: latents in the AuxK reconstruction; default min(256, dIn / 2)
  auxCoef?: number; // openai: AuxK weight; default 1/32
  deadAfter?: number; // openai: a latent unfired for this many samples is dead; default 10_000
}

/** What one forward pass produced: the loss and its parts, and the sparse code. */
export interface SaeOutput {
  loss: Tensor;
  mse: Tensor; // mean squared error over all elements
  aux: Tensor; // the variant's auxiliary term (already weighted)
  xHat: Tensor; // [B, d_in]
  indices: Tensor; // [B, k] latent ids
  values: Tensor; // [B, k] latent activations
}

export class TopKSAE extends Module {
  readonly cfg: Required<SaeConfig>;
  readonly W_enc: Tensor; // [d_sae, d_in]
  readonly b_enc: Tensor; // [d_sae]
  readonly W_dec: Tensor; // [d_sae, d_in], unit-norm rows
  readonly b_dec: Tensor; // [d_in]; zeros and untrained for husai
  /** Samples since each latent last fired (openai AuxK bookkeeping). */
  readonly sinceFired: Float64Array;
  /** Firings per latent since the caller last zeroed this (dead-latent statistics). */
  readonly firings: Float64Array;

  /**
   * Initialises from `seed` (init draws use its 'init' fork). `dataMean` ([d_in]) sets b_dec for
   * the openai variant, as Gao et al. do.
   */
  constructor(config: SaeConfig, seed: number | Rng, dataMean?: ArrayLike<number>) {
    super();
    this.cfg = { auxK: Math.min(256, Math.floor(config.dIn / 2)), auxCoef: 1 / 32, deadAfter: 10_000, ...config };
    validateSaeConfig(this.cfg);
    const { dIn, dSae, variant } = this.cfg;
    const rng = (typeof seed === 'number' ? new Rng(seed) : seed).fork('init');
    this.sinceFired = new Float64Array(dSae);
    this.firings = new Float64Array(dSae);
    if (variant === 'husai') {
      // nn.Linear(d_in, d_sae).weight is [d_sae, d_in]: kaiming_uniform_ with fan_in = d_in.
      this.W_enc = kaimingUniform([dSae, dIn], dIn, rng.fork('encoder')).requireGrad();
      this.b_enc = zeros([dSae]).requireGrad();
      // nn.Linear(d_sae, d_in).weight is [d_in, d_sae] with fan_in = d_sae; we hold its transpose.
      this.W_dec = normalize(kaimingUniform([dSae, dIn], dSae, rng.fork('decoder'))).requireGrad();
      this.b_dec = zeros([dIn]); // husai has no decoder bias: a constant zero, not a parameter
    } else {
      this.W_dec = normalize(kaimingUniform([dSae, dIn], dIn, rng.fork('decoder'))).requireGrad();
      this.W_enc = tensor(this.W_dec.toArray(), [dSae, dIn]).requireGrad(); // tied init: W_enc = W_dec^T
      this.b_enc = zeros([dSae]).requireGrad();
      if (dataMean && dataMean.length !== dIn) throw new Error(`TopKSAE: dataMean has ${dataMean.length} values, expected d_in = ${dIn}`);
      this.b_dec = (dataMean ? tensor(Array.from(dataMean), [dIn]) : zeros([dIn])).requireGrad();
    }
  }

  /** Pre-activations of every latent, off the tape: x [B, d_in] -> [B, d_sae]. */
  preActivations(x: Tensor): Tensor {
    return noGrad(() => matmul(this.centred(x), this.W_enc, { transB: true, bias: this.b_enc }));
  }

  /** The sparse code of x: top-k latents and their values (ReLU'd for openai), on the tape. */
  encode(x: Tensor): { indices: Tensor; values: Tensor; pre: Tensor } {
    const pre = this.preActivations(x);
    const indices = noGrad(() => topkIndices(pre, this.cfg.k));
    let values = this.preAt(x, indices);
    if (this.cfg.variant === 'openai') values = where(gt(values, 0), values, 0);
    return { indices, values, pre };
  }

  /** x_hat = sum_j values_j W_dec[indices_j] (+ b_dec): [B, k] code -> [B, d_in]. */
  decode(indices: Tensor, values: Tensor): Tensor {
    return add(gatherCombine(values, indices, this.W_dec), this.b_dec);
  }

  /** Forward pass with the variant's loss: `sae.forward(x).loss.backward()`. */
  forward(x: Tensor, dataVariance = 1): SaeOutput {
    const { indices, values, pre } = this.encode(x);
    const xHat = this.decode(indices, values);
    const residual = sub(x, xHat);
    const mse = mean(square(residual));
    const B = x.shape[0]!;
    let aux: Tensor;
    if (this.cfg.variant === 'husai') {
      // aux = (1/k) mean_b sum of the k largest of err_b * |pre_b| * (1 - mask_b), err_b = ||x_b - x_hat_b||^2.
      const err = sum(square(residual), -1, true); // [B, 1]
      const mask = noGrad(() => scatterLast(ones(indices.shape, x.backend), indices, this.cfg.dSae)); // [B, d_sae], 1 at the top-k
      const auxIdx = noGrad(() => topkIndices(mul(mul(abs(pre), sub(1, mask)), err), this.cfg.k));
      const picked = mul(mul(abs(this.preAt(x, auxIdx)), sub(1, gatherLast(mask, auxIdx))), err); // [B, k]
      aux = mul(sum(picked), 1 / (this.cfg.k * B));
      return { loss: add(mse, aux), mse, aux, xHat, indices, values };
    }
    // openai: loss = mse / var(x) + auxCoef * AuxK, AuxK reconstructing the residual from dead latents.
    aux = this.auxK(x, pre, residual);
    return { loss: add(mul(mse, 1 / dataVariance), aux), mse, aux, xHat, indices, values };
  }

  /** Gao et al.'s AuxK: the top-k_aux dead latents reconstruct the (detached) residual. */
  private auxK(x: Tensor, pre: Tensor, residual: Tensor): Tensor {
    const dead = Array.from(this.sinceFired, (s) => (s >= this.cfg.deadAfter ? 1 : 0));
    const nDead = dead.reduce<number>((a, b) => a + b, 0);
    if (nDead === 0) return zeros([], x.backend);
    const kAux = Math.min(this.cfg.auxK, nDead);
    const e = residual.detach();
    const auxIdx = noGrad(() => topkIndices(where(tensor(dead, [this.cfg.dSae], x.backend), pre, -Infinity), kAux));
    const auxVals = this.preAt(x, auxIdx);
    const relu = where(gt(auxVals, 0), auxVals, 0);
    const eHat = gatherCombine(relu, auxIdx, this.W_dec);
    const scale = noGrad(() => mean(square(sub(e, mean(e, 0, true)))).item()) || 1;
    return mul(mean(square(sub(e, eHat))), this.cfg.auxCoef / scale);
  }

  /** Pre-activations of the chosen latents only, on the tape: [B, k]. */
  private preAt(x: Tensor, indices: Tensor): Tensor {
    const bias = reshape(gatherRows(reshape(this.b_enc, [-1, 1]), indices), indices.shape); // b_enc[indices]
    return add(gatherDot(this.centred(x), this.W_enc, indices), bias);
  }

  private centred(x: Tensor): Tensor {
    return this.cfg.variant === 'openai' ? sub(x, this.b_dec) : x;
  }

  /**
   * One training step as the experiment runs it: the loss, its gradients, the variant's decoder constraints
   * around the optimiser step, and the firing counts. Returns the loss (before the update); `checkLoss` sees it
   * before the backward pass and may throw to stop a diverged run before the parameters change.
   *   const loss = tidy(() => sae.trainStep(x, opt));
   */
  trainStep(x: Tensor, opt: Adam, dataVariance = 1, checkLoss?: (loss: number) => void): number {
    opt.zeroGrad();
    const out = this.forward(x, dataVariance);
    const loss = out.loss.item();
    checkLoss?.(loss);
    out.loss.backward();
    this.constrainDecoder('beforeStep');
    opt.step();
    this.constrainDecoder('afterStep');
    this.recordFirings(out.indices, out.values);
    return loss;
  }

  /**
   * Counts which latents fired in a batch's code (a husai latent fires when selected; an openai
   * latent when selected with a positive value). Call once per training step.
   */
  recordFirings(indices: Tensor, values: Tensor): void {
    const idx = indices.toArray();
    const val = values.toArray();
    const firedNow = new Uint8Array(this.cfg.dSae);
    for (let i = 0; i < idx.length; i++) {
      if (this.cfg.variant === 'husai' || val[i]! > 0) firedNow[idx[i]!] = 1;
    }
    const batch = indices.shape[0]!;
    for (let l = 0; l < this.cfg.dSae; l++) {
      if (firedNow[l]) this.sinceFired[l] = 0;
      else this.sinceFired[l]! += batch;
    }
    for (let i = 0; i < idx.length; i++) {
      if (this.cfg.variant === 'husai' || val[i]! > 0) this.firings[idx[i]!]!++;
    }
  }

  /**
   * Keeps decoder rows at unit norm. Before the optimiser step (openai) it removes each row's
   * gradient component parallel to the row; after it (both variants) it renormalises the rows.
   */
  constrainDecoder(when: 'beforeStep' | 'afterStep'): void {
    noGrad(() => {
      if (when === 'beforeStep') {
        const g = this.W_dec.grad;
        if (this.cfg.variant === 'openai' && g) {
          this.W_dec.grad = sub(g, mul(sum(mul(g, this.W_dec), -1, true), this.W_dec));
        }
      } else {
        this.W_dec.assign(normalize(this.W_dec));
      }
    });
  }
}

function validateSaeConfig(c: Required<SaeConfig>): void {
  for (const key of ['dIn', 'dSae', 'k', 'auxK', 'deadAfter'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`SAE config: ${key} (${c[key]}) must be a positive integer`);
  }
  if (c.k > c.dSae) throw new Error(`SAE config: k (${c.k}) must be <= d_sae (${c.dSae})`);
  if (c.variant !== 'husai' && c.variant !== 'openai') throw new Error(`SAE config: variant '${String(c.variant)}' must be 'husai' or 'openai'`);
}
