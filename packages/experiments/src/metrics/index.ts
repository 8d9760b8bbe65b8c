/**
 * Metrics for comparing SAE dictionaries across seeds: PWMCC and its random baseline, one-to-one
 * matching (LAPJV) with the shared-latent fraction, and the statistics used to compare them.
 */
export {
  type Matrix,
  type PairValue,
  type PairSummary,
  checkMatrix,
  checkSameSpace,
  normalizeRows,
  cosineMatrix,
  pwmccFromCosine,
  pwmcc,
  pwmccMatrix,
  upperTriangle,
  summarisePairs,
} from './pwmcc.js';
export {
  absCosineCdf, analyticBaseline, analyticBaselineStd, randomDictionary, empiricalBaseline, initShapeBaselines,
} from './baseline.js';
export { type HungarianMatch, linearAssignment, hungarianMatch, sharedFraction } from './matching.js';
export {
  type SampleSummary,
  type ZTestResult,
  type TTestResult,
  type BootstrapResult,
  type TrainedVsRandomResult,
  mean,
  populationStd,
  sampleStd,
  quantile,
  median,
  normalTwoSidedP,
  studentTwoSidedP,
  zTestFromSummary,
  zTest,
  welchTTest,
  oneSampleTTest,
  bootstrapMeanPwmcc,
  trainedVsRandom,
} from './stats.js';
export { activationSpectrum, componentsFor, principalAxes, spectrumOf, type PrincipalAxes,
  type Spectrum } from './spectrum.js';
export { MIN_PROJECTED_NORM, projectRows, subspacePwmcc } from './subspace.js';
export {
  type TruthMatch, type TruthScores, bestCosinePerFeature, bothRecovered, matchedToTruth, mmcs, mmcsReverse, recovered,
  recoveredFraction, scoreAgainstTruth,
} from './truth.js';
