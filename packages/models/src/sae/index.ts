/**
 * The SAE architectures, by name. The name is what configs, results and cfg.json files call an SAE's
 * `variant`; a new architecture is one file (a `SparseAutoencoder` subclass, ./architecture.ts) plus one
 * line here.
 */
import type { Rng } from '@saelab/tensor';
import type { SaeArchitecture } from './architecture.js';
import { HusaiTopKSAE } from './topk-husai.js';
import { OpenaiTopKSAE } from './topk-openai.js';

export const saeArchitectures = {
  husai: HusaiTopKSAE, // TopK as the original report trained it
  openai: OpenaiTopKSAE, // TopK as Gao et al. 2024 define it
} as const satisfies Record<string, SaeArchitecture>;

export type SaeArchitectureName = keyof typeof saeArchitectures;
/** Another name for an architecture's name: configs and results call it the SAE's variant. */
export type SaeVariant = SaeArchitectureName;

/** Every registered name, e.g. for `z.enum(saeArchitectureNames)`. */
export const saeArchitectureNames = Object.keys(saeArchitectures) as [SaeArchitectureName, ...SaeArchitectureName[]];

/** The config of any registered architecture; `variant` says which. */
export type SaeConfig = {
  [N in SaeArchitectureName]: ConstructorParameters<(typeof saeArchitectures)[N]>[0];
}[SaeArchitectureName];

/** The SAE class a config's `variant` names. */
export type SaeOf<C extends SaeConfig> = InstanceType<(typeof saeArchitectures)[C['variant']]>;

/** The registered architecture called `name`; an unknown name throws, listing the known ones. */
export function saeArchitecture(name: string): SaeArchitecture {
  if (!Object.hasOwn(saeArchitectures, name)) {
    const known = saeArchitectureNames.join(', ');
    throw new Error(`SAE config: variant '${name}' is not a registered SAE architecture; use one of: ${known}`);
  }
  return saeArchitectures[name as SaeArchitectureName];
}

/**
 * Builds the SAE a config describes, initialised from `seed` (its 'init' fork); `dataMean` ([d_in]) is for
 * the architectures that start b_dec there (openai).
 *   const sae = makeSae({ dIn: 128, dSae: 1024, k: 32, variant: 'husai' }, 42);
 */
export function makeSae<C extends SaeConfig>(config: C, seed: number | Rng, dataMean?: ArrayLike<number>): SaeOf<C> {
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
