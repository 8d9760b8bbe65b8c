/**
 * The backward pass over the tape: order the tensors a loss was computed from topologically, then, in
 * reverse, ask each node for its inputs' gradients (a primitive's rule in gradients.ts, or a customGradient
 * op's backward, custom.ts) and add them up per input. Leaves that require grad collect theirs in `.grad`.
 */
import { noGrad, type Node, type Tensor } from './tensor.js';
import type { Storage } from './backend.js';
import { shapeToString } from './shape.js';
import { gradientOf } from './gradients.js';
import { add } from './ops/elementwise.js';
import { customInputGrads, type CustomCall, type CustomNode } from './custom.js';

/** Depth-first post-order over the tape: every tensor after all the tensors it was made from. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative, since deep models would overflow the call stack.
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const input of t.node?.inputs ?? []) if (input.requiresGrad && !seen.has(input)) stack.push([input, false]);
  }
  return order;
}

/** Fills the `.grad` of every leaf `root` depends on that requires grad, from root's gradient `seed`. */
export function backpropagate(root: Tensor, seed: Tensor): void {
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const pending = new PendingStorage(seed);
  const order = topologicalOrder(root);
  const calls = new CustomCalls(order);
  /** Adds a node's gradients for its inputs to theirs. */
  const distribute = (node: Node, inputGrads: (Tensor | null)[]) => node.inputs.forEach((input, k) => {
    const ig = inputGrads[k];
    if (!ig || !input.requiresGrad) return;
    if (ig.size !== input.size) {
      const op = node.op === 'custom' ? `customGradient '${node.call.name}'` : node.op;
      throw new Error(`gradient of ${op} has shape ${shapeToString(ig.shape)}`
        + ` for an input of shape ${shapeToString(input.shape)}`);
    }
    const prev = grads.get(input);
    const next = prev ? add(prev, ig) : ig;
    grads.set(input, next);
    pending.hold(next);
    if (prev) {
      pending.drop(prev);
      pending.drop(ig, false);
    }
  });
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      const g = grads.get(t);
      grads.delete(t); // free intermediate gradients as soon as they are used
      const node = t.node;
      if (node?.op === 'custom') {
        const done = calls.arrive(node, g);
        if (!done) continue;
        distribute(node, done.inputGrads);
        for (const used of done.used) pending.drop(used);
        continue;
      }
      if (!g) continue;
      if (!node) {
        t.grad = t.grad ? add(t.grad, g) : g;
        pending.keep(t.grad);
        pending.drop(g);
        continue;
      }
      distribute(node, gradientOf(g, t, node));
      pending.drop(g);
    }
  });
}

/**
 * The customGradient calls of one backward pass. A call's backward needs every output's gradient at once, so
 * it runs when the last of its outputs on the tape is reached: in reverse topological order that is after
 * every use of every output, and before any of the call's inputs.
 */
class CustomCalls {
  private readonly waiting = new Map<CustomCall, { left: number; grads: (Tensor | undefined)[] }>();

  constructor(order: readonly Tensor[]) {
    for (const t of order) {
      if (t.node?.op !== 'custom') continue;
      const w = this.waiting.get(t.node.call) ?? { left: 0, grads: [] };
      w.left++;
      this.waiting.set(t.node.call, w);
    }
  }

  /** Output node.index's gradient (if any). Once the call has all of them: its inputs' gradients and the output
   *  gradients it used; before that, null. */
  arrive(node: CustomNode, g: Tensor | undefined): { inputGrads: (Tensor | null)[]; used: Tensor[] } | null {
    const w = this.waiting.get(node.call)!;
    w.grads[node.index] = g;
    if (--w.left > 0) return null;
    const used = w.grads.filter((x): x is Tensor => x !== undefined);
    return used.length === 0 ? null : { inputGrads: customInputGrads(node.call, w.grads), used };
  }
}

/**
 * Which storages the gradients of a backward pass still hold, so that each can be handed back to its
 * backend (Backend.release) the moment none does. Gradient rules may return the incoming gradient itself,
 * or a reshape sharing its storage, for several inputs: storages are counted, not tensors. The seed and the
 * leaves' .grad outlive the pass and are never released.
 */
class PendingStorage {
  private readonly holders = new Map<Storage, number>();
  private readonly kept = new Set<Storage>();

  constructor(seed: Tensor) {
    this.kept.add(seed.storage);
    this.hold(seed);
  }

  hold(t: Tensor): void {
    this.holders.set(t.storage, (this.holders.get(t.storage) ?? 0) + 1);
  }

  keep(t: Tensor): void {
    this.kept.add(t.storage);
  }

  /** Ends one hold on t's storage (none when `held` is false: a gradient that was only summed into another)
   *  and releases the storage if nothing holds it any more. */
  drop(t: Tensor, held = true): void {
    const n = (this.holders.get(t.storage) ?? 0) - (held ? 1 : 0);
    if (n > 0) {
      this.holders.set(t.storage, n);
      return;
    }
    this.holders.delete(t.storage);
    if (!this.kept.has(t.storage)) t.dispose();
  }
}
