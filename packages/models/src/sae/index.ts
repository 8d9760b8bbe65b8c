/**
 * The SAE architectures, by name. The name is what configs, results and cfg.json files call an SAE's
 * `variant`; a new architecture is one file (a `SparseAutoencoder` subclass, ./architecture.ts) plus one
 * line here.
 */
import type { Rng } from '@saelab/tensor';
import type { SaeArchitecture } from './architecture.js';
import { BatchTopKSAE } from './batchtopk.js';
import { GatedSAE } from './gated.js';
import { JumpReluSAE } from './jumprelu.js';
import { StandardSAE } from './standard.js';
import { HusaiTopKSAE } from './topk-husai.js';
import { OpenaiTopKSAE } from './topk-openai.js';

export const saeArchitectures = {
  husai: HusaiTopKSAE, // TopK as the original report trained it
  openai: OpenaiTopKSAE, // TopK as Gao et al. 2024 define it
  standard: StandardSAE, // ReLU + L1 weighted by decoder norms, Anthropic's April 2024 update
  gated: GatedSAE, // Rajamanoharan et al. 2024, gated SAEs
  jumprelu: JumpReluSAE, // Rajamanoharan et al. 2024, JumpReLU SAEs
  batchtopk: BatchTopKSAE, // Bussmann et al. 2024, BatchTopK SAEs
} as const satisfies Record<string, SaeArchitecture>;

export type SaeArchitectureName = keyof typeof saeArchitectures;
/** Another name for an architecture's name: configs and results call it the SAE's variant. */
export type SaeVariant = SaeArchitectureName;

/** Every registered name, e.g. for `z.enum(saeArchitectureNames)`. */
export const saeArchitectureNames = Object.keys(saeArchitectures) as [SaeArchitectureName, ...SaeArchitectureName[]];

/** The config of the architecture called N, e.g. `SaeConfigOf<'jumprelu'>` (JumpReluConfig). */
export type SaeConfigOf<N extends SaeArchitectureName> = ConstructorParameters<(typeof saeArchitectures)[N]>[0];

type Settings<N extends SaeArchitectureName> = N extends unknown ? Omit<SaeConfigOf<N>, 'variant'> : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/**
 * A config for any registered architecture, as one flat shape: `variant` says which, and any architecture's
 * settings may be present (every one optional here), so a single config schema can build every architecture
 * (`config.lambda = ...` type-checks whatever the variant). Each architecture checks its own at construction:
 * a TopK one needs k; the others ignore k and refuse a setting that is not theirs. `SaeConfigOf<N>` is the exact
 * config of one architecture.
 */
export type SaeConfig = { dIn: number; dSae: number; variant: SaeArchitectureName }
  & Partial<Omit<Intersection<Settings<SaeArchitectureName>>, 'dIn' | 'dSae'>>;

/** The SAE class a config's `variant` names. */
export type SaeOf<C extends { variant: SaeArchitectureName }> = InstanceType<(typeof saeArchitectures)[C['variant']]>;

/** The registered architecture called `name`; an unknown name throws, listing the known ones. */
export function saeArchitecture(name: string): SaeArchitecture {
  if (!Object.hasOwn(saeArchitectures, name)) {
    const known = saeArchitectureNames.join(', ');
    throw new Error(`SAE config: variant '${name}' is not a registered SAE architecture; use one of: ${known}`);
  }
  return saeArchitectures[name as SaeArchitectureName];
}

/** How the architecture called `name` sets its sparsity: a count k, or a coefficient lambda (SaeArchitecture). */
export function saeSparsity(name: string): 'k' | 'coefficient' {
  return saeArchitecture(name).sparsity;
}

/**
 * Builds the SAE a config describes, initialised from `seed` (its 'init' fork); `dataMean` ([d_in]) is for
 * the architectures that start b_dec there (openai, batchtopk).
 *   const sae = makeSae({ dIn: 128, dSae: 1024, k: 32, variant: 'husai' }, 42);
 */
export function makeSae<C extends SaeConfig | SaeConfigOf<SaeArchitectureName>>(config: C, seed: number | Rng,
  dataMean?: ArrayLike<number>): SaeOf<C> {
  const Architecture = saeArchitecture(String(config.variant));
  return new Architecture(config as never, seed, dataMean) as SaeOf<C>;
}

export {
  initRng, SparseAutoencoder, type SaeArchitecture, type SaeArchitectureFields, type SaeCode, type SaeConfigBase,
  type SaeFileConfig, type SaeOutput, type SaeParameters,
} from './architecture.js';
export { completeTopKConfig, TopKSAE, type TopKCode, type TopKConfig } from './topk.js';
export { HusaiTopKSAE } from './topk-husai.js';
export { OpenaiTopKSAE } from './topk-openai.js';
export {
  StandardSAE, completeStandardConfig, standardDefaults, type StandardConfig, type StandardSettings,
} from './standard.js';
export { GatedSAE, completeGatedConfig, gatedDefaults, type GatedConfig, type GatedSettings } from './gated.js';
export {
  JumpReluSAE, completeJumpReluConfig, jumpReluDefaults, type JumpReluConfig, type JumpReluSettings,
} from './jumprelu.js';
export { BatchTopKSAE, batchTopKDefaults, completeBatchTopKConfig, type BatchTopKConfig } from './batchtopk.js';
export { DenseSAE } from './shared.js';
