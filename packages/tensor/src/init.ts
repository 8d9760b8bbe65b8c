/** Weight initialisers with PyTorch's formulas, drawing from an explicit `Rng`. */
import { getBackend, type Backend } from './backend.js';
import type { Rng } from './random.js';
import { checkShape, sizeOf, type Shape } from './shape.js';
import { tensor } from './creation.js';
import type { Tensor } from './tensor.js';

/** Uniform in [low, high): `uniform([3], rng, -1, 1)`. */
export function uniform(shape: Shape, rng: Rng, low = 0, high = 1, backend: Backend = getBackend()): Tensor {
  checkShape(shape, 'uniform');
  return tensor(rng.uniformArray(sizeOf(shape), low, high), shape, backend);
}

/** Normal with the given mean and std: `normal([128, 128], rng, 0, 0.8 / Math.sqrt(128))`. */
export function normal(shape: Shape, rng: Rng, mean = 0, std = 1, backend: Backend = getBackend()): Tensor {
  checkShape(shape, 'normal');
  return tensor(rng.normalArray(sizeOf(shape), mean, std), shape, backend);
}

/**
 * torch.nn.init.kaiming_uniform_: U(-b, b) with b = gain * sqrt(3 / fanIn), gain = sqrt(2 / (1 + a^2)).
 * With a = 0 (the default) b = sqrt(6 / fanIn); nn.Linear's own default uses a = sqrt(5).
 */
export function kaimingUniform(shape: Shape, fanIn: number, rng: Rng, a = 0, backend: Backend = getBackend()): Tensor {
  const bound = Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fanIn);
  return uniform(shape, rng, -bound, bound, backend);
}
