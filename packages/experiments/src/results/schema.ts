/**
 * results.json as the experiment writes it: the contract lives in @saelab/results (what readers
 * validate); here it is tightened with the experiment's own config schema, so a file this package
 * writes or upgrades holds a config that `saelab run` accepts.
 */
import { check, ResultsSchema, type Results } from '@saelab/results';
import { ConfigSchema } from '../config/schema.js';

export {
  parseResults, ResultsSchema, ResultsV1Schema, SCHEMA_VERSION, type MeasuredResults, type Results, type ResultsV1,
  type SaeResult,
  type TaskResult, type Verdicts,
} from '@saelab/results';

/** ResultsSchema with the config validated in full. */
export const WrittenResultsSchema = ResultsSchema.extend({ config: ConfigSchema });

/** Checks results before they are written: the reader's contract and a config `saelab run` accepts. */
export function checkWritten(value: unknown, source: string): Results {
  return check(WrittenResultsSchema, value, source) as Results;
}
