/**
 * @saelab/models: the protocol's transformer and TopK SAEs (husai and openai variants), and the
 * safetensors files they are saved in.
 */
export { Transformer, PROTOCOL_TRANSFORMER, type TransformerConfig, type ForwardOptions, type ForwardResult } from './transformer.js';
export { TopKSAE, type SaeConfig, type SaeVariant, type SaeOutput } from './sae.js';
export { encodeSafetensors, decodeSafetensors, saveSafetensors, loadSafetensors, type Dtype, type NamedTensor, type LoadedTensor } from './io/safetensors.js';
export { writeFileAtomic, writeJsonAtomic } from './io/atomic.js';
export {
  saeStateDict, saveSae, loadSae, transformerStateDict, saveTransformer, loadTransformer, saveCheckpoint, loadCheckpoint,
  type SaeFileConfig,
} from './io/weights.js';
