/**
 * The `standard` SAE: ReLU + L1 as Anthropic train it ("Circuits Updates, April 2024"):
 *   f = ReLU(W_enc (x - b_dec) + b_enc),  x_hat = W_dec f + b_dec,
 *   loss = ||x - x_hat||^2 + lambda * sum_i f_i ||W_dec,i||   (batch mean; scaled by the variance: ./shared.ts)
 * The L1 penalty weighs each latent by its decoder row's norm, and the rows are NOT constrained to unit norm
 * (the weighting makes the penalty invariant to trading scale between encoder and decoder). lambda rises
 * linearly from 0 over the first 5% of training (`lambdaWarmup`; the loop reports progress with
 * `setProgress`). Init: decoder rows in random directions with norm 0.1, W_enc = W_dec^T, biases 0.
 * The code is dense (./shared.ts, DenseSAE).
 */
import {
  kaimingUniform, matmul, mul, normalize, sqrt, square, sub, sum, tensor, zeros, type Rng, type Tensor,
} from '@saelab/tensor';
import { initRng, type SaeArchitectureFields, type SaeFileConfig, type SaeOutput } from './architecture.js';
import {
  check, checkShape, checkController, controllerFields, controllerFromFile, defined, DenseSAE, L0_CONTROLLER_GAIN,
  isCoefficient, isFraction, relu,
} from './shared.js';

export interface StandardConfig {
  dIn: number; // 128: the transformer's d_model
  dSae: number; // 1024: expansion 8
  variant: 'standard';
  k?: number; // ignored (the number of active latents is learned): accepted so one config shape builds any SAE
  lambda?: number; // 5: the L1 coefficient, Anthropic's value for inputs normalised to E||x||^2 = d_in
  lambdaWarmup?: number; // 0.05: lambda rises linearly from 0 over this fraction of training (0: no warm-up)
  targetL0?: number; // 0: lambda as given; > 0: an L0 controller adjusts lambda until the L0 is this (./shared.ts)
  l0Gain?: number; // 0.02: the controller's gain (L0_CONTROLLER_GAIN, ./shared.ts)
  decoderInitNorm?: number; // 0.1: the norm of each decoder row at init (Anthropic's)
  applyBDecToInput?: boolean; // true: the encoder sees x - b_dec (SAELens's apply_b_dec_to_input)
}

/** The settings an SAE holds (`sae.cfg`): the config without the ignored k, defaults filled in. */
export type StandardSettings = Required<Omit<StandardConfig, 'k'>>;

/** The standard SAE's defaults. */
export const standardDefaults = {
  lambda: 5, lambdaWarmup: 0.05, targetL0: 0, l0Gain: L0_CONTROLLER_GAIN, decoderInitNorm: 0.1, applyBDecToInput: true,
};

/** The config with its defaults filled in, validated (a bad value throws naming the field and the rule). */
export function completeStandardConfig(config: StandardConfig): StandardSettings {
  checkShape(config, ['k', ...Object.keys(standardDefaults)]);
  const { k: _ignored, ...rest } = config;
  const c = { ...standardDefaults, ...defined(rest) };
  check('lambda', c.lambda, isCoefficient(c.lambda), 'a finite number >= 0 (the L1 coefficient; 5 is Anthropic\'s)');
  check('lambdaWarmup', c.lambdaWarmup, isFraction(c.lambdaWarmup), 'a fraction of training in [0, 1] (0.05)');
  checkController(c);
  check('decoderInitNorm', c.decoderInitNorm, Number.isFinite(c.decoderInitNorm) && c.decoderInitNorm > 0,
    'a positive number (0.1)');
  check('applyBDecToInput', c.applyBDecToInput, typeof c.applyBDecToInput === 'boolean', 'true or false');
  return c;
}

export class StandardSAE extends DenseSAE<StandardSettings> {
  /** Initialises from `seed` (its 'init' fork). */
  constructor(config: StandardConfig, seed: number | Rng) {
    const cfg = completeStandardConfig(config);
    const { dIn, dSae } = cfg;
    const dirs = normalize(kaimingUniform([dSae, dIn], dIn, initRng(seed).fork('decoder')));
    const W_dec = mul(dirs, cfg.decoderInitNorm);
    super(cfg, {
      W_enc: tensor(W_dec.toArray(), [dSae, dIn]).requireGrad(), // W_enc = W_dec^T (ours is held [d_sae, d_in])
      b_enc: zeros([dSae]).requireGrad(),
      W_dec: tensor(W_dec.toArray(), [dSae, dIn]).requireGrad(),
      b_dec: zeros([dIn]).requireGrad(),
    });
  }

  /** f = ReLU(W_enc (x - b_dec) + b_enc) [B, d_sae], on the tape. */
  activations(x: Tensor): Tensor {
    const xc = this.cfg.applyBDecToInput ? sub(x, this.b_dec) : x;
    return relu(matmul(xc, this.W_enc, { transB: true, bias: this.b_enc }));
  }

  encode(x: Tensor): { indices: Tensor; values: Tensor } {
    return { indices: this.denseIds(x.shape[0]!, x), values: this.activations(x) };
  }

  forward(x: Tensor, dataVariance = 1): SaeOutput {
    const f = this.activations(x);
    const rowNorms = sqrt(sum(square(this.W_dec), -1)); // [d_sae], on the tape: the penalty's gradient reaches W_dec
    const l1 = mul(sum(mul(f, rowNorms)), this.lambdaNow / (x.shape[0]! * Math.sqrt(dataVariance)));
    return this.denseOutput(x, f, this.decodeDense(f), l1, dataVariance);
  }

  fileFields(): SaeArchitectureFields {
    const { variant, lambdaWarmup, decoderInitNorm, applyBDecToInput } = this.cfg;
    return {
      architecture: 'standard', variant, activation_fn: 'relu', apply_b_dec_to_input: applyBDecToInput,
      l1_coefficient: this.lambdaReached, l1_warm_up_fraction: lambdaWarmup, decoder_init_norm: decoderInitNorm,
      ...controllerFields(this.cfg),
    };
  }

  static configFromFile(file: SaeFileConfig): StandardConfig {
    return defined({
      dIn: file.d_in, dSae: file.d_sae, variant: 'standard', lambda: file.l1_coefficient as number,
      lambdaWarmup: file.l1_warm_up_fraction as number, decoderInitNorm: file.decoder_init_norm as number,
      applyBDecToInput: file.apply_b_dec_to_input,
      ...controllerFromFile(file),
    });
  }
}
