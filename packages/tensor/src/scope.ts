/**
 * Memory scopes: tidy() hands storage back to the backend as soon as a piece of work is done with it,
 * instead of leaving it to the garbage collector (which frees it late: only between tasks, and only once
 * it notices the memory). tfjs has the same tidy() and keep().
 */
import { Tensor } from './tensor.js';

/** The tidy() scopes open now, innermost last: the tensors created in each that own their storage. */
const scopes: Tensor[][] = [];

/** Called for every tensor that owns new storage: the innermost open scope (if any) answers for it. */
export function adopt(t: Tensor): void {
  scopes[scopes.length - 1]?.push(t);
}

/**
 * Runs `fn` and then hands back to the backend the storage of every tensor `fn` created, except the
 * tensors it returns (a tensor, or arrays, Maps and plain objects holding tensors) and those passed to
 * `keep()`. A training step wrapped in tidy() gives its activations, masks and gradients back at once, so
 * the next step reuses the same, already cached memory instead of waiting for the garbage collector:
 *
 *   for (const batch of batches) tidy(() => { opt.zeroGrad(); loss(batch).backward(); opt.step(); });
 *
 * A released tensor must not be used again: reading it throws. That includes parameters' `.grad` made
 * inside the scope (zeroGrad() before the next backward pass, as usual). Scopes nest; what an inner scope
 * returns belongs to the outer one. If `fn` throws, everything it created is released too.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Tensor[] = [];
  scopes.push(scope);
  let result: T | undefined;
  try {
    result = fn();
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      throw new Error('tidy: the function returned a Promise; tidy() runs synchronous code only (await outside it)');
    }
    return result;
  } finally {
    scopes.pop();
    const kept = new Set<Tensor>();
    collectTensors(result, (t) => kept.add(t.base));
    const outer = scopes[scopes.length - 1];
    for (const t of scope) {
      if (kept.has(t) || t.escaped) outer?.push(t);
      else t.dispose();
    }
  }
}

/** Exempts `t` (and its storage) from every tidy() scope, current and enclosing. Returns t. */
export function keep<T extends Tensor>(t: T): T {
  t.base.escaped = true;
  return t;
}

/** Calls visit on every tensor in `value`: a tensor, or arrays, Maps and plain objects holding tensors. */
function collectTensors(value: unknown, visit: (t: Tensor) => void, seen = new Set<object>()): void {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Tensor) return visit(value);
  const items = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  for (const item of items) collectTensors(item, visit, seen);
}
