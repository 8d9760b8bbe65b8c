/** The runs every page renders, read once per build from the folder the integration chose. */
import { loadRuns, resolveResultsDir, type LoadedRun } from './results.js';

let cached: LoadedRun[] | undefined;

export function getRuns(): LoadedRun[] {
  // The integration has already resolved SAELAB_RESULTS to an absolute folder and validated it.
  cached ??= loadRuns(resolveResultsDir(process.env, process.cwd()));
  return cached;
}
