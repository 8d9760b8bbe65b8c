/**
 * What every SAE architecture shares, and what each must state. An architecture is a subclass of
 * `SparseAutoencoder` (its init, code, loss, decoder constraints, cfg.json fields) registered by name in
 * ./index.ts; the training step, the firing counts, the decoder and the SAELens state dict are written here once.
 *
 * Every architecture keeps W_enc and W_dec as [d_sae, d_in], one row per latent, so that a sparse code
 * touches only its latents' rows (gatherDot, gatherCombine, scatterOuter). A code is [B, m] latent ids
 * with their values, an entry with value 0 being inactive: TopK SAEs give m = k; an SAE whose number of
 * active latents varies per sample (ReLU + L1, JumpReLU) may give the dense code, m = d_sae with ids
 * 0..d_sae-1 in every row, at the price of a dense decoder product.
 */
import {
  type Adam, add, gatherCombine, Module, mul, noGrad, Rng, tensor, transpose, type Tensor,
} from '@saelab/tensor';
import type { LoadedTensor, NamedTensor } from '../io/safetensors.js';

/** The fields every architecture's config has; each adds its own hyperparameters. */
export interface SaeConfigBase {
  dIn: number; // 128: the transformer's d_model
  dSae: number; // 1024: expansion 8
  variant: string; // the architecture's name in the registry (./index.ts)
}

/** A batch's sparse code: [B, m] latent ids and their activations (0 = inactive). */
export interface SaeCode {
  indices: Tensor;
  values: Tensor;
}

/** What one forward pass produced: the loss and its parts, and the sparse code. */
export interface SaeOutput extends SaeCode {
  loss: Tensor;
  mse: Tensor; // mean squared error over all elements
  aux: Tensor; // the architecture's other loss term, already weighted (an auxiliary loss, a sparsity penalty)
  xHat: Tensor; // [B, d_in]
}

/** The parameters every SAELens architecture has; one may add more (gated's r_mag, JumpReLU's threshold). */
export interface SaeParameters {
  W_enc: Tensor; // [d_sae, d_in]
  b_enc: Tensor; // [d_sae]
  W_dec: Tensor; // [d_sae, d_in]
  b_dec: Tensor; // [d_in]; a constant (no gradient) where the architecture has no decoder bias
}

/** The cfg.json fields an architecture writes (saveSae puts d_in and d_sae before them, the rest after). */
export interface SaeArchitectureFields {
  k?: number; // TopK architectures
  architecture: string; // SAELens's name: 'topk', 'standard', 'gated', 'jumprelu', 'batchtopk'
  variant: string; // ours: the registry name
  activation_fn?: string;
  activation_fn_kwargs?: Record<string, unknown>;
  apply_b_dec_to_input: boolean;
  [hyperparameter: string]: unknown; // whatever else the architecture needs to be rebuilt
}

/** An SAE's cfg.json: what SAELens reads, plus how this SAE was made. */
export interface SaeFileConfig extends SaeArchitectureFields {
  d_in: number;
  d_sae: number;
  hook_name: string;
  dtype: 'float32';
  seed: number;
}

/** What the registry holds: an SAE class, and how to read its config back from a cfg.json. */
export interface SaeArchitecture {
  new (config: never, seed: number | Rng, dataMean?: ArrayLike<number>): SparseAutoencoder;
  /**
   * How the architecture's sparsity is set: 'k', a count of latents per sample (TopK, BatchTopK), or
   * 'coefficient', a penalty's coefficient lambda (standard, gated, JumpReLU), which an L0 target can steer.
   */
  readonly sparsity: 'k' | 'coefficient';
  /** The inverse of `fileFields()`: the config a cfg.json describes. */
  configFromFile(file: SaeFileConfig): SaeConfigBase;
}

/** The generator an SAE's init draws from: the seed's 'init' fork. */
export function initRng(seed: number | Rng): Rng {
  return (typeof seed === 'number' ? new Rng(seed) : seed).fork('init');
}

/** A tensor's values on the host, as a file holds them. */
export const host = (t: Tensor): NamedTensor => ({ shape: [...t.shape], data: Float32Array.from(t.toArray()) });

/** Tensor `name` of a loaded file, which must have `shape`; `source` names the file in the error. */
export function fileTensor(tensors: Record<string, LoadedTensor>, name: string, shape: number[], source: string):
  Tensor {
  const t = tensors[name];
  if (!t || t.shape.join() !== shape.join()) {
    const found = t ? `, found [${t.shape.join(', ')}]` : ', missing';
    throw new Error(`${source}: tensor ${name} must have shape [${shape.join(', ')}]${found}`);
  }
  return tensor(Array.from(t.data), shape);
}

/** An SAE of some architecture: its config, the SAELens parameters, and the dead-latent bookkeeping. */
export abstract class SparseAutoencoder<C extends SaeConfigBase = SaeConfigBase> extends Module {
  /** See SaeArchitecture.sparsity; the dense architectures (./shared.ts) say 'coefficient'. */
  static readonly sparsity: 'k' | 'coefficient' = 'k';
  readonly cfg: Required<C>;
  readonly W_enc: Tensor; // [d_sae, d_in]
  readonly b_enc: Tensor; // [d_sae]
  readonly W_dec: Tensor; // [d_sae, d_in]
  readonly b_dec: Tensor; // [d_in]
  /** Samples since each latent last fired (dead-latent bookkeeping, e.g. for AuxK). */
  readonly sinceFired: Float64Array;
  /** Firings per latent since the caller last zeroed this (dead-latent statistics). */
  readonly firings: Float64Array;
  /** recordFirings' per-latent flags, kept from one step to the next. */
  private firedScratch?: Uint8Array;
  /** How far training has got, 0..1 (`setProgress`); 1, fully warmed up, until a training loop says otherwise. */
  protected progress = 1;

  /** `cfg` complete (defaults filled in, validated), `p` initialised; the field order is the parameter order. */
  protected constructor(cfg: Required<C>, p: SaeParameters) {
    super();
    this.cfg = cfg;
    this.W_enc = p.W_enc;
    this.b_enc = p.b_enc;
    this.W_dec = p.W_dec;
    this.b_dec = p.b_dec;
    this.sinceFired = new Float64Array(cfg.dSae);
    this.firings = new Float64Array(cfg.dSae);
  }

  /** The sparse code of x [B, d_in], on the tape. */
  abstract encode(x: Tensor): SaeCode;

  /** Forward pass with the architecture's loss: `sae.forward(x).loss.backward()`. */
  abstract forward(x: Tensor, dataVariance?: number): SaeOutput;

  /** The architecture's cfg.json fields: SAELens's names, then any hyperparameter needed to rebuild it. */
  abstract fileFields(): SaeArchitectureFields;

  /** x_hat = sum_j values_j W_dec[indices_j] + b_dec: [B, m] code -> [B, d_in]. */
  decode(indices: Tensor, values: Tensor): Tensor {
    return add(gatherCombine(values, indices, this.W_dec), this.b_dec);
  }

  /**
   * The architecture's constraints on the decoder: `beforeStep` sees the gradients before the optimiser
   * step, `afterStep` the updated weights. None by default.
   */
  constrainDecoder(_when: 'beforeStep' | 'afterStep'): void {}

  /**
   * Tells the SAE how far training has got: `fraction` = steps done / total steps, in [0, 1]. The architectures
   * that warm a coefficient up (standard's L1 coefficient over the first 5% of training) read it; the others
   * ignore it. A loop calls it before each step: `sae.setProgress(step / totalSteps)`. Computed from the loop's
   * own counters, it survives a resumed run; without a call the SAE trains fully warmed up.
   */
  setProgress(fraction: number): void {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new Error(`setProgress: fraction (${fraction}) must be in [0, 1]: steps done / total steps`);
    }
    this.progress = fraction;
  }

  /**
   * What training has learned besides the parameters (BatchTopK's inference threshold), for a checkpoint; a
   * resumed run gives it back with `restoreTrainingState`. None by default.
   */
  trainingState(): Record<string, number> {
    return {};
  }

  /** The inverse of `trainingState()`. */
  restoreTrainingState(_state: Record<string, number>): void {}

  /** Whether a code entry with this value is a firing: by default a nonzero activation. */
  protected fires(value: number): boolean {
    return value !== 0;
  }

  /**
   * One training step as the experiment runs it: the loss, its gradients, the decoder constraints around the
   * optimiser step, and the firing counts. Returns the loss (before the update); `checkLoss` sees it before
   * the backward pass and may throw to stop a diverged run before the parameters change.
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

  /** Counts which latents fired in a batch's code (see `fires`). Call once per training step. */
  recordFirings(indices: Tensor, values: Tensor): void {
    const idx = indices.toArray();
    const val = values.toArray();
    const firedNow = (this.firedScratch ??= new Uint8Array(this.cfg.dSae)).fill(0);
    for (let i = 0; i < idx.length; i++) {
      if (this.fires(val[i]!)) {
        firedNow[idx[i]!] = 1;
        this.firings[idx[i]!]!++;
      }
    }
    const batch = indices.shape[0]!;
    for (let l = 0; l < this.cfg.dSae; l++) {
      if (firedNow[l]) this.sinceFired[l] = 0;
      else this.sinceFired[l]! += batch;
    }
  }

  /**
   * Folds an input scale into the weights, as SAELens's `fold_activation_norm_scaling_factor` does: an SAE trained on
   * c x becomes one that takes x itself and gives the same code (W_enc *= c) and reconstructs x (W_dec /= c,
   * b_dec /= c). Every architecture's pre-activations are linear in W_enc x (and W_enc b_dec), so thresholds and
   * biases stay as they are. The decoder rows then have norm 1 / c where the architecture kept them at 1.
   */
  foldInputScale(c: number): void {
    if (!(Number.isFinite(c) && c > 0)) throw new Error(`foldInputScale: the scale (${c}) must be a positive number`);
    noGrad(() => {
      this.W_enc.assign(mul(this.W_enc, c));
      this.W_dec.assign(mul(this.W_dec, 1 / c));
      this.b_dec.assign(mul(this.b_dec, 1 / c));
    });
  }

  /** The parameters in SAELens layout: W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec. */
  stateDict(): Record<string, NamedTensor> {
    return noGrad(() => ({
      W_enc: host(transpose(this.W_enc)), // ours is [d_sae, d_in], one row per latent
      b_enc: host(this.b_enc),
      W_dec: host(this.W_dec),
      b_dec: host(this.b_dec),
    }));
  }

  /** The inverse of `stateDict()`; `source` names the file in errors. */
  loadStateDict(tensors: Record<string, LoadedTensor>, source: string): void {
    const { dIn, dSae } = this.cfg;
    const get = (name: string, shape: number[]) => fileTensor(tensors, name, shape, source);
    noGrad(() => {
      this.W_enc.assign(transpose(get('W_enc', [dIn, dSae])));
      this.b_enc.assign(get('b_enc', [dSae]));
      this.W_dec.assign(get('W_dec', [dSae, dIn]));
      this.b_dec.assign(get('b_dec', [dIn]));
    });
  }
}
