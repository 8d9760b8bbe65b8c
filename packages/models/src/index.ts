/**
 * @saelab/models: the protocol's transformer, the SAE architectures (a registry: TopK as husai and as openai
 * train it, standard ReLU + L1, gated, JumpReLU, BatchTopK), and the safetensors files they are saved in.
 */
export { Transformer, PROTOCOL_TRANSFORMER, type TransformerConfig, type ForwardOptions,
  type ForwardResult } from './transformer.js';
export {
  makeSae, saeArchitecture, saeArchitectures, saeArchitectureNames, saeSparsity, SparseAutoencoder, TopKSAE,
  HusaiTopKSAE, OpenaiTopKSAE, StandardSAE, GatedSAE, JumpReluSAE, BatchTopKSAE, DenseSAE,
  standardDefaults, gatedDefaults, jumpReluDefaults, batchTopKDefaults,
  type SaeArchitecture, type SaeArchitectureName, type SaeCode, type SaeConfig, type SaeConfigOf, type SaeOf,
  type SaeOutput, type SaeVariant,
  type TopKConfig, type StandardConfig, type GatedConfig, type JumpReluConfig, type BatchTopKConfig,
} from './sae/index.js';
export { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, type Dtype, type NamedTensor,
  type LoadedTensor } from './io/safetensors.js';
export { writeFileAtomic, writeJsonAtomic } from './io/atomic.js';
export {
  saeStateDict, saveSae, loadSae, transformerStateDict, saveTransformer, loadTransformer, saveCheckpoint,
  loadCheckpoint,
  type SaeFileConfig,
} from './io/weights.js';
