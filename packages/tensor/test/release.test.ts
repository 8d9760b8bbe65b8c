/**
 * Backends that reuse released storage (Backend.release) must only ever be handed storage the engine is
 * done with: intermediate gradients, never the seed, a leaf's .grad, or a gradient still pending for
 * another input. Graphs that share gradients in every way the rules allow (add passing g to both sides,
 * a tensor used twice, reshapes sharing storage) give the same gradients as on the reference backend, and
 * gradients kept from one backward pass survive the allocations of the next.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  add, exp, loadBackend, matmul, mul, reshape, sum, tensor, withBackend, type Backend, type Tensor,
} from '../src/index.js';
import { backendNames, expectAllClose, input } from './helpers.js';

/** A graph whose gradients alias each other: x used twice, add's g passed on to both inputs, reshapes.
 *  (Sizes above the pool's minimum, so that released storage really is reused.) */
function tangled(x: Tensor, w: Tensor): Tensor {
  const y = add(x, x); // [64, 128]: both inputs get the same gradient tensor
  const z = reshape(add(y, matmul(x, w)), [128, 64]); // add passes g to both sides; reshape shares storage
  return sum(mul(exp(mul(z, 0.1)), reshape(y, [128, 64])));
}

function gradsOn(b: Backend, seed: number): number[][] {
  return withBackend(b, () => {
    const x = tensor(input([64, 128], seed).values, [64, 128]).requireGrad();
    const w = tensor(input([128, 128], seed + 1).values, [128, 128]).requireGrad();
    tangled(x, w).backward();
    return [Array.from(x.grad!.toArray()), Array.from(w.grad!.toArray())];
  });
}

describe.each(backendNames().filter((n) => n !== 'reference'))('%s: released storage', (name) => {
  let b: Backend;
  let ref: Backend;
  beforeAll(async () => {
    b = await loadBackend(name);
    ref = await loadBackend('reference');
  });

  it('gives the reference gradients on a graph whose gradients alias each other', () => {
    for (const seed of [1, 2, 3]) {
      const [gx, gw] = gradsOn(b, seed);
      const [rx, rw] = gradsOn(ref, seed);
      expectAllClose(gx!, rx!, 1e-4, 1e-5);
      expectAllClose(gw!, rw!, 1e-4, 1e-5);
    }
  });

  it('never reuses a leaf gradient that the caller still holds', () => {
    withBackend(b, () => {
      const x = tensor(input([64, 128], 7).values, [64, 128]).requireGrad();
      const w = tensor(input([128, 128], 8).values, [128, 128]).requireGrad();
      tangled(x, w).backward();
      const kept = [x.grad!, w.grad!];
      const before = kept.map((g) => Array.from(g.toArray()));
      // More passes that release (and so refill the pool with) storage of the same sizes.
      for (let i = 0; i < 3; i++) {
        const x2 = tensor(input([64, 128], 20 + i).values, [64, 128]).requireGrad();
        const w2 = tensor(input([128, 128], 30 + i).values, [128, 128]).requireGrad();
        tangled(x2, w2).backward();
      }
      kept.forEach((g, i) => expect(Array.from(g.toArray())).toEqual(before[i]));
    });
  });
});
