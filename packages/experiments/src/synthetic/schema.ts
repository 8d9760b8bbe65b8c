/**
 * The synthetic-activation generator's config: x = sum_i a_i f_i (+ noise), with N known unit
 * features f_i in R^d, feature i firing with probability p_i (decaying in i), optionally
 * correlated through a Gaussian copula. It is the positive control of the study: SAEs trained on
 * it can be scored against the truth. Every field has a default, so `{}` is the protocol's setting.
 *
 * References: Sharkey, Braun & Millidge 2022, "Taking features out of superposition with sparse
 * autoencoders" (the toy data and MMCS); Elhage et al. 2022, "Toy models of superposition".
 */
import { z } from 'zod';

const int = (field: string, min: number) =>
  z.number(`${field} must be a number`).int(`${field} must be an integer`).min(min, `${field} must be >= ${min}`);

export const SyntheticDataSchema = z.strictObject({
  d: int('d', 1).default(128), // 128: the dimension of x and of each feature
  features: int('features', 1).default(512), // N = 512 true features (4x overcomplete at d = 128)
  /** Expected number of features firing per sample, E[L0]: the p_i are scaled to sum to it exactly. */
  meanActive: z.number('meanActive must be a number').gt(0, 'meanActive must be > 0 (and <= features)').default(8),
  /** How p_i falls with i: exponential exp(-i / tau) with tau = N / 4, or power (i + 1)^-0.7 (generate.ts). */
  decay: z.enum(['exponential', 'power'], 'decay must be "exponential" or "power"').default('exponential'),
  /**
   * Copula strength rho in [0, 1): the correlation of the latent normals of two features in the
   * same group (features in different groups are independent). 0 gives independent firing.
   */
  correlation: z.number('correlation must be a number')
    .min(0, 'correlation must be in [0, 1)').lt(1, 'correlation must be in [0, 1)').default(0),
  /** 16: the features are dealt at random into this many equal groups that share a latent factor. */
  correlationGroups: int('correlationGroups', 1).default(16),
  /** a_i given that feature i fires: uniform on [0, 1] (Sharkey et al.), or exponential with mean 1/2. */
  magnitudes: z.enum(['uniform', 'exponential'], 'magnitudes must be "uniform" or "exponential"').default('uniform'),
  /** 0: the std of isotropic Gaussian noise added to each coordinate of x. */
  noise: z.number('noise must be a number').min(0, 'noise must be >= 0 (the std of the added noise)').default(0),
  samples: int('samples', 1).default(200_000), // 200,000 rows of x
  dataSeed: int('dataSeed', 0).default(0), // 0: the seed of every random stream (forks of new Rng(dataSeed))
}).superRefine((c, ctx) => {
  if (c.meanActive > c.features) {
    const message = `meanActive (${c.meanActive}) must be <= features (${c.features}): at most every feature fires`;
    ctx.addIssue({ code: 'custom', path: ['meanActive'], message });
  }
  if (c.correlationGroups > c.features) {
    const message = `correlationGroups (${c.correlationGroups}) must be <= features (${c.features})`;
    ctx.addIssue({ code: 'custom', path: ['correlationGroups'], message });
  }
});

/** The validated config, every default filled in. */
export type SyntheticDataConfig = z.infer<typeof SyntheticDataSchema>;
/** What a caller may pass: any field left out takes its default. */
export type SyntheticDataInput = z.input<typeof SyntheticDataSchema>;

/** Validates a generator config; the error lists each bad field with its allowed range. */
export function parseSyntheticData(raw: unknown): SyntheticDataConfig {
  const parsed = SyntheticDataSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new Error(`synthetic data config is invalid:\n${lines.join('\n')}`);
}
