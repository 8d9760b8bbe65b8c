/**
 * Trains one TopK SAE on an activation matrix with one seed: the seed sets both the
 * initialisation and the shuffle order (epoch e shuffles with its own fork of the seed, so a
 * resumed run is bit-identical). After every epoch it records how far the decoder has moved from
 * its initialisation (trainedVsInit, the PWMCC between the two), hands the decoder to `onEpoch`
 * (the pipeline keeps it for the cross-seed PWMCC curve) and checkpoints.
 */
import { Adam, noGrad, releaseMemory, Rng, sub, tensor, tidy, type Tensor } from '@saelab/tensor';
import { makeSae, saeSparsity, saveCheckpoint, type SaeConfig, type SparseAutoencoder } from '@saelab/models';
import { resumeFrom } from './resume.js';
import type { SaeTraining } from '../config/schema.js';
import { pwmcc, type Matrix } from '../metrics/index.js';
import { NonFiniteLossError, silent, type Progress } from './progress.js';

export interface SaeMetrics {
  loss: number; // mean training loss over the final epoch's batches
  l0: number; // mean nonzero latents per sample, over the whole activation set
  explainedVariance: number; // 1 - var(x - x_hat) / var(x), variances over all elements (unbiased)
  fvu: number; // sum (x - x_hat)^2 / sum (x - mean)^2
  deadFraction: number; // latents that fired fewer than 10 times in the final epoch
  trainedVsInit: number; // PWMCC between the trained decoder and its own initialisation
  trainedVsInitCurve: number[]; // the same after every epoch
  lossCurve: number[]; // mean loss per epoch
}

interface SaeState {
  epoch: number; lossCurve: number[]; trainedVsInitCurve: number[]; firings: number[]; sinceFired: number[];
  /** What the SAE learned besides its parameters (`trainingState()`), when it has anything. */
  sae?: Record<string, number>;
}

/** The decoder as a [d_sae, d_in] matrix for the metrics. */
export function decoderMatrix(sae: SparseAutoencoder): Matrix {
  return { data: Float32Array.from(sae.W_dec.toArray()), rows: sae.cfg.dSae, cols: sae.cfg.dIn };
}

/** Per-column mean and the variance over all elements of x [n, d] (global mean, unbiased). */
export function dataStatistics(x: Float32Array,
    d: number): { mean: Float64Array; variance: number; globalMean: number } {
  const n = x.length / d;
  const mean = new Float64Array(d);
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new Error(`activation row ${Math.floor(i / d)} holds ${x[i]}: the activations are corrupt; delete the `
        + `task's activations.safetensors (and its transformer, if it diverged) to recompute them`);
    }
    mean[i % d]! += x[i]!;
    total += x[i]!;
  }
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const globalMean = total / x.length;
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i]! - globalMean) ** 2;
  return { mean, variance: ss / (x.length - 1), globalMean };
}

/**
 * The factor an SAE's inputs are multiplied by in training: 1 for 'none' (or no setting); for SAELens's
 * 'expected_average_only_in', sqrt(d_in) / mean ||x|| over the whole activation set, so that E||c x|| = sqrt(d_in).
 */
export function inputScale(acts: Float32Array, dIn: number, how: SaeTraining['normalizeActivations']): number {
  if (how === undefined || how === 'none') return 1;
  const n = acts.length / dIn;
  let total = 0;
  for (let r = 0; r < n; r++) {
    let sq = 0;
    for (let j = r * dIn; j < (r + 1) * dIn; j++) sq += acts[j]! * acts[j]!;
    total += Math.sqrt(sq);
  }
  if (!(total > 0)) throw new Error('normalizeActivations: the activations are all zero; nothing to normalise by');
  return Math.sqrt(dIn) / (total / n);
}

/** The architecture settings a config may give (SaeTrainingSchema); each is passed on only when the config has it. */
const ARCHITECTURE_FIELDS = ['auxK', 'auxCoef', 'deadAfter', 'lambda', 'lambdaWarmup', 'decoderInitNorm',
  'applyBDecToInput', 'bandwidth', 'initThreshold', 'thresholdLr', 'l0Gain'] as const;

/**
 * The SAE a config trains. `k` is the latents per sample for every architecture: TopK's and BatchTopK's count; for
 * an architecture whose sparsity is a coefficient (standard, gated, JumpReLU), the L0 its controller steers lambda
 * to, unless the config fixes `lambda` (then lambda stays as given and k is not used). So SAEs of one config compare
 * at matched L0.
 */
export function buildSae(cfg: SaeTraining, dIn: number, seed: number, dataMean?: ArrayLike<number>): SparseAutoencoder {
  const config: SaeConfig = { dIn, dSae: cfg.expansion * dIn, k: cfg.k, variant: cfg.variant };
  for (const field of ARCHITECTURE_FIELDS) {
    if (cfg[field] !== undefined) (config as Record<string, unknown>)[field] = cfg[field];
  }
  if (saeSparsity(cfg.variant) === 'coefficient' && cfg.lambda === undefined) config.targetL0 = cfg.k;
  return makeSae(config, seed, dataMean);
}

export async function trainSae(acts: Float32Array, dIn: number, cfg: SaeTraining, seed: number,
  o: {
    checkpointPath?: string; progress?: Progress; label?: string;
    /** Called with the decoder after every epoch (1-based), before that epoch's checkpoint. */
    onEpoch?: (epoch: number, decoder: Matrix) => Promise<void>;
  } = {},
): Promise<{ sae: SparseAutoencoder; initDecoder: Matrix; metrics: SaeMetrics }> {
  const progress = o.progress ?? silent;
  const label = o.label ?? `SAE seed ${seed}`;
  const n = acts.length / dIn;
  const rawStats = dataStatistics(acts, dIn);
  const scale = inputScale(acts, dIn, cfg.normalizeActivations);
  const x = scale === 1 ? acts : Float32Array.from(acts, (v) => v * scale);
  const stats = scale === 1 ? rawStats : dataStatistics(x, dIn);
  const sae = buildSae(cfg, dIn, seed, stats.mean);
  const initDecoder = decoderMatrix(sae);
  const opt = new Adam(sae.parameters(), { lr: cfg.lr });
  let state: SaeState = { epoch: 0, lossCurve: [], trainedVsInitCurve: [], firings: [], sinceFired: [] };
  const resumed = await resumeFrom<SaeState>(o.checkpointPath, sae, opt);
  if (resumed) {
    state = resumed;
    sae.sinceFired.set(state.sinceFired);
    if (state.sae) sae.restoreTrainingState(state.sae);
  }
  const steps = Math.ceil(n / cfg.batchSize);
  progress.start(label, cfg.epochs * steps);
  while (state.epoch < cfg.epochs) {
    const epoch = state.epoch;
    const order = new Rng(seed).fork(`shuffle/epoch${epoch}`).permutation(n);
    sae.firings.fill(0);
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      const start = step * cfg.batchSize;
      const end = Math.min(start + cfg.batchSize, n);
      const batch = new Float32Array((end - start) * dIn);
      for (let i = start; i < end; i++) {
        batch.set(x.subarray(order[i]! * dIn, (order[i]! + 1) * dIn), (i - start) * dIn);
      }
      sae.setProgress((epoch * steps + step) / (cfg.epochs * steps)); // warm-ups (standard's L1 coefficient)
      // tidy(): the step's tensors go back to the backend at its end, so the next step reuses warm memory.
      const value = tidy(() => sae.trainStep(tensor(batch, [end - start, dIn]), opt, stats.variance, (loss) => {
        if (!Number.isFinite(loss)) throw new NonFiniteLossError(label, epoch, String(loss));
      }));
      lossSum += value;
      progress.update(epoch * steps + step + 1, `epoch ${epoch + 1} loss ${value.toFixed(4)}`);
      await releaseMemory(); // lets a GPU backend free the step's textures (see @saelab/tensor's memory.ts)
    }
    state = {
      epoch: epoch + 1,
      lossCurve: [...state.lossCurve, lossSum / steps],
      trainedVsInitCurve: [...state.trainedVsInitCurve, pwmcc(decoderMatrix(sae), initDecoder)],
      firings: Array.from(sae.firings),
      sinceFired: Array.from(sae.sinceFired),
      ...(Object.keys(sae.trainingState()).length ? { sae: sae.trainingState() } : {}),
    };
    await o.onEpoch?.(state.epoch, decoderMatrix(sae));
    if (o.checkpointPath) await saveCheckpoint(o.checkpointPath, sae, opt, state);
  }
  if (scale !== 1) sae.foldInputScale(scale); // the SAE now takes the activations as they are
  const quality = evaluateSae(sae, acts, dIn, rawStats);
  const metrics: SaeMetrics = {
    loss: state.lossCurve[state.lossCurve.length - 1] ?? NaN,
    ...quality,
    deadFraction: state.firings.filter((f) => f < 10).length / sae.cfg.dSae,
    // Of the decoder the file holds: folding rescales it, which moves the cosines in their last bits.
    trainedVsInit: scale !== 1 ? pwmcc(decoderMatrix(sae), initDecoder)
      : state.trainedVsInitCurve[state.trainedVsInitCurve.length - 1] ?? 1,
    trainedVsInitCurve: state.trainedVsInitCurve,
    lossCurve: state.lossCurve,
  };
  progress.finish(`${label}: loss ${metrics.loss.toFixed(4)}, L0 ${metrics.l0.toFixed(2)}, EV `
    + `${metrics.explainedVariance.toFixed(4)}, dead ${(100 * metrics.deadFraction).toFixed(1)}%, trained-vs-init `
    + `${metrics.trainedVsInit.toFixed(3)}`);
  return { sae, initDecoder, metrics };
}

/** L0, explained variance and FVU of an SAE over the whole activation set. */
export function evaluateSae(sae: SparseAutoencoder, acts: Float32Array, dIn: number, stats = dataStatistics(acts, dIn),
    chunk = 4096): { l0: number; explainedVariance: number; fvu: number } {
  const n = acts.length / dIn;
  let nonzero = 0;
  let errSum = 0;
  let errSq = 0;
  let totalSq = 0;
  noGrad(() => {
    for (let s = 0; s < n; s += chunk) tidy(() => {
      const m = Math.min(chunk, n - s);
      const x = tensor(acts.subarray(s * dIn, (s + m) * dIn), [m, dIn]);
      const { indices, values } = sae.encode(x);
      const vals = values.toArray();
      for (let i = 0; i < vals.length; i++) nonzero += vals[i] !== 0 ? 1 : 0;
      const residual: Tensor = sub(x, sae.decode(indices, values));
      const r = residual.toArray();
      for (let i = 0; i < r.length; i++) {
        errSum += r[i]!;
        errSq += r[i]! * r[i]!;
        totalSq += (acts[s * dIn + i]! - stats.globalMean) ** 2;
      }
    });
  });
  const count = n * dIn;
  const residualVariance = (errSq - (errSum * errSum) / count) / (count - 1);
  return { l0: nonzero / n, explainedVariance: 1 - residualVariance / stats.variance, fvu: errSq / totalSq };
}
