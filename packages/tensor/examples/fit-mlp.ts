/**
 * Fit a two-layer MLP to y = sin(3x) with Adam: the whole engine in 30 lines.
 * Run: npx tsx examples/fit-mlp.ts   (SAELAB_BACKEND=reference to use the plain backend)
 */
import {
  Adam, Linear, Module, Rng, defaultBackendName, disposeBackends, mseLoss, setBackend, tanh, tensor, tidy, type Tensor,
} from '../src/index.js';

class MLP extends Module {
  readonly hidden: Linear;
  readonly out: Linear;
  constructor(rng: Rng) {
    super();
    this.hidden = new Linear(1, 32, rng);
    this.out = new Linear(32, 1, rng);
  }
  forward(x: Tensor): Tensor {
    return this.out.forward(tanh(this.hidden.forward(x))); // [N, 1] -> [N, 32] -> [N, 1]
  }
}

await setBackend(defaultBackendName());
const xs = Array.from({ length: 64 }, (_, i) => -1 + (2 * i) / 63);
const x = tensor(xs, [64, 1]);
const y = tensor(xs.map((v) => Math.sin(3 * v)), [64, 1]);

const model = new MLP(new Rng(0));
const opt = new Adam(model.parameters(), { lr: 0.01 });
for (let step = 0; step <= 500; step++) {
  // tidy(): the step's activations and gradients go back to the backend as soon as it ends.
  const loss = tidy(() => {
    opt.zeroGrad();
    const loss = mseLoss(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  });
  if (step % 100 === 0) console.log(`step ${step}  loss ${loss.toFixed(5)}`);
}
disposeBackends();
