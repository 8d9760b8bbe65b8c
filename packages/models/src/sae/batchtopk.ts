/**
 * The `batchtopk` SAE: Bussmann et al. 2024, "BatchTopK sparse autoencoders". TopK over the whole batch: in
 * training, the k * B largest of ReLU(W_enc (x - b_dec) + b_enc) across a batch of B are kept, so the number of
 * active latents varies per sample and averages k. At inference no batch is needed: a latent is active where its
 * pre-activation exceeds one threshold theta, estimated in training as SAELens does, by a running average of
 * the smallest kept activation (theta <- (1 - thresholdLr) theta + thresholdLr * min, after every step). The
 * rest is Gao et al.'s TopK, as ./topk-openai.ts: b_dec from the data mean, W_enc = W_dec^T at init, unit-norm
 * decoder rows, loss = mse / var(x) + auxCoef * AuxK on dead latents.
 *
 * The code is sparse: [B, m] with m the most latents active in any row of the batch, the kept ids of each row
 * first, the rest 0; only those rows of W_enc and W_dec are touched on the tape (gatherDot, gatherCombine).
 * SAELens saves a BatchTopK SAE for inference as a JumpReLU one, `threshold` = theta for every latent; so do we
 * (cfg.json architecture 'jumprelu'), with our variant and k to rebuild it. theta is not a parameter: a
 * checkpoint of the parameters does not hold it (`sae.threshold` is the number to keep beside one).
 */
import {
  gatherLast, gt, kaimingUniform, mean, mul, noGrad, normalize, square, sub, tensor, topkIndices, where, zeros,
  type Adam, type Rng, type Tensor,
} from '@saelab/tensor';
import type { LoadedTensor, NamedTensor } from '../io/safetensors.js';
import { fileTensor, initRng, type SaeArchitectureFields, type SaeFileConfig, type SaeOutput } from './architecture.js';
import { check, relu, unitNormDecoder } from './shared.js';
import { completeTopKConfig, TopKSAE, type TopKCode, type TopKConfig } from './topk.js';

export interface BatchTopKConfig extends TopKConfig<'batchtopk'> {
  // dIn, dSae, k (latents per sample on average over a batch), auxK, auxCoef, deadAfter: as TopK (./topk.ts)
  thresholdLr?: number; // 0.01: the running average's rate for the inference threshold (SAELens's topk_threshold_lr)
}

/** The BatchTopK SAE's own default (the rest are TopK's). */
export const batchTopKDefaults = { thresholdLr: 0.01 };

/** The config with its defaults filled in, validated (a bad value throws naming the field and the rule). */
export function completeBatchTopKConfig(config: BatchTopKConfig): Required<BatchTopKConfig> {
  const c = { ...batchTopKDefaults, ...completeTopKConfig(config) };
  check('thresholdLr', c.thresholdLr, c.thresholdLr > 0 && c.thresholdLr <= 1, 'a number in (0, 1] (SAELens: 0.01)');
  return c;
}

export class BatchTopKSAE extends TopKSAE<'batchtopk'> {
  /** theta, the inference threshold (float32, as the file holds it); 0 until training has seen a batch. */
  threshold = 0;
  /** The last training forward pass's smallest kept activation, for the step's threshold update. */
  private keptMinimum: number | undefined;

  /** Initialises from `seed` (its 'init' fork); `dataMean` ([d_in]) sets b_dec, as Gao et al. do. */
  constructor(config: BatchTopKConfig, seed: number | Rng, dataMean?: ArrayLike<number>) {
    const cfg = completeBatchTopKConfig(config);
    const { dIn, dSae } = cfg;
    if (dataMean && dataMean.length !== dIn) {
      throw new Error(`batchtopk SAE: dataMean has ${dataMean.length} values, expected d_in = ${dIn}`);
    }
    const W_dec = normalize(kaimingUniform([dSae, dIn], dIn, initRng(seed).fork('decoder'))).requireGrad();
    super(cfg, {
      W_enc: tensor(W_dec.toArray(), [dSae, dIn]).requireGrad(), // tied init: W_enc = W_dec^T
      b_enc: zeros([dSae]).requireGrad(),
      W_dec,
      b_dec: (dataMean ? tensor(Array.from(dataMean), [dIn]) : zeros([dIn])).requireGrad(),
    });
  }

  declare readonly cfg: Required<BatchTopKConfig>;

  protected get encodesCentred(): boolean {
    return true;
  }

  protected activate(pre: Tensor): Tensor {
    return relu(pre);
  }

  /** The inference code: latents whose pre-activation exceeds theta (SAELens's JumpReLU with it). */
  override encode(x: Tensor): TopKCode {
    const pre = this.preActivations(x);
    return this.codeOf(x, pre, noGrad(() => gt(pre, this.threshold)));
  }

  /** The training code: the k * B largest ReLU'd pre-activations of the batch. */
  encodeBatch(x: Tensor): TopKCode & { keptMinimum: number | undefined } {
    const pre = this.preActivations(x);
    const v = pre.toArray();
    const keep = Math.min(Math.floor(this.cfg.k * x.shape[0]!), v.length);
    const sorted = Float32Array.from(v).sort(); // ascending
    const cut = sorted[v.length - keep]!; // the keep-th largest
    let ties = keep - sorted.filter((s) => s > cut).length; // entries equal to the cut that still fit, first first
    const kept = new Float32Array(v.length);
    let keptMinimum: number | undefined;
    for (let i = 0; i < v.length; i++) {
      const take = v[i]! > cut || (v[i] === cut && ties-- > 0);
      if (take && v[i]! > 0) { // ReLU first: a kept 0 is inactive
        kept[i] = 1;
        keptMinimum = Math.min(keptMinimum ?? Infinity, v[i]!);
      }
    }
    return { ...this.codeOf(x, pre, tensor(kept, pre.shape, pre.backend)), keptMinimum };
  }

  /** The sparse code of the latents `active` [B, d_sae] marks: each row's first, the rest padded with 0s. */
  private codeOf(x: Tensor, pre: Tensor, active: Tensor): TopKCode {
    const [B, n] = pre.shape as [number, number];
    const a = active.toArray();
    let m = 1;
    for (let b = 0; b < B; b++) {
      let count = 0;
      for (let j = 0; j < n; j++) count += a[b * n + j]!;
      m = Math.max(m, count);
    }
    const indices = noGrad(() => topkIndices(where(active, pre, -Infinity), m));
    const mask = noGrad(() => gatherLast(active, indices));
    return { indices, values: mul(relu(this.preAt(x, indices)), mask), pre };
  }

  override forward(x: Tensor, dataVariance = 1): SaeOutput {
    const code = this.encodeBatch(x);
    this.keptMinimum = code.keptMinimum;
    const xHat = this.decode(code.indices, code.values);
    const residual = sub(x, xHat);
    const mse = mean(square(residual));
    const { loss, aux } = this.objective(x, code, residual, mse, dataVariance);
    return { loss, mse, aux, xHat, indices: code.indices, values: code.values };
  }

  /** theta, which a checkpoint of the parameters does not hold. */
  override trainingState(): Record<string, number> {
    return { threshold: this.threshold };
  }

  override restoreTrainingState(state: Record<string, number>): void {
    if (typeof state.threshold !== 'number') {
      throw new Error('batchtopk SAE: the checkpoint has no threshold; delete it to retrain from the start');
    }
    this.threshold = state.threshold;
  }

  /** The step, then theta's running-average update from the step's smallest kept activation. */
  override trainStep(x: Tensor, opt: Adam, dataVariance = 1, checkLoss?: (loss: number) => void): number {
    const loss = super.trainStep(x, opt, dataVariance, checkLoss);
    if (this.keptMinimum !== undefined) {
      const lr = this.cfg.thresholdLr;
      this.threshold = Math.fround((1 - lr) * this.threshold + lr * this.keptMinimum);
    }
    return loss;
  }

  /** loss = mse / var(x) + auxCoef * AuxK, as ./topk-openai.ts (./topk.ts, gaoObjective). */
  protected objective(x: Tensor, code: TopKCode, residual: Tensor, mse: Tensor, dataVariance: number):
    { loss: Tensor; aux: Tensor } {
    return this.gaoObjective(x, code, residual, mse, dataVariance);
  }

  override constrainDecoder(when: 'beforeStep' | 'afterStep'): void {
    unitNormDecoder(this.W_dec, when);
  }

  /** SAELens's inference form, a JumpReLU SAE, plus our variant, k and the settings off their defaults. */
  override fileFields(): SaeArchitectureFields {
    const { k, variant, thresholdLr } = this.cfg;
    const { k: _k, architecture: _topk, activation_fn: _fn, activation_fn_kwargs: _kw, ...rest } = super.fileFields();
    return {
      k, ...rest, architecture: 'jumprelu', variant, activation_fn: 'relu',
      ...(thresholdLr !== batchTopKDefaults.thresholdLr && { topk_threshold_lr: thresholdLr }),
    };
  }

  static override configFromFile(file: SaeFileConfig): BatchTopKConfig {
    const c: BatchTopKConfig = { ...TopKSAE.configFromFile(file), variant: 'batchtopk' };
    if (file.topk_threshold_lr !== undefined) c.thresholdLr = file.topk_threshold_lr as number;
    return c;
  }

  /** The base's state dict and `threshold`: theta for every latent, as SAELens saves a BatchTopK SAE. */
  override stateDict(): Record<string, NamedTensor> {
    return { ...super.stateDict(), threshold: { shape: [this.cfg.dSae], data: new Float32Array(this.cfg.dSae)
      .fill(this.threshold) } };
  }

  override loadStateDict(tensors: Record<string, LoadedTensor>, source: string): void {
    super.loadStateDict(tensors, source);
    const theta = Array.from(fileTensor(tensors, 'threshold', [this.cfg.dSae], source).toArray());
    if (theta.some((t) => t !== theta[0])) {
      throw new Error(`${source}: a BatchTopK SAE's threshold is one number for every latent; this one varies`);
    }
    this.threshold = theta[0]!;
  }
}
