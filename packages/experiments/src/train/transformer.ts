/**
 * Trains a task's transformer: shuffled minibatches, Adam or AdamW, validation accuracy every
 * epoch, an optional early stop, and a checkpoint after every epoch so a killed run resumes
 * where it stopped. The shuffle order of epoch e comes from its own fork of the seed, so a
 * resumed run draws exactly the batches an uninterrupted one would.
 */
import { Adam, AdamW, noGrad, releaseMemory, Rng, tensor, tidy } from '@saelab/tensor';
import { saveCheckpoint, Transformer } from '@saelab/models';
import { resumeFrom } from './resume.js';
import type { TransformerTraining } from '../config/schema.js';
import { batchOf, type Split, type TaskData } from '../tasks/index.js';
import { NonFiniteLossError, silent, type Progress } from './progress.js';

export interface TransformerHistory {
  epochs: number; // epochs trained
  trainLoss: number[]; // mean training loss per epoch
  valAccuracyCurve: number[]; // sequence accuracy per epoch (all window positions right)
  valAccuracy: number; // at the end
  valTokenAccuracy: number; // per-position accuracy at the end
  trainAccuracy: number; // sequence accuracy on the training set at the end
  stoppedEarly: boolean; // the stopWhen rule was met
}

export interface TrainOptions {
  checkpointPath?: string;
  progress?: Progress;
  label?: string;
}

export function buildTransformer(task: TaskData, cfg: TransformerTraining): Transformer {
  return new Transformer({
    nLayers: cfg.nLayers, dModel: cfg.dModel, nHeads: cfg.nHeads, dHead: cfg.dHead, dMlp: cfg.dMlp,
    dVocab: task.dVocab, nCtx: task.seqLen,
  }, new Rng(cfg.seed).fork('transformer-init'));
}

/** Sequence and per-token accuracy of the model's argmax over the window, in chunks, off the tape. */
export function accuracy(model: Transformer, task: TaskData, split: Split,
    chunk = 1024): { sequence: number; token: number } {
  const P = task.window[1] - task.window[0];
  let seqRight = 0;
  let tokRight = 0;
  noGrad(() => {
    for (let s = 0; s < split.n; s += chunk) {
      const n = Math.min(chunk, split.n - s);
      const logits = tidy(() => {
        const tokens = tensor(split.tokens.subarray(s * task.seqLen, (s + n) * task.seqLen), [n, task.seqLen]);
        return model.forward(tokens, { window: task.window }).logits.toArray(); // [n, P, V]
      });
      for (let i = 0; i < n; i++) {
        let all = true;
        for (let p = 0; p < P; p++) {
          const row = (i * P + p) * task.dVocab;
          let best = 0;
          for (let v = 1; v < task.dVocab; v++) if (logits[row + v]! > logits[row + best]!) best = v;
          const right = best === split.targets[(s + i) * P + p];
          tokRight += right ? 1 : 0;
          all &&= right;
        }
        seqRight += all ? 1 : 0;
      }
    }
  });
  return { sequence: seqRight / split.n, token: tokRight / (split.n * P) };
}

export async function trainTransformer(task: TaskData, cfg: TransformerTraining,
    o: TrainOptions = {}): Promise<{ model: Transformer; history: TransformerHistory }> {
  const progress = o.progress ?? silent;
  const label = o.label ?? `${task.name} transformer`;
  const model = buildTransformer(task, cfg);
  const params = model.parameters();
  const opt = cfg.optimizer === 'adamw' ? new AdamW(params, { lr: cfg.lr, weightDecay: cfg.weightDecay })
    : new Adam(params, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  let history: TransformerHistory = { epochs: 0, trainLoss: [], valAccuracyCurve: [], valAccuracy: 0,
    valTokenAccuracy: 0, trainAccuracy: 0, stoppedEarly: false };
  history = (await resumeFrom<TransformerHistory>(o.checkpointPath, model, opt)) ?? history;
  const P = task.window[1] - task.window[0];
  const stepsPerEpoch = Math.ceil(task.train.n / cfg.batchSize);
  progress.start(label, cfg.epochs * stepsPerEpoch);
  const stop = () => {
    const rule = cfg.stopWhen;
    if (!rule || history.valAccuracyCurve.length < rule.forEpochs) return false;
    return history.valAccuracyCurve.slice(-rule.forEpochs).every((a) => a >= rule.valAccuracy);
  };
  while (history.epochs < cfg.epochs && !stop()) {
    const epoch = history.epochs;
    const order = new Rng(cfg.seed).fork(`shuffle/epoch${epoch}`).permutation(task.train.n);
    let lossSum = 0;
    for (let step = 0; step < stepsPerEpoch; step++) {
      const start = step * cfg.batchSize;
      const end = Math.min(start + cfg.batchSize, task.train.n);
      const batch = batchOf(task.train, order, start, end, task.seqLen, P);
      // tidy(): the step's activations and gradients go back to the backend at its end (warm memory next step).
      const value = tidy(() => {
        const tokens = tensor(batch.tokens, [batch.n, task.seqLen]);
        const targets = tensor(batch.targets, [batch.n, P]);
        return model.trainStep(tokens, targets, opt, task.window, (v) => {
          if (!Number.isFinite(v)) throw new NonFiniteLossError(label, epoch, String(v));
        });
      });
      lossSum += value * batch.n;
      progress.update(epoch * stepsPerEpoch + step + 1, `epoch ${epoch + 1} loss ${value.toFixed(4)}`);
      await releaseMemory(); // lets a GPU backend free the step's textures (see @saelab/tensor's memory.ts)
    }
    const val = accuracy(model, task, task.val);
    history = {
      ...history,
      epochs: epoch + 1,
      trainLoss: [...history.trainLoss, lossSum / task.train.n],
      valAccuracyCurve: [...history.valAccuracyCurve, val.sequence],
      valAccuracy: val.sequence,
      valTokenAccuracy: val.token,
    };
    if (o.checkpointPath) await saveCheckpoint(o.checkpointPath, model, opt, history);
  }
  history.stoppedEarly = stop() && history.epochs < cfg.epochs;
  history.trainAccuracy = accuracy(model, task, task.train).sequence;
  const final = accuracy(model, task, task.val);
  history.valAccuracy = final.sequence;
  history.valTokenAccuracy = final.token;
  progress.finish(`${label}: ${history.epochs} epochs, val accuracy ${(100 * history.valAccuracy).toFixed(1)}% (token `
    + `${(100 * history.valTokenAccuracy).toFixed(1)}%), train ${(100 * history.trainAccuracy).toFixed(1)}%`);
  return { model, history };
}
