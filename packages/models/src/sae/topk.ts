/**
 * What the TopK SAEs share (the variants are ./topk-husai.ts and ./topk-openai.ts): the code keeps the k
 * largest pre-activations of each sample, decoder rows are renormalised after every step, and the config
 * holds k and the AuxK settings. The dense encoder product is needed only to choose the k latents, and runs
 * off the tape; on the tape, only the k chosen rows per sample are touched.
 */
import {
  add, gatherCombine, gatherDot, gatherRows, matmul, mean, mul, noGrad, normalize, reshape, square, sub, tensor,
  topkIndices, where, zeros, type Tensor,
} from '@saelab/tensor';
import {
  SparseAutoencoder, type SaeArchitectureFields, type SaeCode, type SaeFileConfig, type SaeOutput, type SaeParameters,
} from './architecture.js';
import { relu } from './shared.js';

export interface TopKConfig<V extends string = string> {
  dIn: number; // 128: the transformer's d_model
  dSae: number; // 1024: expansion 8
  k: number; // 32 latents kept per sample
  variant: V;
  auxK?: number; // openai: latents in the AuxK reconstruction; default min(256, dIn / 2)
  auxCoef?: number; // openai: AuxK weight; default 1/32
  deadAfter?: number; // openai: a latent unfired for this many samples is dead; default 10_000
}

/** The AuxK defaults for an input width. */
function auxDefaults(dIn: number): { auxK: number; auxCoef: number; deadAfter: number } {
  return { auxK: Math.min(256, Math.floor(dIn / 2)), auxCoef: 1 / 32, deadAfter: 10_000 };
}

/** The config with its defaults filled in, validated. */
export function completeTopKConfig<V extends string>(config: TopKConfig<V>): Required<TopKConfig<V>> {
  const c = { ...auxDefaults(config.dIn), ...config };
  for (const key of ['dIn', 'dSae', 'k', 'auxK', 'deadAfter'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) {
      throw new Error(`SAE config: ${key} (${c[key]}) must be a positive integer`);
    }
  }
  if (c.k > c.dSae) throw new Error(`SAE config: k (${c.k}) must be <= d_sae (${c.dSae})`);
  return c;
}

export abstract class TopKSAE<V extends string = string> extends SparseAutoencoder<TopKConfig<V>> {
  /** Whether the encoder sees x - b_dec (SAELens's apply_b_dec_to_input). */
  protected abstract get encodesCentred(): boolean;

  /** The kept pre-activations [B, k] -> the code's values. */
  protected abstract activate(pre: Tensor): Tensor;

  /** The variant's loss from the reconstruction's parts. */
  protected abstract objective(x: Tensor, code: TopKCode, residual: Tensor, mse: Tensor, dataVariance: number):
    { loss: Tensor; aux: Tensor };

  protected constructor(cfg: Required<TopKConfig<V>>, p: SaeParameters) {
    super(cfg, p);
  }

  /** Pre-activations of every latent, off the tape: x [B, d_in] -> [B, d_sae]. */
  preActivations(x: Tensor): Tensor {
    return noGrad(() => matmul(this.centred(x), this.W_enc, { transB: true, bias: this.b_enc }));
  }

  /** The sparse code of x: the top-k latents and their (activated) values, on the tape; `pre` for the losses. */
  encode(x: Tensor): TopKCode {
    const pre = this.preActivations(x);
    const indices = noGrad(() => topkIndices(pre, this.cfg.k));
    return { indices, values: this.activate(this.preAt(x, indices)), pre };
  }

  forward(x: Tensor, dataVariance = 1): SaeOutput {
    const code = this.encode(x);
    const xHat = this.decode(code.indices, code.values);
    const residual = sub(x, xHat);
    const mse = mean(square(residual));
    const { loss, aux } = this.objective(x, code, residual, mse, dataVariance);
    return { loss, mse, aux, xHat, indices: code.indices, values: code.values };
  }

  /** Decoder rows back to unit norm after every step. */
  override constrainDecoder(when: 'beforeStep' | 'afterStep'): void {
    if (when === 'afterStep') noGrad(() => this.W_dec.assign(normalize(this.W_dec)));
  }

  /**
   * SAELens's TopK fields, then the AuxK settings where they differ from the defaults: a file of an SAE with
   * default settings keeps the layout the committed results have.
   */
  fileFields(): SaeArchitectureFields {
    const { k, variant, auxK, auxCoef, deadAfter } = this.cfg;
    const d = auxDefaults(this.cfg.dIn);
    return {
      k, architecture: 'topk', variant, activation_fn: 'topk', activation_fn_kwargs: { k },
      apply_b_dec_to_input: this.encodesCentred,
      ...(auxK !== d.auxK && { aux_k: auxK }),
      ...(auxCoef !== d.auxCoef && { aux_coef: auxCoef }),
      ...(deadAfter !== d.deadAfter && { dead_after: deadAfter }),
    };
  }

  /** The config a TopK cfg.json describes (the inverse of `fileFields`). */
  static configFromFile(file: SaeFileConfig): TopKConfig {
    if (file.k === undefined) throw new Error(`SAE file config: a TopK SAE needs k; this one has none`);
    const c: TopKConfig = { dIn: file.d_in, dSae: file.d_sae, k: file.k, variant: file.variant };
    if (file.aux_k !== undefined) c.auxK = file.aux_k as number;
    if (file.aux_coef !== undefined) c.auxCoef = file.aux_coef as number;
    if (file.dead_after !== undefined) c.deadAfter = file.dead_after as number;
    return c;
  }

  /**
   * Gao et al.'s objective (openai, batchtopk): mse / var(x) + auxCoef * AuxK, where AuxK has the top-k_aux dead
   * latents (unfired for deadAfter samples) reconstruct the detached residual, scaled by its variance.
   */
  protected gaoObjective(x: Tensor, code: TopKCode, residual: Tensor, mse: Tensor, dataVariance: number):
    { loss: Tensor; aux: Tensor } {
    const aux = this.auxK(x, code.pre, residual);
    return { loss: add(mul(mse, 1 / dataVariance), aux), aux };
  }

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

  /** Pre-activations of the chosen latents only, on the tape: [B, k]. */
  protected preAt(x: Tensor, indices: Tensor): Tensor {
    const bias = reshape(gatherRows(reshape(this.b_enc, [-1, 1]), indices), indices.shape); // b_enc[indices]
    return add(gatherDot(this.centred(x), this.W_enc, indices), bias);
  }

  private centred(x: Tensor): Tensor {
    return this.encodesCentred ? sub(x, this.b_dec) : x;
  }
}

/** A TopK code: [B, k] ids and values, and every latent's pre-activation [B, d_sae] (off the tape). */
export interface TopKCode extends SaeCode {
  pre: Tensor;
}
