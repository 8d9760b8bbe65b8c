/**
 * The Tensor and its tape. A tensor is a shape, some backend storage and, when it was computed
 * from tensors that need gradients, a record of how (`node`). `backward()` sorts those records
 * topologically and applies each primitive's local gradient rule in reverse (see gradients.ts).
 *
 *   const x = tensor([1, 2, 3]).requireGrad();
 *   x.mul(x).sum().backward();      // x.grad is [2, 4, 6]
 */
import type { Backend, HostArray, Storage } from './backend.js';
import { shapesEqual, shapeToString, sizeOf, type Shape } from './shape.js';
import type { PrimitiveArgs, Primitive } from './primitives.js';
import type { CustomNode } from './custom.js';
import { backpropagate } from './tape.js';
import * as ew from './ops/elementwise.js';
import { type TensorLike } from './ops/elementwise.js';
import { max, mean, sum, type Axes } from './ops/reduce.js';
import { permute, reshape, slice, transpose } from './ops/movement.js';
import { matmul, type MatmulOptions } from './ops/matmul.js';
import { adopt } from './scope.js';

/** How a tensor was computed: which primitive, from which inputs, with which arguments. */
export interface PrimitiveNode<P extends Primitive = Primitive> {
  op: P;
  inputs: Tensor[];
  args: PrimitiveArgs[P];
}

/** A tape node: a primitive's, or a customGradient op's (custom.ts). */
export type Node = PrimitiveNode | CustomNode;

let gradEnabled = true;

/** Runs `fn` without recording the tape (evaluation, optimiser updates): `noGrad(() => model(x))`. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Tensor.alias of a storage that views of an assign()'s source may read: it is never released by a later assign(). */
const FOREVER_ALIASED = Symbol('forever aliased');

export class Tensor {
  /** Gradient accumulated by `backward()` (leaves that require grad only). */
  grad: Tensor | null = null;
  requiresGrad = false;
  readonly size: number;
  /** The tensor that owns the storage this one reads: itself, or for a view (reshape, detach) the tensor it
   *  views. Only owners give storage back to the backend. */
  base: Tensor;
  /** Owners only: the storage has gone back to the backend (dispose(), tidy(), a finished backward pass). */
  private released = false;
  /** Owners only: false once assign() has handed the storage to another tensor, which then owns it. */
  private owns = true;
  /** Owners only: exempt from tidy() (keep()). */
  escaped = false;
  /** Owners only: views made of the current storage (reshape, detach), which may read it for as long as they live. */
  private views = 0;
  /** Owners only: the tensor whose storage assign() took (which, and whose views, may read it until it is released),
   *  or FOREVER_ALIASED when that tensor had views. null: nothing else reads the storage. */
  private alias: Tensor | typeof FOREVER_ALIASED | null = null;
  private data: Storage;

  /** `base`: the tensor whose storage this one shares (a view), if any. */
  constructor(
    readonly shape: Shape,
    storage: Storage,
    readonly backend: Backend,
    readonly node: Node | null = null,
    base?: Tensor,
  ) {
    this.size = sizeOf(shape);
    this.data = storage;
    this.base = base ?? this;
    if (base) base.views++;
    else adopt(this);
  }

  /** Backend-owned data; replaced, never mutated, except by optimisers on parameters. */
  get storage(): Storage {
    if (this.base.released) {
      throw new Error(`${this} was released (by tidy() or dispose()) and cannot be used:`
        + ' return it from the tidy() function or keep() it');
    }
    return this.data;
  }

  /**
   * Gives this tensor's storage back to the backend now (its memory serves the next outputs). The tensor,
   * its base and every view sharing the storage must not be used afterwards. A second call does nothing.
   */
  dispose(): void {
    const b = this.base;
    if (b.released) return;
    b.released = true;
    if (b.owns) b.backend.release?.(b.data); // else assign() gave the storage to another tensor, which frees it
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Marks a leaf as a parameter whose gradient `backward()` should fill in. Returns this. */
  requireGrad(flag = true): this {
    if (this.node && flag) {
      throw new Error('requireGrad: only leaf tensors (not computed ones) can require grad; use detach() first');
    }
    this.requiresGrad = flag;
    return this;
  }

  /** The same data, cut from the tape. */
  detach(): Tensor {
    return new Tensor(this.shape, this.storage, this.backend, null, this.base);
  }

  /**
   * Replaces this tensor's data with `source`'s (same shape), off the tape: how optimisers and
   * constraints (unit-norm decoder rows) update parameters in place. The old storage goes back to the backend at
   * once where nothing else can read it (no view of it was made, and the tensor it came from, if it came from an
   * assign(), has been released): a parameter renormalised every step then reuses the same memory instead of
   * taking fresh pages until the garbage collector notices.
   */
  assign(source: Tensor): this {
    if (!shapesEqual(source.shape, this.shape)) {
      throw new Error(`assign: source shape ${shapeToString(source.shape)}`
        + ` differs from target ${shapeToString(this.shape)}`);
    }
    if (source.backend !== this.backend) {
      throw new Error(`assign: source lives on ${source.backend.name}, target on ${this.backend.name}`);
    }
    const old = this.data;
    const alone = this.base === this && this.owns && !this.released && this.views === 0
      && (this.alias === null || (this.alias !== FOREVER_ALIASED && this.alias.released));
    this.data = source.storage;
    // The storage is this tensor's now: it outlives the scope that made source.
    const from = source.base;
    from.owns = false;
    this.base = this;
    this.owns = true;
    this.views = 0;
    this.alias = from.views > 0 ? FOREVER_ALIASED : from;
    if (alone && old !== this.data) this.backend.release?.(old);
    return this;
  }

  /** A copy of the data on the host. */
  toArray(): HostArray {
    return this.backend.toHost(this.storage, this.size);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`item: tensor of shape ${shapeToString(this.shape)} has ${this.size} elements, not 1`);
    }
    return this.toArray()[0]!;
  }

  // Fluent forms of the common ops, so model code reads left to right: x.matmul(w).add(b).
  add(o: TensorLike): Tensor { return ew.add(this, o); }
  sub(o: TensorLike): Tensor { return ew.sub(this, o); }
  mul(o: TensorLike): Tensor { return ew.mul(this, o); }
  div(o: TensorLike): Tensor { return ew.div(this, o); }
  neg(): Tensor { return ew.neg(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  square(): Tensor { return ew.square(this); }
  abs(): Tensor { return ew.abs(this); }
  sum(axes?: Axes, keepdims = false): Tensor { return sum(this, axes, keepdims); }
  mean(axes?: Axes, keepdims = false): Tensor { return mean(this, axes, keepdims); }
  max(axes?: Axes, keepdims = false): Tensor { return max(this, axes, keepdims); }
  reshape(shape: Shape): Tensor { return reshape(this, shape); }
  permute(perm: readonly number[]): Tensor { return permute(this, perm); }
  transpose(a = -2, b = -1): Tensor { return transpose(this, a, b); }
  slice(ranges: Record<number, readonly [number, number]>): Tensor { return slice(this, ranges); }
  matmul(o: Tensor, options?: MatmulOptions): Tensor { return matmul(this, o, options); }

  toString(): string {
    return `Tensor(${shapeToString(this.shape)}, ${this.backend.name})`;
  }

  /**
   * Reverse-mode differentiation from this tensor. Without `grad` the tensor must be a scalar
   * (seeded with 1). Gradients add up across calls until `grad` is reset (optimiser.zeroGrad()).
   */
  backward(grad?: Tensor): void {
    if (!grad && this.size !== 1) {
      throw new Error(`backward: called on a tensor of shape ${shapeToString(this.shape)};`
        + ' pass a gradient or reduce to a scalar first');
    }
    if (!this.requiresGrad) throw new Error('backward: this tensor does not depend on anything that requires grad');
    const seed = grad ?? new Tensor(this.shape, this.backend.fromHost([1]), this.backend);
    backpropagate(this, seed);
  }
}
