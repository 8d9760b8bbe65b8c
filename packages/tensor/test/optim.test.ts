/** Adam and AdamW follow PyTorch's update rule step for step. */
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, mul, sum, tensor, withBackend, type Backend } from '../src/index.js';
import { backend, backendNames, expectAllClose } from './helpers.js';

describe.each(backendNames())('optimisers on %s', (name) => {
  let b: Backend;
  beforeAll(async () => {
    b = await backend(name);
  });

  it('Adam with a constant gradient moves each weight by lr * g / (|g| + eps) per step', () => {
    // With g constant, m_hat = g and v_hat = g^2 exactly, so the trajectory is worked by hand:
    // p_t = p_0 - t * lr * g / (|g| + eps).
    withBackend(b, () => {
      const p = tensor([1, -2, 0.5]).requireGrad();
      const g = [0.5, -1, 2];
      const opt = new Adam([p], { lr: 0.1 });
      for (let t = 1; t <= 3; t++) {
        opt.zeroGrad();
        sum(mul(p, tensor(g))).backward();
        opt.step();
        const expected = [1, -2, 0.5].map((p0, i) => p0 - t * 0.1 * (g[i]! / (Math.abs(g[i]!) + 1e-8)));
        expectAllClose(p.toArray(), expected, 1e-6, 1e-6);
      }
    });
  });

  it('AdamW decays the weight before the Adam step: p <- p (1 - lr wd) - lr sign(g)', () => {
    withBackend(b, () => {
      const p = tensor([1, -2]).requireGrad();
      const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.1 });
      const hand = [1, -2];
      for (let t = 1; t <= 3; t++) {
        opt.zeroGrad();
        sum(mul(p, tensor([3, -3]))).backward();
        opt.step();
        hand[0] = hand[0]! * 0.99 - 0.1 * (3 / (3 + 1e-8));
        hand[1] = hand[1]! * 0.99 + 0.1 * (3 / (3 + 1e-8));
        expectAllClose(p.toArray(), hand, 1e-6, 1e-6);
      }
    });
  });

  it('Adam with L2 weight decay on a quadratic follows the torch.optim.Adam formulas', () => {
    // loss = sum(p^2) / 2, so the gradient is p, plus wd * p from the L2 term.
    withBackend(b, () => {
      const p = tensor([0.8, -0.3]).requireGrad();
      const opt = new Adam([p], { lr: 0.05, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.5 });
      const hp = [0.8, -0.3];
      const m = [0, 0];
      const v = [0, 0];
      for (let t = 1; t <= 4; t++) {
        opt.zeroGrad();
        mul(sum(mul(p, p)), 0.5).backward();
        opt.step();
        for (let i = 0; i < 2; i++) {
          const g = hp[i]! + 0.5 * hp[i]!;
          m[i] = 0.8 * m[i]! + 0.2 * g;
          v[i] = 0.9 * v[i]! + 0.1 * g * g;
          const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - 0.9 ** t) + 1e-6;
          hp[i] = hp[i]! - (0.05 / (1 - 0.8 ** t)) * (m[i]! / denom);
        }
        expectAllClose(p.toArray(), hp, 1e-5, 1e-6);
      }
      expect(opt.stepCount).toBe(4);
    });
  });

  it('state() and loadState() resume the same trajectory', () => {
    withBackend(b, () => {
      const run = (steps: number, resumeAt?: number) => {
        let p = tensor([1, 2]).requireGrad();
        let opt = new Adam([p], { lr: 0.1 });
        for (let t = 0; t < steps; t++) {
          if (t === resumeAt) {
            const saved = { values: p.toArray(), state: opt.state() };
            p = tensor(saved.values).requireGrad();
            opt = new Adam([p], { lr: 0.1 });
            opt.loadState(saved.state);
          }
          opt.zeroGrad();
          sum(mul(p, p)).backward();
          opt.step();
        }
        return Array.from(p.toArray());
      };
      expect(run(5, 2)).toEqual(run(5));
    });
  });
});
