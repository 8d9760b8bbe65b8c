/**
 * Synthetic activations with known features (the positive control): the config schema, the
 * generator, and the normal CDF / quantile its copula needs.
 */
export {
  SyntheticDataSchema, parseSyntheticData, type SyntheticDataConfig, type SyntheticDataInput,
} from './schema.js';
export {
  EXPONENTIAL_TAU_FRACTION, POWER_ALPHA, didFire, firingProbabilities, generateSynthetic, groundTruthDictionary,
  type FiringRecord, type SyntheticDataset,
} from './generate.js';
export { normalCdf, normalQuantile } from './normal.js';
