/**
 * tidy(), keep() and dispose(): storage goes back to the backend exactly once, never while a tensor that
 * is still in use reads it, and released tensors refuse to be read. A guarded backend (the reference
 * backend behind a proxy) fails a test on any double release and on any kernel that is handed released
 * storage; then the same training steps with and without tidy() give bit-identical parameters on every
 * backend.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Adam, add, exp, gatherDot, keep, loadBackend, matmul, mul, normalize, ReferenceBackend, reshape, sum, tensor, tidy,
  topk, withBackend, type Backend, type Tensor,
} from '../src/index.js';
import { backendNames, input } from './helpers.js';

/** The reference backend, failing on a double release and on any kernel call that reads released storage. */
function guarded(): Backend & { released: number; wasReleased(s: unknown): boolean } {
  const inner = new ReferenceBackend(Float32Array);
  const released = new WeakSet<object>();
  const state = { released: 0 };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'name') return 'guarded';
      if (prop === 'released') return state.released;
      if (prop === 'wasReleased') return (s: object) => released.has(s);
      if (prop === 'release') {
        return (s: object) => {
          if (released.has(s)) throw new Error('storage released twice');
          released.add(s);
          state.released++;
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        for (const a of args) {
          if (typeof a === 'object' && a !== null && released.has(a)) {
            throw new Error(`${String(prop)} was handed released storage`);
          }
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as Backend & { released: number; wasReleased(s: unknown): boolean };
}

describe('tidy', () => {
  it('releases what the function made, keeps what it returns, and refuses to read the rest', () => {
    const b = guarded();
    withBackend(b, () => {
      const x = tensor([1, 2, 3, 4], [2, 2]);
      let inner!: Tensor;
      const { y, list, map } = tidy(() => {
        inner = mul(x, 2);
        const y = add(inner, 1);
        return { y, list: [exp(x)], map: new Map([['z', reshape(y, [4])]]) };
      });
      expect(Array.from(y.toArray())).toEqual([3, 5, 7, 9]);
      expect(list[0]!.size).toBe(4);
      expect(Array.from(map.get('z')!.toArray())).toEqual([3, 5, 7, 9]);
      expect(() => inner.toArray()).toThrow(/released .*tidy\(\).*keep\(\)/);
      expect(Array.from(x.toArray())).toEqual([1, 2, 3, 4]); // made outside: untouched
      expect(b.released).toBe(3); // inner and the scalars 2 and 1: y, exp(x) and the reshape's storage are kept
    });
  });

  it('hands an inner scope\'s results to the outer scope, and keep() exempts a tensor from both', () => {
    withBackend(guarded(), () => {
      const x = tensor([1, 2]);
      let fromInner!: Tensor;
      let kept!: Tensor;
      const out = tidy(() => {
        fromInner = tidy(() => mul(x, 3));
        kept = keep(add(x, 10));
        return add(fromInner, 1);
      });
      expect(Array.from(out.toArray())).toEqual([4, 7]);
      expect(Array.from(kept.toArray())).toEqual([11, 12]);
      expect(() => fromInner.toArray()).toThrow(/released/);
    });
  });

  it('keeps a parameter assigned inside the scope, and views of parameters', () => {
    withBackend(guarded(), () => {
      const w = tensor([3, 4, 0, 5], [2, 2]).requireGrad();
      tidy(() => {
        const view = reshape(w, [4]); // shares w's storage: releasing it would free w
        expect(view.size).toBe(4);
        w.assign(normalize(w)); // w takes the normalised tensor's storage, made in this scope
      });
      expect(Array.from(w.toArray())).toEqual([0.6000000238418579, 0.800000011920929, 0, 1]);
      tidy(() => w.detach().mul(1)); // a detached view is a view too
      expect(w.toArray().length).toBe(4);
    });
  });

  it('assign() gives the old storage back when nothing can read it, and keeps it while a view or the source can',
    () => {
      const b = guarded();
      withBackend(b, () => {
        const w = tensor([3, 4, 0, 5], [2, 2]);
        /** Assigns what `next` makes (in a scope when `scoped`); returns whether w's storage before it was released. */
        const step = (next: () => Tensor, scoped = true) => {
          const old = w.storage;
          if (scoped) tidy(() => w.assign(next()));
          else w.assign(next());
          return b.wasReleased(old);
        };
        // Renormalised in a scope, as a decoder is every step: the old storage goes back at once, and at the next
        // step too (the tensor it came from was released with its scope).
        expect(step(() => normalize(w))).toBe(true);
        expect(step(() => mul(w, 2))).toBe(true);
        expect(Array.from(w.toArray())).toEqual([1.2000000476837158, 1.600000023841858, 0, 2]);
        // A view of the storage: kept, and the view still reads the old values.
        const view = w.detach();
        expect(step(() => mul(w, 0.5))).toBe(false);
        expect(Array.from(view.toArray())).toEqual([1.2000000476837158, 1.600000023841858, 0, 2]);
        expect(step(() => mul(w, 1))).toBe(true); // the view was of the storage before
        // The source of an assign() outside any scope still reads its storage: kept at the next assign().
        const source = mul(w, 3);
        expect(step(() => source, false)).toBe(true);
        expect(step(() => mul(w, 1))).toBe(false);
        expect(Array.from(source.toArray())).toEqual([1.8000000715255737, 2.4000000953674316, 0, 3]);
        // A source with a view: kept for good.
        const source2 = mul(w, 1);
        const sourceView = reshape(source2, [4]);
        expect(step(() => source2, false)).toBe(true);
        expect(step(() => mul(w, 1))).toBe(false);
        expect(Array.from(sourceView.toArray())).toEqual([1.8000000715255737, 2.4000000953674316, 0, 3]);
        // Disposing the source of an assign() marks it released but leaves the storage to its new owner.
        const source3 = mul(w, 2);
        expect(step(() => source3, false)).toBe(true); // its storage came from a scope that has ended
        const r0 = b.released;
        source3.dispose();
        expect(b.released).toBe(r0);
        expect(() => source3.toArray()).toThrow(/released/);
        expect(Array.from(w.toArray())).toEqual([3.6000001430511475, 4.800000190734863, 0, 6]);
      });
    });

  it('releases everything when the function throws, and refuses promises', () => {
    const b = guarded();
    withBackend(b, () => {
      const x = tensor([1, 2]);
      let made!: Tensor;
      expect(() => tidy(() => {
        made = mul(x, 2);
        throw new Error('boom');
      })).toThrow('boom');
      expect(() => made.toArray()).toThrow(/released/);
      expect(() => tidy(() => Promise.resolve(mul(x, 2)))).toThrow(/Promise/);
    });
  });

  it('dispose() releases once, and backward() after a released gradient says what to do', () => {
    const b = guarded();
    withBackend(b, () => {
      const t = mul(tensor([1, 2]), 2);
      t.dispose();
      t.dispose();
      expect(b.released).toBe(1);
      const w = tensor([1, 2]).requireGrad();
      tidy(() => sum(mul(w, w)).backward());
      expect(() => sum(mul(w, w)).backward()).toThrow(/released/); // w.grad is from the scope: zeroGrad() first
      w.grad = null;
      sum(mul(w, w)).backward();
      expect(Array.from(w.grad!.toArray())).toEqual([2, 4]);
    });
  });

  it('never double-releases or reads released storage, whatever a graph keeps (property)', () => {
    const ops = ['add', 'mul', 'exp', 'reshape', 'matmul', 'sum'] as const;
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom(...ops), fc.nat(20), fc.nat(20)), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(20), { maxLength: 4 }), fc.boolean(),
      (program, keptAt, withBackward) => {
        withBackend(guarded(), () => {
          const w = tensor(input([4, 4], 1).values, [4, 4]).requireGrad();
          const made: Tensor[] = [];
          const kept = tidy(() => {
            const pool: Tensor[] = [w, mul(w, 0.5)];
            for (const [op, i, j] of program) {
              const a = pool[i % pool.length]!, c = pool[j % pool.length]!;
              const square = (t: Tensor) => (t.size === 16 ? reshape(t, [4, 4]) : mul(w, t.size));
              const next = op === 'add' ? add(square(a), square(c)) : op === 'mul' ? mul(square(a), square(c))
                : op === 'exp' ? exp(mul(square(a), 0.1)) : op === 'reshape' ? reshape(square(a), [16])
                  : op === 'matmul' ? matmul(square(a), square(c)) : mul(sum(square(a)), w);
              pool.push(next);
              made.push(next);
            }
            if (withBackward) sum(pool[pool.length - 1]!).backward();
            return keptAt.map((k) => made[k % made.length]!);
          });
          for (const t of made) {
            const released = t.base !== w && !kept.some((k) => k.base === t.base); // views of w share w's storage
            if (released) expect(() => t.toArray()).toThrow(/released/);
            else expect(t.toArray().length).toBe(t.size);
          }
          expect(w.toArray().length).toBe(16);
        });
      }), { numRuns: 100 });
  });
});

/** A few SAE-like steps (dense scores, top-k, sparse product, Adam, renormalised rows), tidied or not. */
function train(b: Backend, useTidy: boolean): number[] {
  return withBackend(b, () => {
    const W = tensor(input([64, 16], 3).values, [64, 16]).requireGrad();
    const x = tensor(input([32, 16], 4).values, [32, 16]);
    const opt = new Adam([W], { lr: 1e-2 });
    const step = () => {
      opt.zeroGrad();
      const idx = topk(matmul(x, W, { transB: true }), 4).indices;
      sum(mul(gatherDot(x, W, idx), gatherDot(x, W, idx))).backward();
      opt.step();
      W.assign(normalize(W));
    };
    for (let i = 0; i < 5; i++) useTidy ? tidy(step) : step();
    return Array.from(W.toArray());
  });
}

describe.each(backendNames())('%s: tidy', (name) => {
  it('gives bit-identical training to the same steps without it', async () => {
    const b = await loadBackend(name);
    expect(train(b, true)).toEqual(train(b, false));
  });
});
