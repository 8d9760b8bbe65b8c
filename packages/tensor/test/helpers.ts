/**
 * Test helpers: the backends under test, closeness checks, and the gradient check every op goes
 * through (analytic gradient on the backend under test against a float64 central difference).
 */
import { expect } from 'vitest';
import {
  loadBackend, mul, runnableBackends, sum, Tensor, tensor, withBackend, type Backend, type Shape,
} from '../src/index.js';

const listed = process.env.SAELAB_TEST_BACKENDS;
const selected = listed ? listed.split(',').map((s) => s.trim()) : await runnableBackends();

/**
 * Backends the suite runs on: SAELAB_TEST_BACKENDS=reference,gpujs, or every backend that runs
 * here (gpujs where it has a GPU: `xvfb-run -a npm test` in Node; see runnableBackends).
 */
export function backendNames(): string[] {
  return selected;
}

/**
 * How far each backend may stray from the reference in the parity tests (relative and absolute,
 * both scaled by the reduction length for sums and matmuls), and whether it keeps subnormal
 * floats. The reference rounds each result of a float64 computation to float32 once.
 *
 * gpujs, measured in HeadlessGL on Mesa's llvmpipe against float64 over [-8, 8]: exp 6e-7
 * relative (ten times the reference's one rounding), log 3e-7 absolute near 1 (GLSL bounds
 * log's error absolutely there), tanh, erf and GELU within 4e-7 absolute; sums and matmuls
 * accumulate in float32 as wasm's do. That is inside wasm's tolerances, so it shares them.
 * (GLSL ES 3.0 allows exp an error of 3 + 2|x| ulp: 1.1e-6 relative at |x| = 4, still inside.)
 * Its shaders flush subnormals (|x| < 2^-126) to zero, as GPUs do: where a test compares exact
 * values, it gives such a backend inputs without them (see `stored`).
 */
export const NUMERICS: Record<string, { rtol: number; atol: number; subnormals: boolean }> = {
  reference: { rtol: 1e-5, atol: 1e-6, subnormals: true },
  wasm: { rtol: 1e-5, atol: 1e-6, subnormals: true },
  gpujs: { rtol: 1e-5, atol: 1e-6, subnormals: false },
};

/** `name`'s entry in NUMERICS (the reference's for a backend not listed). */
export function numerics(name: string): { rtol: number; atol: number; subnormals: boolean } {
  return NUMERICS[name] ?? NUMERICS.reference!;
}

/** x as backend `name` holds it: rounded to float32, and a subnormal as 0 where the backend flushes them. */
export function stored(name: string, x: number): number {
  const f = Math.fround(x);
  if (numerics(name).subnormals || f === 0 || Math.abs(f) >= 2 ** -126) return f;
  return f < 0 ? -0 : 0; // flushing keeps the sign
}

export async function backend(name: string): Promise<Backend> {
  return loadBackend(name);
}

/** Deterministic pseudo-random floats in [lo, hi) for test data (a small LCG; no Math.random). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  });
}

/** |actual - expected| <= atol + rtol * |expected| elementwise, with a message naming the worst element. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

export interface Input {
  shape: Shape;
  values: number[];
}

/** A seeded random input of the given shape with values in [lo, hi). */
export function input(shape: Shape, seed: number, lo = -1, hi = 1): Input {
  return { shape, values: randomArray(shape.reduce((a, b) => a * b, 1), seed, lo, hi) };
}

/**
 * Checks the gradient of `f` on backend `b`: backpropagates sum(f(x) * w) for a fixed random w and
 * compares each input's gradient with central differences of the same function computed in
 * float64 on the reference backend. `f` creates any index tensors with `tensor()`, which uses
 * the backend it runs under.
 */
export async function gradcheck(b: Backend, f: (...xs: Tensor[]) => Tensor, inputs: Input[],
  tol = { rtol: 2e-3, atol: 2e-3 }): Promise<void> {
  const f64 = await loadBackend('reference64');
  const weights = (out: Tensor) => randomArray(out.size, 99, 0.5, 1.5);

  // Analytic, on the backend under test.
  const grads = withBackend(b, () => {
    const xs = inputs.map((i) => tensor(i.values, i.shape).requireGrad());
    const y = f(...xs);
    sum(mul(y, tensor(weights(y), y.shape))).backward();
    return xs.map((x) => (x.grad ? Array.from(x.grad.toArray()) : new Array<number>(x.size).fill(0)));
  });

  // Numeric, in float64.
  const h = 1e-6;
  const objective = (values: number[][]) => withBackend(f64, () => {
    const y = f(...values.map((v, k) => tensor(v, inputs[k]!.shape)));
    return sum(mul(y, tensor(weights(y), y.shape))).item();
  });
  inputs.forEach((inp, k) => {
    const numeric = inp.values.map((_, i) => {
      const plus = inputs.map((x) => [...x.values]);
      const minus = inputs.map((x) => [...x.values]);
      plus[k]![i]! += h;
      minus[k]![i]! -= h;
      return (objective(plus) - objective(minus)) / (2 * h);
    });
    expectAllClose(grads[k]!, numeric, tol.rtol, tol.atol);
  });
}

/** Runs `f` with `b` as the current backend and returns the result's values. */
export function run(b: Backend, f: () => Tensor): number[] {
  return withBackend(b, () => Array.from(f().toArray()));
}
