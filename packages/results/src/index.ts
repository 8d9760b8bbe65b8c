/**
 * @saelab/results: the results.json contract. `parseResults(JSON.parse(text), file)` validates a
 * file and returns it typed, with the numbers and the verdicts the experiment decided from them.
 */
export {
  check, InitShapesSchema, SubspaceLevelSchema, parseResults, ResultsSchema, ResultsV1Schema, RunConfigSchema,
  SaeResultSchema, SCHEMA_VERSION,
  TaskResultSchema, TruthSchema, TruthScoresSchema, type InitShapes, type MeasuredResults, type Results,
  type ResultsV1, type SaeResult, type SubspaceLevel, type TaskResult, type Truth, type TruthScoresResult,
} from './schema.js';
export * from './verdicts.js';
export {
  protocolChange, SPAN_VARIANCE, spanLevel, taskVerdict, type ProtocolChange, type TaskChange } from './protocols.js';
export { valueAt } from './paths.js';
export {
  parseSweep, SweepCellSchema, SweepCellVerdictSchema, SweepRowSchema, SweepRulesSchema, SweepSchema,
  SweepVerdictsSchema, SWEEP_SCHEMA_VERSION, type Sweep, type SweepCell, type SweepCellVerdict, type SweepRow,
  type SweepRules, type SweepVerdicts,
} from './sweep.js';
export {
  LATENTS_SCHEMA_VERSION, LatentEntrySchema, LatentInputsSchema, LatentsSchema, latentsFile, parseLatents,
  TopInputSchema, type LatentEntry, type Latents, type TopInput,
} from './latents.js';
