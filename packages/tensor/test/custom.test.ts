/**
 * customGradient: a hand-stated gradient checked in float64 against a hand-written expectation, the same op
 * inside a larger graph (the gradient reaches the ops before it), a smooth one against central differences,
 * several outputs, and the errors a wrong backward gets, on every backend.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  abs, customGradient, div, exp, gt, loadBackend, lt, matmul, mul, noGrad, sign, sub, sum, sumToShape, tanh,
  tensor, where, withBackend, type Backend, type Tensor,
} from '../src/index.js';
import { backend, backendNames, expectAllClose, gradcheck, input } from './helpers.js';

/** sign(x) forward, the identity's gradient backward: the straight-through estimator. */
const signSte = customGradient((x: Tensor) => sign(x), (g) => [g], 'signSte');

/** x * y with its gradient stated by hand: the true one, so differences can check it. */
const product = customGradient((x: Tensor, y: Tensor) => mul(x, y),
  (g, [x, y]) => [mul(g, y), mul(g, x)], 'product');

/** H(z - theta) with the rectangle-kernel pseudo-derivative of JumpReLU's L0 term: d/dz := 0,
 *  d/dtheta := -(1 / eps) K((z - theta) / eps), K(u) = 1[|u| < 1/2]; theta [n] is shared by the rows of z [B, n]. */
const EPS = 0.5;
const step = customGradient((z: Tensor, theta: Tensor) => gt(z, theta), (g, [z, theta]) => {
  const kernel = lt(abs(div(sub(z, theta), EPS)), 0.5);
  return [null, sumToShape(mul(g, mul(kernel, -1 / EPS)), theta.shape)];
}, 'step');

/** Two outputs, [x + y, x * y], with the true gradient: d/dx = g0 + g1 y, d/dy = g0 + g1 x. */
const sumAndProduct = customGradient((x: Tensor, y: Tensor) => [x.add(y), x.mul(y)],
  ([g0, g1], [x, y]) => [g0.add(g1.mul(y)), g0.add(g1.mul(x))], 'sumAndProduct');

describe('customGradient in float64', () => {
  let f64: Backend;
  beforeAll(async () => {
    f64 = await loadBackend('reference64');
  });

  it('gives exactly the stated pseudo-gradient (the rectangle kernel of a step)', () => {
    withBackend(f64, () => {
      const zs = [[0.1, 0.9, -2], [0.6, 0.2, 0.3]];
      const thetas = [0.3, 0.5, 0.2];
      const w = [[1, 2, 3], [4, 5, 6]];
      const z = tensor(zs).requireGrad();
      const theta = tensor(thetas).requireGrad();
      const h = step(z, theta);
      expect(Array.from(h.toArray())).toEqual([0, 1, 0, 1, 0, 1]);
      sum(mul(h, tensor(w))).backward();
      // sum_b w_bi * -(1 / eps) K((z_bi - theta_i) / eps); K is 1 where |z - theta| < eps / 2 = 0.25: only at
      // (0.1 vs 0.3), weight 1, and (0.3 vs 0.2), weight 6. Times -1 / eps = -2:
      expect(Array.from(theta.grad!.toArray())).toEqual([-2, 0, -12]);
      expect(z.grad).toBeNull(); // d/dz := 0: the backward returned null
    });
  });

  it('passes the gradient through to the ops before it (a larger graph)', () => {
    withBackend(f64, () => {
      // loss = sum(c * signSte(x W)): the estimator passes c through, so dW = x^T c and dx = c W^T, exactly.
      const x = tensor([[1, -2], [0.5, 3]]).requireGrad();
      const W = tensor([[0.2, -1, 0.5], [1, 0.3, -0.4]]).requireGrad();
      const c = tensor([[1, 2, 3], [-1, 0.5, 2]]);
      sum(mul(tanh(signSte(matmul(x, W))), c)).backward();
      const s = noGrad(() => sign(matmul(x, W)));
      const dy = mul(c, sub(1, mul(tanh(s), tanh(s)))); // tanh's derivative at the signs
      expectAllClose(W.grad!.toArray(), matmul(x, dy, { transA: true }).toArray(), 1e-15, 1e-15);
      expectAllClose(x.grad!.toArray(), matmul(dy, W, { transB: true }).toArray(), 1e-15, 1e-15);
    });
  });

  it('does not record the op without the tape or an input that needs a gradient', () => {
    withBackend(f64, () => {
      const x = tensor([1, -2]).requireGrad();
      expect(noGrad(() => signSte(x)).node).toBeNull();
      expect(signSte(tensor([1, -2])).node).toBeNull();
      expect(signSte(x).node?.op).toBe('custom');
    });
  });
});

describe.each(backendNames())('customGradient on %s', (name) => {
  let b: Backend;
  beforeAll(async () => {
    b = await backend(name);
  });

  it('a stated gradient matches central differences, alone and between other ops', async () => {
    await gradcheck(b, (x, y) => product(x!, y!), [input([3, 4], 1), input([3, 4], 2)]);
    await gradcheck(b, (x, y) => tanh(product(exp(x!), matmul(y!, x!))), [input([3, 3], 3), input([3, 3], 4)]);
  });

  it('the straight-through estimator passes its gradient on unchanged', () => {
    withBackend(b, () => {
      const x = tensor([[0.5, -0.25], [2, -3]]).requireGrad();
      sum(mul(signSte(x), tensor([[1, 2], [3, 4]]))).backward();
      expect(Array.from(x.grad!.toArray())).toEqual([1, 2, 3, 4]);
    });
  });

  it('several outputs: one backward call gets every output\'s gradient, zeros for an unused one', async () => {
    await gradcheck(b, (x, y) => {
      const [s, p] = sumAndProduct(x!, y!);
      return where(gt(s, 0), p, mul(s, 3));
    }, [input([2, 5], 5), input([2, 5], 6)]);
    withBackend(b, () => {
      const x = tensor([1, 2]).requireGrad();
      const y = tensor([3, 5]).requireGrad();
      sum(sumAndProduct(x, y)[1]).backward(); // only the product reaches the loss: g0 is zeros
      expect(Array.from(x.grad!.toArray())).toEqual([3, 5]);
      expect(Array.from(y.grad!.toArray())).toEqual([1, 2]);
    });
  });

  it('names the op, the input and the shape expected when the backward returns the wrong gradients', () => {
    withBackend(b, () => {
      const x = tensor([[1, 2, 3]]).requireGrad();
      const y = tensor([4, 5, 6]).requireGrad();
      const tooFew = customGradient((a: Tensor, c: Tensor) => mul(a, c), (g) => [g], 'tooFew');
      expect(() => sum(tooFew(x, y)).backward()).toThrow("customGradient 'tooFew': the backward returned 1 gradient"
        + ' for 2 inputs; return an array with one gradient per input, in order (null for an input without one)');
      const wrongShape = customGradient((a: Tensor, c: Tensor) => mul(a, c), (g) => [g, g], 'wrongShape');
      expect(() => sum(wrongShape(x, y)).backward())
        .toThrow("customGradient 'wrongShape': the gradient for input 1 has shape [1, 3], expected [3]"
          + " (the input's shape)");
      const notTensor = customGradient((a: Tensor) => a, () => [3 as never], 'notTensor');
      expect(() => sum(notTensor(x)).backward())
        .toThrow("customGradient 'notTensor': the gradient for input 0 is not a Tensor;"
          + ' return a Tensor of shape [1, 3]');
      const badForward = customGradient((a: Tensor) => [a, 2 as never], () => [null], 'badForward');
      expect(() => badForward(x)).toThrow("customGradient 'badForward': the forward returned a non-Tensor as output 1");
    });
  });
});
