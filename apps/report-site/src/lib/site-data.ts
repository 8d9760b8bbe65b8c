/** The runs and sweeps every page renders, read once per build from the folder the integration chose. */
import { loadRuns, resolveResultsDir, type LoadedRun } from './results.js';
import { loadSweeps, type LoadedSweep } from './sweeps.js';

let cached: LoadedRun[] | undefined;
let cachedSweeps: LoadedSweep[] | undefined;

export function getRuns(): LoadedRun[] {
  // The integration has already resolved SAELAB_RESULTS to an absolute folder and validated it.
  cached ??= loadRuns(resolveResultsDir(process.env, process.cwd()));
  return cached;
}

/** The sweeps in the same folder (`<sweep>/sweep.json`); none is fine. */
export function getSweeps(): LoadedSweep[] {
  cachedSweeps ??= loadSweeps(resolveResultsDir(process.env, process.cwd()));
  return cachedSweeps;
}
