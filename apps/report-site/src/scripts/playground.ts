/**
 * The playground: @saelab/tensor training a two-layer MLP to fit y = sin(3x) with Adam, live in
 * the browser. The same engine trains the study's transformers and SAEs; here it is small enough
 * to watch. Runs on the wasm backend (single-threaded here: a static page is not cross-origin
 * isolated, so there is no SharedArrayBuffer), and falls back to the reference backend, saying why,
 * if wasm cannot load.
 */
import { Adam, Linear, Module, Rng, mseLoss, noGrad, setBackend, tanh, tensor, type Tensor } from '@saelab/tensor';

const CONFIG = {
  points: 64, // training inputs, evenly spaced on [-1, 1]
  hidden: 32, // hidden units
  lr: 0.01, // Adam learning rate
  steps: 400, // full-batch steps
  yieldEvery: 10, // steps between redraws
  seed: 0, // initialisation
};

class MLP extends Module {
  readonly hidden: Linear;
  readonly out: Linear;
  constructor(rng: Rng) {
    super();
    this.hidden = new Linear(1, CONFIG.hidden, rng);
    this.out = new Linear(CONFIG.hidden, 1, rng);
  }
  forward(x: Tensor): Tensor {
    return this.out.forward(tanh(this.hidden.forward(x))); // [N, 1] -> [N, hidden] -> [N, 1]
  }
}

const $ = <T extends Element>(id: string) => document.getElementById(id) as unknown as T;
const SVG = 'http://www.w3.org/2000/svg';

/** Replaces an SVG's content with polylines of the given series, each scaled into the box. */
function drawLines(svg: SVGSVGElement, series: { xs: number[]; ys: number[]; cls: string }[],
    yRange: [number, number]) {
  const [w, h, pad] = [320, 180, 8];
  const xsAll = series.flatMap((s) => s.xs);
  const [x0, x1] = [Math.min(...xsAll), Math.max(...xsAll)];
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0 || 1)) * (w - 2 * pad);
  const sy = (y: number) => h - pad - ((y - yRange[0]) / (yRange[1] - yRange[0] || 1)) * (h - 2 * pad);
  svg.replaceChildren(...series.map((s) => {
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', s.xs.map((x, i) => `${sx(x).toFixed(1)},${sy(s.ys[i]!).toFixed(1)}`).join(' '));
    line.setAttribute('class', s.cls);
    return line;
  }));
}

async function chooseBackend(): Promise<{ name: string; error?: string }> {
  try {
    await setBackend('wasm');
    return { name: 'wasm' };
  } catch (e) {
    await setBackend('reference');
    return { name: 'reference', error: (e as Error).message ?? String(e) };
  }
}

async function train(): Promise<void> {
  const status = $<HTMLElement>('status');
  const button = $<HTMLButtonElement>('train');
  button.disabled = true;
  status.dataset.state = 'running';
  status.textContent = 'loading the backend...';
  const backend = await chooseBackend();
  $<HTMLElement>('backend').textContent = backend.name;
  if (backend.error) {
    $<HTMLElement>('backend-error').textContent = `The wasm backend could not load (${backend.error}); running on the `
      + `reference backend instead.`;
  }

  const xs = Array.from({ length: CONFIG.points }, (_, i) => -1 + (2 * i) / (CONFIG.points - 1));
  const target = xs.map((v) => Math.sin(3 * v));
  const x = tensor(xs, [CONFIG.points, 1]);
  const y = tensor(target, [CONFIG.points, 1]);
  const model = new MLP(new Rng(CONFIG.seed));
  const opt = new Adam(model.parameters(), { lr: CONFIG.lr });
  const losses: number[] = [];
  const t0 = performance.now();
  for (let step = 1; step <= CONFIG.steps; step++) {
    opt.zeroGrad();
    const loss = mseLoss(model.forward(x), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
    if (step % CONFIG.yieldEvery === 0 || step === CONFIG.steps) {
      const prediction = Array.from(noGrad(() => model.forward(x)).toArray());
      $<HTMLElement>('step').textContent = String(step);
      $<HTMLElement>('loss-first').textContent = losses[0]!.toExponential(3);
      $<HTMLElement>('loss-last').textContent = losses[losses.length - 1]!.toExponential(3);
      status.textContent = `training: step ${step} of ${CONFIG.steps}`;
      const logs = losses.map((l) => Math.log10(l));
      drawLines($<SVGSVGElement>('loss-chart'), [{ xs: losses.map((_, i) => i + 1), ys: logs, cls: 'loss' }],
        [Math.min(...logs), Math.max(...logs)]);
      drawLines($<SVGSVGElement>('fit-chart'), [{ xs, ys: target, cls: 'target' },
        { xs, ys: prediction, cls: 'prediction' }], [-1.2, 1.2]);
      await new Promise((r) => setTimeout(r, 0)); // let the page repaint
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  status.textContent = `done: ${CONFIG.steps} steps in ${seconds.toFixed(2)} s on the ${backend.name} backend`;
  status.dataset.state = 'done';
  button.disabled = false;
}

function run(): void {
  train().catch((e: Error) => {
    const status = $<HTMLElement>('status');
    status.dataset.state = 'failed';
    status.textContent = `training failed: ${e.message}`;
    $<HTMLButtonElement>('train').disabled = false;
  });
}

$<HTMLButtonElement>('train').addEventListener('click', run);
run();
