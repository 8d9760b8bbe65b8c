/**
 * Tensors made from nothing but values and a shape: from host data, zeros, a constant, ones, 0..n-1.
 * Each lands on the current backend (see setBackend) unless it is given one.
 *
 *   const x = tensor([[1, 2], [3, 4]]); // shape [2, 2]
 */
import { getBackend, type Backend } from './backend.js';
import { checkShape, shapeToString, sizeOf, type Shape } from './shape.js';
import { Tensor } from './tensor.js';

/** A tensor from host values: `tensor([[1, 2], [3, 4]])` or `tensor(data, [2, 2])`. */
export function tensor(data: ArrayLike<number> | NestedArray, shape?: Shape, backend: Backend = getBackend()): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (isNested(data)) {
    inferred = [];
    for (let level: unknown = data; Array.isArray(level); level = level[0]) inferred.push(level.length);
    flat = (data as unknown[]).flat(Infinity) as number[];
  } else {
    flat = data;
    inferred = [data.length];
  }
  const s = shape ?? inferred;
  checkShape(s, 'tensor');
  if (sizeOf(s) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${shapeToString(s)} (${sizeOf(s)} elements)`);
  }
  return new Tensor([...s], backend.fromHost(flat), backend);
}

export type NestedArray = number[] | NestedArray[];

function isNested(data: ArrayLike<number> | NestedArray): data is NestedArray {
  return Array.isArray(data) && data.length > 0 && Array.isArray(data[0]);
}

/** A tensor of zeros: `zeros([2, 3])`. */
export function zeros(shape: Shape, backend: Backend = getBackend()): Tensor {
  checkShape(shape, 'zeros');
  return new Tensor([...shape], backend.zeros(sizeOf(shape)), backend);
}

/** A tensor filled with `value`: `full([2], 7)`. */
export function full(shape: Shape, value: number, backend: Backend = getBackend()): Tensor {
  checkShape(shape, 'full');
  return new Tensor([...shape], backend.fromHost(new Float64Array(sizeOf(shape)).fill(value)), backend);
}

/** A tensor of ones. */
export function ones(shape: Shape, backend: Backend = getBackend()): Tensor {
  return full(shape, 1, backend);
}

/** 0, 1, ..., n-1 as a float tensor (also how index tensors are made): `arange(3)`. */
export function arange(n: number, backend: Backend = getBackend()): Tensor {
  return new Tensor([n], backend.fromHost(Float64Array.from({ length: n }, (_, i) => i)), backend);
}
