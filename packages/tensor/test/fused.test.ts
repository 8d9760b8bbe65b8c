/**
 * Fused kernels by name (fused.ts): a fused primitive runs its backend's registered kernel, bit for bit, and
 * otherwise its composite, bit for bit; the two agree within the backend's tolerance, values and gradients.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  apply, getKernel, mul, ReferenceBackend, registerKernel, registeredKernels, softmax, softmaxComposite,
  softmaxGradComposite, sum, tensor, withBackend, type Backend,
} from '../src/index.js';
import { backend, backendNames, expectAllClose, input, numerics } from './helpers.js';

describe('the fused kernel registry', () => {
  it('knows which backends registered which kernels; the reference registers none', async () => {
    await backend('wasm');
    expect(registeredKernels('wasm')).toEqual(['softmax', 'softmaxGrad']);
    expect(registeredKernels('reference')).toEqual([]);
    expect(() => registerKernel('layerNorm' as never, 'wasm', (() => 0) as never))
      .toThrow("registerKernel: 'layerNorm' is not a fused kernel; the fused kernels are softmax, softmaxGrad");
  });

  it('a kernel registered for a backend runs in place of the composite, forward and backward', () => {
    class Counted extends ReferenceBackend {
      override readonly name = 'counted';
    }
    const b = new Counted(Float64Array);
    const calls: string[] = [];
    // Kernels that compute the composites (so the results can be checked) and say they ran.
    registerKernel('softmax', 'counted', (kb, x, rows, n) => {
      calls.push('softmax');
      return softmaxComposite(tensor(Array.from(kb.toHost(x, rows * n)), [rows, n], kb)).storage;
    });
    registerKernel('softmaxGrad', 'counted', (kb, y, g, rows, n) => {
      calls.push('softmaxGrad');
      const [ty, tg] = [y, g].map((s) => tensor(Array.from(kb.toHost(s, rows * n)), [rows, n], kb));
      return softmaxGradComposite(ty!, tg!).storage;
    });
    withBackend(b, () => {
      const x = tensor([[1, 2, 3], [0, 0, 0]]).requireGrad();
      const y = softmax(x);
      sum(mul(y, tensor([[1, 0, 0], [0, 1, 0]]))).backward();
      expect(calls).toEqual(['softmax', 'softmaxGrad']);
      const e = [1, 2, 3].map(Math.exp);
      const z = e[0]! + e[1]! + e[2]!;
      expectAllClose(y.toArray(), [...e.map((v) => v / z), 1 / 3, 1 / 3, 1 / 3], 1e-12, 1e-12);
      // d y_0 / d x_j = y_0 (delta_0j - y_j) in the first row; in the second,
      // y_1 (delta_1j - y_j) = (1/3)(delta_1j - 1/3).
      const p = e.map((v) => v / z);
      expectAllClose(x.grad!.toArray(), [p[0]! * (1 - p[0]!), -p[0]! * p[1]!, -p[0]! * p[2]!, -1 / 9, 2 / 9, -1 / 9],
        1e-12, 1e-12);
    });
  });
});

describe.each(backendNames())('fused softmax on %s', (name) => {
  let b: Backend;
  beforeAll(async () => {
    b = await backend(name);
  });

  const x = input([37, 19], 7, -6, 6);
  const g = input([37, 19], 8);

  it('the primitive is the registered kernel bit for bit, else the composite bit for bit', () => {
    withBackend(b, () => {
      const xt = tensor(x.values, x.shape);
      const gt = tensor(g.values, g.shape);
      const y = apply('softmax', [xt], {});
      const dx = apply('softmaxGrad', [y, gt], {});
      const forward = getKernel('softmax', b);
      const backward = getKernel('softmaxGrad', b);
      const wantY = forward ? b.toHost(forward(b, xt.storage, 37, 19), 37 * 19) : softmaxComposite(xt).toArray();
      const wantDx = backward
        ? b.toHost(backward(b, y.storage, gt.storage, 37, 19), 37 * 19) : softmaxGradComposite(y, gt).toArray();
      expect(Array.from(y.toArray())).toEqual(Array.from(wantY));
      expect(Array.from(dx.toArray())).toEqual(Array.from(wantDx));
    });
  });

  it('the fused kernel and the composite agree within the backend\'s tolerance, values and gradients', () => {
    const { rtol, atol } = numerics(name);
    withBackend(b, () => {
      const xt = tensor(x.values, x.shape);
      const gt = tensor(g.values, g.shape);
      const y = apply('softmax', [xt], {});
      expectAllClose(y.toArray(), softmaxComposite(xt).toArray(), rtol, atol);
      // The gradient sums 19 products per row: the tolerance scales with the reduction, as the parity tests'.
      expectAllClose(apply('softmaxGrad', [y, gt], {}).toArray(), softmaxGradComposite(y, gt).toArray(),
        rtol * 19, atol * 19);
    });
  });
});
