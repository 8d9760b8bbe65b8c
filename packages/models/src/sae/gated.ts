/**
 * The `gated` SAE: Rajamanoharan et al. 2024, "Improving dictionary learning with gated sparse autoencoders".
 *   pi_gate = W_gate (x - b_dec) + b_gate,  W_mag = exp(r_mag) * W_gate (row i scaled by exp(r_mag_i)),
 *   pi_mag = W_mag (x - b_dec) + b_mag,     f = 1[pi_gate > 0] * ReLU(pi_mag),  x_hat = W_dec f + b_dec,
 *   loss = ||x - x_hat||^2 + lambda ||ReLU(pi_gate)||_1 + ||x - x_hat_frozen(ReLU(pi_gate))||^2
 * (batch means; scaled by the variance: ./shared.ts). x_hat_frozen is the decoder with its weights frozen: W_dec
 * and b_dec detached, so the auxiliary reconstruction trains only the gate. As in the paper, decoder rows are
 * kept at unit norm (./shared.ts, unitNormDecoder), so the L1 penalty needs no weighting by their norms; it
 * equals SAELens's lambda sum_i ReLU(pi_gate)_i ||W_dec,i|| here. (SAELens instead leaves the decoder
 * unconstrained, weights the penalty by the norms and does not freeze the decoder in the auxiliary term.)
 * SAELens's state dict: W_enc (the gate's), b_gate, r_mag, b_mag, W_dec, b_dec; it has no b_enc. Ours keeps
 * b_gate in the base class's `b_enc` field (`b_gate` is its other name). Init: unit-norm decoder rows in random
 * directions, W_gate = W_dec^T, b_gate = r_mag = b_mag = 0, b_dec = 0. The code is dense (./shared.ts).
 */
import {
  add, exp, gt, kaimingUniform, matmul, mul, noGrad, normalize, reshape, sub, sum, tensor, zeros, type Rng, type Tensor,
} from '@saelab/tensor';
import type { LoadedTensor, NamedTensor } from '../io/safetensors.js';
import {
  fileTensor, host, initRng, type SaeArchitectureFields, type SaeFileConfig, type SaeOutput,
} from './architecture.js';
import {
  check, checkShape, checkController, controllerFields, controllerFromFile, defined, DenseSAE, L0_CONTROLLER_GAIN,
  isCoefficient, isFraction, reconstruction, relu, unitNormDecoder,
} from './shared.js';

export interface GatedConfig {
  dIn: number; // 128: the transformer's d_model
  dSae: number; // 1024: expansion 8
  variant: 'gated';
  k?: number; // ignored (the number of active latents is learned): accepted so one config shape builds any SAE
  lambda?: number; // 1: the L1 coefficient on ReLU(pi_gate) (SAELens's default; the paper sweeps it)
  lambdaWarmup?: number; // 0: lambda rises linearly from 0 over this fraction of training (the paper: none)
  targetL0?: number; // 0: lambda as given; > 0: an L0 controller adjusts lambda until the L0 is this (./shared.ts)
  l0Gain?: number; // 0.02: the controller's gain (L0_CONTROLLER_GAIN, ./shared.ts)
}

/** The settings an SAE holds (`sae.cfg`): the config without the ignored k, defaults filled in. */
export type GatedSettings = Required<Omit<GatedConfig, 'k'>>;

/** The gated SAE's defaults. */
export const gatedDefaults = { lambda: 1, lambdaWarmup: 0, targetL0: 0, l0Gain: L0_CONTROLLER_GAIN };

/** The config with its defaults filled in, validated (a bad value throws naming the field and the rule). */
export function completeGatedConfig(config: GatedConfig): GatedSettings {
  checkShape(config, ['k', ...Object.keys(gatedDefaults)]);
  const { k: _ignored, ...rest } = config;
  const c = { ...gatedDefaults, ...defined(rest) };
  check('lambda', c.lambda, isCoefficient(c.lambda), 'a finite number >= 0 (the L1 coefficient; default 1)');
  check('lambdaWarmup', c.lambdaWarmup, isFraction(c.lambdaWarmup), 'a fraction of training in [0, 1] (0)');
  checkController(c);
  return c;
}

/** The gated encoder's parts for a batch: the gate's pre-activation, the gate, the code. */
export interface GatedParts {
  piGate: Tensor; // [B, d_sae], on the tape
  f: Tensor; // [B, d_sae]: 1[pi_gate > 0] * ReLU(pi_mag)
}

export class GatedSAE extends DenseSAE<GatedSettings> {
  readonly r_mag: Tensor; // [d_sae]: log of the magnitude path's row scale
  readonly b_mag: Tensor; // [d_sae]: the magnitude path's bias

  /** Initialises from `seed` (its 'init' fork). */
  constructor(config: GatedConfig, seed: number | Rng) {
    const cfg = completeGatedConfig(config);
    const { dIn, dSae } = cfg;
    const W_dec = normalize(kaimingUniform([dSae, dIn], dIn, initRng(seed).fork('decoder'))).requireGrad();
    super(cfg, {
      W_enc: tensor(W_dec.toArray(), [dSae, dIn]).requireGrad(), // W_gate = W_dec^T (ours is held [d_sae, d_in])
      b_enc: zeros([dSae]).requireGrad(), // b_gate
      W_dec,
      b_dec: zeros([dIn]).requireGrad(),
    });
    this.r_mag = zeros([dSae]).requireGrad();
    this.b_mag = zeros([dSae]).requireGrad();
  }

  /** The gate's bias, SAELens's b_gate (held in `b_enc`). */
  get b_gate(): Tensor {
    return this.b_enc;
  }

  /** The encoder's parts, on the tape. */
  parts(x: Tensor): GatedParts {
    const xc = sub(x, this.b_dec);
    const piGate = matmul(xc, this.W_enc, { transB: true, bias: this.b_enc });
    const gate = noGrad(() => gt(piGate, 0)); // the Heaviside step: no gradient
    const W_mag = mul(this.W_enc, reshape(exp(this.r_mag), [-1, 1]));
    const piMag = matmul(xc, W_mag, { transB: true, bias: this.b_mag });
    return { piGate, f: mul(gate, relu(piMag)) };
  }

  encode(x: Tensor): { indices: Tensor; values: Tensor } {
    return { indices: this.denseIds(x.shape[0]!, x), values: this.parts(x).f };
  }

  forward(x: Tensor, dataVariance = 1): SaeOutput {
    const { piGate, f } = this.parts(x);
    const gateActs = relu(piGate);
    const l1 = mul(sum(gateActs), this.lambdaNow / (x.shape[0]! * Math.sqrt(dataVariance)));
    // The frozen decoder: the same weights, detached, so that this term trains the gate only.
    const viaGate = matmul(gateActs, this.W_dec.detach(), { bias: this.b_dec.detach() });
    const auxRec = reconstruction(sub(x, viaGate), dataVariance);
    return this.denseOutput(x, f, this.decodeDense(f), add(l1, auxRec), dataVariance);
  }

  /** Unit-norm decoder rows (the paper's constraint). */
  override constrainDecoder(when: 'beforeStep' | 'afterStep'): void {
    unitNormDecoder(this.W_dec, when);
  }

  fileFields(): SaeArchitectureFields {
    const { variant, lambdaWarmup } = this.cfg;
    return {
      architecture: 'gated', variant, activation_fn: 'relu', apply_b_dec_to_input: true,
      l1_coefficient: this.lambdaReached, l1_warm_up_fraction: lambdaWarmup,
      ...controllerFields(this.cfg),
    };
  }

  static configFromFile(file: SaeFileConfig): GatedConfig {
    return defined({
      dIn: file.d_in, dSae: file.d_sae, variant: 'gated', lambda: file.l1_coefficient as number,
      lambdaWarmup: file.l1_warm_up_fraction as number,
      ...controllerFromFile(file),
    });
  }

  /** SAELens's gated state dict: W_enc [d_in, d_sae] (the gate's), b_gate, r_mag, b_mag, W_dec, b_dec. */
  override stateDict(): Record<string, NamedTensor> {
    const { b_enc, ...base } = super.stateDict();
    return { W_enc: base.W_enc!, b_gate: b_enc!, r_mag: host(this.r_mag), b_mag: host(this.b_mag),
      W_dec: base.W_dec!, b_dec: base.b_dec! };
  }

  override loadStateDict(tensors: Record<string, LoadedTensor>, source: string): void {
    const n = this.cfg.dSae;
    fileTensor(tensors, 'b_gate', [n], source); // named as the file names it, if it is missing
    super.loadStateDict({ ...tensors, b_enc: tensors.b_gate! }, source);
    noGrad(() => {
      this.r_mag.assign(fileTensor(tensors, 'r_mag', [n], source));
      this.b_mag.assign(fileTensor(tensors, 'b_mag', [n], source));
    });
  }
}
