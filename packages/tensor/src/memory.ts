/**
 * Memory that the garbage collector frees only between tasks.
 *
 * The gpujs backend keeps tensors in GPU textures and deletes a texture when its tensor has been
 * garbage collected. JavaScript reports that only between tasks, never inside a synchronous
 * loop, so a training loop on gpujs must yield once a step or its textures pile up:
 *
 *   for (let step = 0; step < steps; step++) {
 *     opt.zeroGrad(); loss(...).backward(); opt.step();
 *     await releaseMemory();
 *   }
 */

/** Yields to the event loop once, so that backends can free what dead tensors held (microseconds in Node). */
export function releaseMemory(): Promise<void> {
  // setImmediate (Node) returns as soon as pending work has run; browsers have only setTimeout.
  return new Promise((resolve) =>
    (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
