/**
 * @saelab/experiments: the SAE seed-stability study. Run it with `npx saelab run --config <name>`;
 * import from here to read results (`parseResults`) or reuse the metrics.
 */
export { ConfigSchema, saeOf, type Config, type TaskConfig, type SaeTraining,
  type TransformerTraining } from './config/schema.js';
export { loadConfig, listConfigs, validateConfig, ConfigError, CONFIG_DIR } from './config/load.js';
export {
  ResultsSchema, WrittenResultsSchema, parseResults, checkWritten, SCHEMA_VERSION, type MeasuredResults, type Results,
  type TaskResult,
  type SaeResult, type Verdicts,
} from './results/schema.js';
export { computeVerdicts, RULES } from './verdicts/index.js';
export { upgradeResults } from './run/upgrade.js';
export {
  initialDecoder, regenerateActivations, regenerateGenerated, type RegeneratedActivations,
} from './run/regenerate.js';
export { runExperiment, type RunOptions } from './run/pipeline.js';
export { compareDictionaries, comparedTasks, finiteOrNull, initShapes, matrixFrom, pairSummary,
  subspaceLevels, truthSection } from './run/analysis.js';
export * from './metrics/index.js';
export {
  makeTask, copySequences, allModularPairs, dInOf, isTransformerTask, taskOf, tasks, type TaskData,
} from './tasks/index.js';
// The positive control's generator: synthetic activations from a known sparse dictionary.
export * from './synthetic/index.js';
// Training-side functions a reader needs to recompute the results from the weight files.
export { extractActivations } from './train/activations.js';
export { evaluateSae } from './train/sae.js';
export { accuracy } from './train/transformer.js';
// The latent pages' files: per SAE, its most frequent and some random latents with their top inputs and matches.
export { LATENT_SELECTION, latentStatistics, selectLatents, type LatentSelection } from './latents/compute.js';
export { writeTaskLatents, type TaskLatentsOptions } from './latents/write.js';
export { writeFolderLatents } from './latents/folder.js';
