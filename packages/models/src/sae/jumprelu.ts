/**
 * The `jumprelu` SAE: Rajamanoharan et al. 2024, "Jumping ahead: improving reconstruction fidelity with JumpReLU
 * sparse autoencoders".
 *   z = W_enc x + b_enc,  f = z * H(z - theta),  theta = exp(log_threshold) per latent,  x_hat = W_dec f + b_dec,
 *   loss = ||x - x_hat||^2 + lambda ||f||_0,  ||f||_0 = sum_i H(z_i - theta_i)   (batch means; ./shared.ts)
 * H has no derivative worth the name, so theta learns through the paper's straight-through estimator, with the
 * rectangle kernel K(u) = 1[|u| < 1/2] and bandwidth eps (0.001):
 *   d/dtheta [z H(z - theta)] := -(theta / eps) K((z - theta) / eps),   d/dz [z H(z - theta)] := H(z - theta),
 *   d/dtheta H(z - theta)     := -(1 / eps) K((z - theta) / eps),       d/dz H(z - theta) := 0.
 * Decoder rows are kept at unit norm, as the paper trains. Init: unit-norm decoder rows in random directions,
 * W_enc = W_dec^T, biases 0, theta = 0.001 (the paper's). The paper's encoder takes x itself (no pre-encoder
 * bias; Gemma Scope's files say apply_b_dec_to_input: false); `applyBDecToInput` turns it on. The bandwidth and
 * the initial threshold are in the units of z: the paper's values assume inputs normalised to E||x||^2 = d_in.
 * SAELens's files hold `threshold` (theta itself, not its log). The code is dense (./shared.ts).
 */
import {
  abs, add, customGradient, div, exp, gt, kaimingUniform, log, lt, matmul, mul, noGrad, normalize, sub, sum,
  sumToShape, tensor, full, where, type Rng, type Tensor, zeros,
} from '@saelab/tensor';
import type { LoadedTensor, NamedTensor } from '../io/safetensors.js';
import {
  fileTensor, host, initRng, type SaeArchitectureFields, type SaeFileConfig, type SaeOutput,
} from './architecture.js';
import {
  check, checkShape, checkController, controllerFields, controllerFromFile, defined, DenseSAE, L0_CONTROLLER_GAIN,
  isCoefficient, isFraction, unitNormDecoder,
} from './shared.js';

export interface JumpReluConfig {
  dIn: number; // 128: the transformer's d_model
  dSae: number; // 1024: expansion 8
  variant: 'jumprelu';
  k?: number; // ignored (the number of active latents is learned): accepted so one config shape builds any SAE
  lambda?: number; // 1: the L0 coefficient (SAELens's default l0_coefficient; the paper sweeps it)
  lambdaWarmup?: number; // 0: lambda rises linearly from 0 over this fraction of training (0: none)
  targetL0?: number; // 0: lambda as given; > 0: an L0 controller adjusts lambda until the L0 is this (./shared.ts)
  l0Gain?: number; // 0.02: the controller's gain (L0_CONTROLLER_GAIN, ./shared.ts)
  bandwidth?: number; // 0.001: the STE's kernel width eps (the paper's)
  initThreshold?: number; // 0.001: theta at init, every latent (the paper's)
  applyBDecToInput?: boolean; // false: the encoder sees x (the paper's); true: x - b_dec
}

/** The settings an SAE holds (`sae.cfg`): the config without the ignored k, defaults filled in. */
export type JumpReluSettings = Required<Omit<JumpReluConfig, 'k'>>;

/** The JumpReLU SAE's defaults. */
export const jumpReluDefaults = {
  lambda: 1, lambdaWarmup: 0, targetL0: 0, l0Gain: L0_CONTROLLER_GAIN, bandwidth: 0.001, initThreshold: 0.001,
  applyBDecToInput: false,
};

/** The config with its defaults filled in, validated (a bad value throws naming the field and the rule). */
export function completeJumpReluConfig(config: JumpReluConfig): JumpReluSettings {
  checkShape(config, ['k', ...Object.keys(jumpReluDefaults)]);
  const { k: _ignored, ...rest } = config;
  const c = { ...jumpReluDefaults, ...defined(rest) };
  check('lambda', c.lambda, isCoefficient(c.lambda), 'a finite number >= 0 (the L0 coefficient; default 1)');
  check('lambdaWarmup', c.lambdaWarmup, isFraction(c.lambdaWarmup), 'a fraction of training in [0, 1] (0)');
  checkController(c);
  for (const key of ['bandwidth', 'initThreshold'] as const) {
    check(key, c[key], Number.isFinite(c[key]) && c[key] > 0, 'a positive number (the paper\'s: 0.001)');
  }
  check('applyBDecToInput', c.applyBDecToInput, typeof c.applyBDecToInput === 'boolean', 'true or false');
  return c;
}

/**
 * [f, l0] = [z H(z - theta), H(z - theta)] for z [B, d_sae] and theta [d_sae], with the straight-through
 * estimator above as their gradient, for bandwidth eps: d/dz f := H, d/dz l0 := 0 (null), and for theta, summed
 * over the batch, -(theta / eps) K through f and -(1 / eps) K through l0.
 */
const jumpRelu = (eps: number) => customGradient(
  (z: Tensor, theta: Tensor) => {
    const step = gt(z, theta); // H(z - theta)
    return [where(step, z, 0), step];
  },
  ([gf, gl0], [z, theta], [, step]) => {
    const kernel = lt(abs(div(sub(z, theta), eps)), 0.5); // K((z - theta) / eps)
    const viaF = sumToShape(mul(gf, mul(kernel, mul(theta, -1 / eps))), theta.shape);
    const viaL0 = sumToShape(mul(gl0, mul(kernel, -1 / eps)), theta.shape);
    return [mul(gf, step), add(viaF, viaL0)];
  },
  'jumpRelu',
);

/** The encoder's parts for a batch, on the tape. */
export interface JumpReluParts {
  z: Tensor; // [B, d_sae] pre-activations
  f: Tensor; // [B, d_sae] z H(z - theta), with the STE's gradient for theta
  l0: Tensor; // [B, d_sae] H(z - theta), with the STE's gradient for theta
}

export class JumpReluSAE extends DenseSAE<JumpReluSettings> {
  readonly log_threshold: Tensor; // [d_sae]: theta = exp(log_threshold) stays positive

  /** Initialises from `seed` (its 'init' fork). */
  constructor(config: JumpReluConfig, seed: number | Rng) {
    const cfg = completeJumpReluConfig(config);
    const { dIn, dSae } = cfg;
    const W_dec = normalize(kaimingUniform([dSae, dIn], dIn, initRng(seed).fork('decoder'))).requireGrad();
    super(cfg, {
      W_enc: tensor(W_dec.toArray(), [dSae, dIn]).requireGrad(), // W_enc = W_dec^T (ours is held [d_sae, d_in])
      b_enc: zeros([dSae]).requireGrad(),
      W_dec,
      b_dec: zeros([dIn]).requireGrad(),
    });
    this.log_threshold = full([dSae], Math.log(cfg.initThreshold)).requireGrad();
  }

  /** theta = exp(log_threshold) [d_sae], on the tape. */
  get threshold(): Tensor {
    return exp(this.log_threshold);
  }

  /** z, f and the L0 indicator, with the paper's pseudo-derivatives for theta. */
  parts(x: Tensor): JumpReluParts {
    const xc = this.cfg.applyBDecToInput ? sub(x, this.b_dec) : x;
    const z = matmul(xc, this.W_enc, { transB: true, bias: this.b_enc });
    const [f, l0] = jumpRelu(this.cfg.bandwidth)(z, this.threshold);
    return { z, f, l0 };
  }

  encode(x: Tensor): { indices: Tensor; values: Tensor } {
    return { indices: this.denseIds(x.shape[0]!, x), values: this.parts(x).f };
  }

  forward(x: Tensor, dataVariance = 1): SaeOutput {
    const { f, l0 } = this.parts(x);
    const aux = mul(sum(l0), this.lambdaNow / x.shape[0]!); // lambda * mean_b ||f_b||_0: a count, scale-free
    return this.denseOutput(x, f, this.decodeDense(f), aux, dataVariance);
  }

  /** Unit-norm decoder rows (the paper's constraint). */
  override constrainDecoder(when: 'beforeStep' | 'afterStep'): void {
    unitNormDecoder(this.W_dec, when);
  }

  fileFields(): SaeArchitectureFields {
    const { variant, lambdaWarmup, bandwidth, initThreshold, applyBDecToInput } = this.cfg;
    return {
      architecture: 'jumprelu', variant, activation_fn: 'relu', apply_b_dec_to_input: applyBDecToInput,
      l0_coefficient: this.lambdaReached, l0_warm_up_fraction: lambdaWarmup, jumprelu_bandwidth: bandwidth,
      jumprelu_init_threshold: initThreshold,
      ...controllerFields(this.cfg),
    };
  }

  static configFromFile(file: SaeFileConfig): JumpReluConfig {
    return defined({
      dIn: file.d_in, dSae: file.d_sae, variant: 'jumprelu', lambda: file.l0_coefficient as number,
      lambdaWarmup: file.l0_warm_up_fraction as number, bandwidth: file.jumprelu_bandwidth as number,
      initThreshold: file.jumprelu_init_threshold as number, applyBDecToInput: file.apply_b_dec_to_input,
      ...controllerFromFile(file),
    });
  }

  /** SAELens's JumpReLU state dict: the base's, and `threshold` [d_sae], theta itself. */
  override stateDict(): Record<string, NamedTensor> {
    return { ...super.stateDict(), threshold: noGrad(() => host(this.threshold)) };
  }

  override loadStateDict(tensors: Record<string, LoadedTensor>, source: string): void {
    super.loadStateDict(tensors, source);
    const theta = fileTensor(tensors, 'threshold', [this.cfg.dSae], source);
    if (theta.toArray().some((t) => !(t > 0))) throw new Error(`${source}: threshold must be positive everywhere`);
    noGrad(() => this.log_threshold.assign(log(theta)));
  }
}
