/**
 * The playground's Web Worker: sets the backend and runs the playground (playground-core.ts) off the page's
 * thread, posting every event to the page, which stops a run by terminating this worker.
 *
 * Messages in: { settings }. Out: { type: 'backend', name, mode?, fallback? }, then playground-core's events, or
 * { type: 'error', message }.
 */
import { setBackend, type GpujsBackend } from '@saelab/tensor';
import { runPlayground, type PlaygroundEvent } from './playground-core.js';
import type { PlaygroundSettings } from './playground-settings.js';

export type WorkerMessage = PlaygroundEvent
  | { type: 'backend'; name: string; mode?: string; fallback?: string }
  | { type: 'error'; message: string };

const scope = self as unknown as { postMessage(m: WorkerMessage): void; onmessage: ((e: MessageEvent) => void) | null };
const post = (m: WorkerMessage) => scope.postMessage(m);

/** The backend asked for, or wasm with the reason where gpujs finds no WebGL in this worker. */
async function chooseBackend(name: string): Promise<void> {
  if (name === 'gpujs') {
    try {
      const gpu = (await setBackend('gpujs')) as GpujsBackend;
      if (gpu.isGpu) return post({ type: 'backend', name: 'gpujs', mode: gpu.mode });
      const fallback = `gpu.js found no WebGL here (it would run in ${gpu.mode} mode)`;
      post({ type: 'backend', name: 'wasm', fallback });
    } catch (e) {
      post({ type: 'backend', name: 'wasm', fallback: `gpujs could not start: ${(e as Error).message}` });
    }
  } else {
    post({ type: 'backend', name });
  }
  await setBackend('wasm');
}

scope.onmessage = (e: MessageEvent) => {
  const settings = (e.data as { settings: PlaygroundSettings }).settings;
  chooseBackend(settings.backend)
    .then(() => runPlayground(settings, post))
    .catch((err: Error) => post({ type: 'error', message: err.message ?? String(err) }));
};
