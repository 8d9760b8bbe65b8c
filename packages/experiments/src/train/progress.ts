/** How long-running work reports progress; the CLI draws bars, tests stay silent. */
export interface Progress {
  /** A stage of `total` units begins. */
  start(label: string, total: number): void;
  /** `done` units finished so far, with a short status (e.g. the current loss). */
  update(done: number, status?: string): void;
  /** The stage ended; `summary` is its one-line result. */
  finish(summary: string): void;
}

export const silent: Progress = { start() {}, update() {}, finish() {} };

/** Stops a run when a loss goes NaN or infinite, naming where, so nothing finished is lost. */
export class NonFiniteLossError extends Error {
  override readonly name = 'NonFiniteLossError';
  constructor(stage: string, epoch: number, detail: string) {
    super(`${stage}: the loss became ${detail} in epoch ${epoch}; finished stages are kept. Lower the learning rate or `
      + `check the inputs for NaN, then run again to resume.`);
  }
}
