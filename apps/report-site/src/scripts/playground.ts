/**
 * The stability playground page: reads the settings from the address (playground-settings.ts), runs the
 * playground in a Web Worker (playground.worker.ts, which calls playground-core.ts) so the page stays responsive,
 * and draws what it reports as it comes. Stop terminates the worker. Train writes the settings into the address
 * first, so the link shares the run.
 */
import type { WorkerMessage } from './playground.worker.js';
import type { PlaygroundSummary } from './playground-core.js';
import { parseSettings, settingsToQuery, type PlaygroundSettings } from './playground-settings.js';
import { drawHeatmap, drawLines, saeRow, SEED_COLOURS, setNumber } from './playground-view.js';

const $ = <T extends Element>(id: string) => document.getElementById(id) as unknown as T;
const form = $<HTMLFormElement>('settings');
const status = $<HTMLElement>('status');

/** What the run has reported so far. */
interface Live {
  settings: PlaygroundSettings;
  backend: string;
  losses: { steps: number[]; values: number[] }[];
  /** pairValues[epoch - 1]: PWMCC of every pair compared at that epoch so far. */
  pairValues: number[][];
  stepMs: number[];
  chance: number;
  started: number;
  drawPending: boolean;
}

let worker: Worker | undefined;
let live: Live | undefined;

function setState(state: string, text: string): void {
  status.dataset.state = state;
  status.textContent = text;
  $<HTMLButtonElement>('stop').disabled = state !== 'running';
}

/** The form's fields as the query string's keys (the form's names are those keys). */
function formParams(): URLSearchParams {
  const params = new URLSearchParams();
  for (const el of Array.from(form.elements) as HTMLInputElement[]) if (el.name) params.set(el.name, el.value.trim());
  return params;
}

function fillForm(s: PlaygroundSettings): void {
  const params = new URLSearchParams(settingsToQuery(s));
  for (const el of Array.from(form.elements) as HTMLInputElement[]) {
    const v = params.get(el.name);
    if (v !== null) el.value = v;
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function draw(): void {
  if (!live) return;
  live.drawPending = false;
  drawLines($<SVGSVGElement>('loss-chart'), live.losses.map((l, i) => ({
    xs: l.steps, ys: l.values.map((v) => Math.log10(v)), colour: SEED_COLOURS[i]!,
  })));
  const epochs = live.pairValues.map((_, e) => e + 1).filter((e) => live!.pairValues[e - 1]!.length > 0);
  const curve = epochs.map((e) => mean(live!.pairValues[e - 1]!));
  const all = [...curve, live.chance];
  drawLines($<SVGSVGElement>('pwmcc-chart'), [
    { xs: epochs, ys: curve, colour: SEED_COLOURS[0]! },
    { xs: [1, live.settings.epochs], ys: [live.chance, live.chance], cls: 'chance' },
  ], [Math.min(...all) - 0.02, Math.min(1, Math.max(...all) + 0.02)]);
  const recent = live.stepMs.slice(-20);
  if (recent.length) setNumber($('step-ms'), mean(recent), 2);
}

function scheduleDraw(): void {
  if (live && !live.drawPending) {
    live.drawPending = true;
    requestAnimationFrame(draw);
  }
}

function finish(summary: PlaygroundSummary): void {
  const l = live!;
  setNumber($('pwmcc'), summary.pwmcc.mean);
  l.pairValues = summary.pwmccCurve.map((v) => [v]); // the run's own curve replaces the running means
  draw();
  drawHeatmap($<HTMLCanvasElement>('heatmap'), summary.heatmap);
  const seconds = (performance.now() - l.started) / 1000;
  const stepMs = mean(summary.saes.map((s) => s.stepMs));
  setState('done', `done: ${summary.saes.length} SAEs in ${seconds.toFixed(1)} s on the ${l.backend} backend, `
    + `${stepMs.toFixed(2)} ms per step`);
  worker?.terminate();
  worker = undefined;
}

function onMessage(m: WorkerMessage): void {
  const l = live!;
  switch (m.type) {
    case 'backend':
      l.backend = m.name;
      $('backend').textContent = m.mode ? `${m.name} (${m.mode})` : m.name;
      $('backend-note').textContent = m.fallback ? `${m.fallback}; running on wasm instead.` : '';
      setState('running', `generating ${l.settings.samples} samples...`);
      break;
    case 'data':
      l.chance = m.chance;
      setNumber($('chance'), m.chance);
      setNumber($('mean-l0'), m.meanL0, 2);
      break;
    case 'step':
      (l.losses[m.sae] ??= { steps: [], values: [] }).steps.push(m.step);
      l.losses[m.sae]!.values.push(m.loss);
      l.stepMs.push(m.stepMs);
      $('step').textContent = `SAE ${m.sae + 1} of ${l.settings.seeds.length} (seed ${m.seed}), step ${m.step} of `
        + `${m.steps}`;
      setState('running', `training seed ${m.seed}: step ${m.step} of ${m.steps}`);
      scheduleDraw();
      break;
    case 'epoch':
      (l.pairValues[m.epoch - 1] ??= []).push(...m.pwmccWithEarlier);
      if (m.pwmccWithEarlier.length) setNumber($('pwmcc'), mean(l.pairValues[m.epoch - 1]!));
      scheduleDraw();
      break;
    case 'sae':
      $('saes').querySelector('tbody')!.append(saeRow(m.result, SEED_COLOURS[m.sae]!));
      break;
    case 'done':
      finish(m.summary);
      break;
    case 'error':
      setState('failed', `training failed: ${m.message}`);
      worker?.terminate();
      worker = undefined;
      break;
  }
}

function reset(): void {
  for (const id of ['pwmcc', 'chance', 'mean-l0', 'step-ms', 'step']) $(id).textContent = '-';
  $('saes').querySelector('tbody')!.replaceChildren();
  $<SVGSVGElement>('loss-chart').replaceChildren();
  $<SVGSVGElement>('pwmcc-chart').replaceChildren();
  const canvas = $<HTMLCanvasElement>('heatmap');
  canvas.width = canvas.height = 1;
}

function start(settings: PlaygroundSettings): void {
  worker?.terminate();
  reset();
  live = { settings, backend: settings.backend, losses: [], pairValues: [], stepMs: [], chance: NaN,
    started: performance.now(), drawPending: false };
  setState('running', 'loading the backend...');
  worker = new Worker(new URL('./playground.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => onMessage(e.data);
  worker.onerror = (e) => {
    setState('failed', `the worker failed: ${e.message}`);
    worker?.terminate();
    worker = undefined;
  };
  worker.postMessage({ settings });
}

/** Validates `params`, shows the error or writes the settings into the address, and trains. */
function trainWith(params: URLSearchParams, writeAddress: boolean): void {
  let settings: PlaygroundSettings;
  try {
    settings = parseSettings(params);
  } catch (e) {
    $('settings-error').textContent = `These settings cannot run: ${(e as Error).message}`;
    setState('invalid', 'not started: fix the settings above');
    return;
  }
  $('settings-error').textContent = '';
  fillForm(settings);
  if (writeAddress) history.replaceState(null, '', `${location.pathname}?${settingsToQuery(settings)}`);
  start(settings);
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  trainWith(formParams(), true);
});
$<HTMLButtonElement>('stop').addEventListener('click', () => {
  worker?.terminate();
  worker = undefined;
  setState('stopped', `stopped: ${status.textContent?.replace(/^training /, 'at ') ?? ''}`);
});

trainWith(new URLSearchParams(location.search), false);
