/**
 * Fused kernels by name (fused.ts): a fused primitive runs its backend's registered kernel, bit for bit, and
 * otherwise its composite, bit for bit; the two agree within the backend's tolerance, values and gradients.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adam, adamComposite, apply, geluComposite, geluGradComposite, getKernel, layerNormComposite,
  layerNormGradComposite, maskedAbsTopkComposite, matmulBiasComposite, mul, ReferenceBackend, registerKernel,
  registeredKernels, softmax,
  softmaxComposite, softmaxGradComposite, sum, tensor, tidy, withBackend, type AdamOptions, type Backend, type Storage,
  type Tensor,
} from '../src/index.js';
import { backend, backendNames, expectAllClose, input, numerics, type Input } from './helpers.js';

describe('the fused kernel registry', () => {
  it('knows which backends registered which kernels; the reference registers all but matmulBias and maskedAbsTopk',
      async () => {
    await backend('wasm');
    const all = ['gelu', 'geluGrad', 'layerNorm', 'layerNormGrad', 'matmulBias', 'softmax', 'softmaxGrad',
      'maskedAbsTopk', 'adam'];
    expect(registeredKernels('wasm')).toEqual(all);
    // The reference's own loops where the float32 composite would round differently (reference/fused.ts).
    const ref = ['gelu', 'geluGrad', 'layerNorm', 'layerNormGrad', 'adam'];
    expect(registeredKernels('reference')).toEqual(ref);
    expect(registeredKernels('reference64')).toEqual(ref);
    expect(() => registerKernel('relu' as never, 'wasm', (() => 0) as never))
      .toThrow(`registerKernel: 'relu' is not a fused kernel; the fused kernels are ${all.join(', ')}`);
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

describe('Adam without an adam kernel', () => {
  it('steps inside tidy() by adamComposite, bit for bit, keeping its moments from one step to the next', () => {
    withBackend(new Bare(), () => {
      const start = input([5, 7], 30);
      const p = tensor(start.values, start.shape).requireGrad();
      const opt = new Adam([p], { lr: 0.05 });
      const o: AdamOptions = {
        lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 0,
      };
      const zeros = () => tensor(new Array<number>(35).fill(0), [5, 7]);
      let want = { p: tensor(start.values, start.shape), m: zeros(), v: zeros() };
      for (let step = 1; step <= 3; step++) {
        const g = input([5, 7], 30 + step);
        tidy(() => {
          p.grad = tensor(g.values, g.shape);
          opt.step();
        });
        want = adamComposite(want.p, tensor(g.values, g.shape), want.m, want.v, { ...o, step });
      }
      expect(Array.from(p.toArray())).toEqual(Array.from(want.p.toArray()));
      expect(Array.from(opt.state().m[0]!)).toEqual(Array.from(want.m.toArray()));
      expect(Array.from(opt.state().v[0]!)).toEqual(Array.from(want.v.toArray()));
    });
  });
});

/** One fused primitive on test tensors: its output, the registered kernel's (if any), the composite's, and the
 *  length of the longest sum in it (the tolerance scales with it, as the parity tests' do). */
type Case = (b: Backend, t: Record<'x' | 'g' | 'w' | 'bias', Tensor>) =>
  { out: Tensor; kernel: Storage | undefined; composite: Tensor; reduction: number };

const cases: Record<string, Case> = {
  gelu: (b, { x }) => ({
    out: apply('gelu', [x], {}), kernel: getKernel('gelu', b)?.(b, x.storage, x.size),
    composite: geluComposite(x), reduction: 1,
  }),
  geluGrad: (b, { x, g }) => ({
    out: apply('geluGrad', [x, g], {}), kernel: getKernel('geluGrad', b)?.(b, x.storage, g.storage, x.size),
    composite: geluGradComposite(x, g), reduction: 1,
  }),
  layerNorm: (b, { x }) => ({
    out: apply('layerNorm', [x], { eps: 1e-5 }), kernel: getKernel('layerNorm', b)?.(b, x.storage, 37, 19, 1e-5),
    composite: layerNormComposite(x), reduction: 19,
  }),
  layerNormGrad: (b, { x, g }) => ({
    out: apply('layerNormGrad', [x, g], { eps: 1e-5 }),
    kernel: getKernel('layerNormGrad', b)?.(b, x.storage, g.storage, 37, 19, 1e-5),
    composite: layerNormGradComposite(x, g), reduction: 19,
  }),
  matmulBias: (b, { x, w, bias }) => ({
    out: apply('matmul', [x, w, bias], { transA: false, transB: false }),
    kernel: getKernel('matmulBias', b)?.(b, x.storage, w.storage, bias.storage, 1, 37, 19, 23, false, false, false),
    composite: matmulBiasComposite(x, w, bias), reduction: 19,
  }),
  softmax: (b, { x }) => ({
    out: apply('softmax', [x], {}), kernel: getKernel('softmax', b)?.(b, x.storage, 37, 19),
    composite: softmaxComposite(x), reduction: 19,
  }),
  // Integer-valued x (many ties), a mask of about half the entries, one positive scale per row.
  maskedAbsTopk: (b, { x, g }) => {
    const xi = tensor(Array.from(x.toArray(), Math.round), x.shape);
    const mask = tensor(Array.from(g.toArray(), (v) => (v > 0 ? 1 : 0)), g.shape);
    const scale = tensor(Array.from({ length: 37 }, (_, r) => 0.25 + (r % 5)), [37, 1]);
    return {
      out: apply('maskedAbsTopk', [xi, mask, scale], { k: 4 }),
      kernel: getKernel('maskedAbsTopk', b)?.(b, xi.storage, mask.storage, scale.storage, 37, 19, 4),
      composite: maskedAbsTopkComposite(xi, mask, scale, 4), reduction: 1,
    };
  },
  softmaxGrad: (b, { x, g }) => {
    const y = apply('softmax', [x], {});
    return {
      out: apply('softmaxGrad', [y, g], {}), kernel: getKernel('softmaxGrad', b)?.(b, y.storage, g.storage, 37, 19),
      composite: softmaxGradComposite(y, g), reduction: 19,
    };
  },
};

/** A backend that registers no fused kernel: every fused primitive, and Adam, runs its composite. */
class Bare extends ReferenceBackend {
  override readonly name = 'bare';
}

describe.each([...backendNames(), 'bare'])('fused primitives on %s', (name) => {
  let b: Backend;
  beforeAll(async () => {
    b = name === 'bare' ? new Bare() : await backend(name);
  });

  const data = { x: input([37, 19], 7, -6, 6), g: input([37, 19], 8), w: input([19, 23], 9), bias: input([23], 10) };
  const tensors = () => ({
    x: tensor(data.x.values, data.x.shape), g: tensor(data.g.values, data.g.shape),
    w: tensor(data.w.values, data.w.shape), bias: tensor(data.bias.values, data.bias.shape),
  });

  it.each(Object.keys(cases))('%s is the registered kernel bit for bit, else the composite bit for bit', (op) => {
    withBackend(b, () => {
      const { out, kernel, composite } = cases[op]!(b, tensors());
      const want = kernel === undefined ? composite.toArray() : b.toHost(kernel, out.size);
      expect(Array.from(out.toArray())).toEqual(Array.from(want));
    });
  });

  it.each(Object.keys(cases))('%s: the fused kernel and the composite agree within the backend\'s tolerance', (op) => {
    const { rtol, atol } = numerics(name);
    withBackend(b, () => {
      const { out, composite, reduction } = cases[op]!(b, tensors());
      expectAllClose(out.toArray(), composite.toArray(), rtol * reduction, atol * reduction);
    });
  });

  // Adam (weight decay added to the gradient) at step 3, and AdamW (decoupled decay) at step 1.
  const adams: AdamOptions[] = [
    { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: false, step: 3 },
    { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 1 },
  ];
  const moments = { m: input([37, 19], 11), v: input([37, 19], 12, 0, 1) };

  it('an Adam step is the registered adam kernel bit for bit, else adamComposite bit for bit', () => {
    withBackend(b, () => {
      const p = tensor(data.x.values, data.x.shape).requireGrad();
      const g = tensor(data.g.values, data.g.shape);
      const zeros = () => tensor(new Array<number>(p.size).fill(0), p.shape);
      const [kp, km, kv] = [tensor(data.x.values, data.x.shape), zeros(), zeros()];
      const kernel = getKernel('adam', b);
      const o = { ...adams[0]!, step: 1 };
      const want = kernel ? (kernel(b, kp.storage, g.storage, km.storage, kv.storage, kp.size, o), kp)
        : adamComposite(kp, g, km, kv, o).p;
      p.grad = g;
      new Adam([p], { lr: o.lr, weightDecay: o.weightDecay }).step();
      expect(Array.from(p.toArray())).toEqual(Array.from(want.toArray()));
    });
  });

  it.each(adams)('adam (decoupled $decoupled): the kernel and adamComposite agree within tolerance', (o) => {
    const { rtol, atol } = numerics(name);
    withBackend(b, () => {
      const kernel = getKernel('adam', b);
      if (!kernel) return; // the step above checks the composite runs
      const t = (d: Input) => tensor(d.values, d.shape);
      const want = adamComposite(t(data.x), t(data.g), t(moments.m), t(moments.v), o);
      const [p, m, v] = [t(data.x), t(moments.m), t(moments.v)];
      kernel(b, p.storage, t(data.g).storage, m.storage, v.storage, p.size, o);
      // Elementwise, no sums: a few roundings apart (the reference's kernel rounds once, the composite per op).
      expectAllClose(p.toArray(), want.p.toArray(), rtol, atol);
      expectAllClose(m.toArray(), want.m.toArray(), rtol, atol);
      expectAllClose(v.toArray(), want.v.toArray(), rtol, atol);
    });
  });
});
