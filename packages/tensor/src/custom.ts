/**
 * customGradient: an op whose gradient is stated by hand instead of derived from its forward pass, as
 * tf.customGrad and torch.autograd.Function. It is how a research op with a pseudo-derivative (a
 * straight-through estimator, a surrogate gradient) is written: in one file, with ops, so it runs on every
 * backend, and without a new primitive. The forward computes the outputs from the inputs with ops, off the
 * tape; on the tape the op is one node, and backward() asks the backward for its inputs' gradients.
 *
 *   // sign(x) forward, the identity's gradient backward (a straight-through estimator):
 *   const signSte = customGradient((x: Tensor) => sign(x), (g) => [g]);
 *   signSte(x).sum().backward(); // x.grad is all ones
 */
import { isGradEnabled, noGrad, Tensor } from './tensor.js';
import { shapesEqual, shapeToString } from './shape.js';

/** What a customGradient op returns: one tensor, or several (a tuple, so each keeps its place in the types). */
export type Outputs = Tensor | [Tensor, ...Tensor[]];

/** The outputs' gradients as the backward receives them: one tensor for one output, a tuple for several. */
export type OutputGrads<O extends Outputs> = O extends Tensor ? Tensor : { [K in keyof O]: Tensor };

/**
 * The hand-written gradient: given the gradient of each output (zeros for an output the loss does not
 * reach), the inputs and the outputs, it returns one gradient per input, of that input's shape (null: none).
 * It runs with the tape off. What it needs beyond the inputs and outputs it recomputes from them.
 */
export type Backward<I extends Tensor[], O extends Outputs> =
  (grads: OutputGrads<O>, inputs: I, outputs: O) => (Tensor | null)[];

/** One application of a customGradient op, shared by the nodes of its outputs. */
export interface CustomCall {
  name: string;
  inputs: Tensor[];
  /** The outputs as recorded on the tape. */
  outputs: Tensor[];
  /** The backward for these inputs and outputs, one gradient per output in. */
  backward(grads: Tensor[]): (Tensor | null)[];
}

/** A tape node made by a customGradient op: output `index` of `call`. */
export interface CustomNode {
  op: 'custom';
  inputs: Tensor[];
  call: CustomCall;
  index: number;
}

/**
 * Makes an op from a forward written with ops and a backward that states its gradient; the op takes the
 * forward's inputs and returns its outputs. `name` appears in errors (the forward function's name by default).
 *
 *   const scaleGrad = customGradient((x: Tensor) => x, (g) => [mul(g, 0.5)], 'scaleGrad');
 */
export function customGradient<I extends Tensor[], O extends Outputs>(
  forward: (...inputs: I) => O, backward: Backward<I, O>, name = forward.name || 'customGradient',
): (...inputs: I) => O {
  return (...inputs: I): O => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`customGradient '${name}': input ${i} is not a Tensor`);
    });
    const value = noGrad(() => forward(...inputs));
    const single = !Array.isArray(value);
    const outs: Tensor[] = single ? [value as Tensor] : value as Tensor[];
    outs.forEach((o, i) => {
      if (!(o instanceof Tensor)) {
        throw new Error(`customGradient '${name}': the forward returned a non-Tensor as output ${i}`
          + '; return a Tensor or an array of Tensors');
      }
    });
    if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return value;
    const call: CustomCall = {
      name, inputs, outputs: [],
      backward: (grads) => backward((single ? grads[0]! : grads) as OutputGrads<O>, inputs,
        (single ? call.outputs[0]! : call.outputs) as O),
    };
    // Each output again, sharing its storage (a view), now with a node: the tape sees the op, not its insides.
    call.outputs = outs.map((o, index) => {
      const t = new Tensor(o.shape, o.storage, o.backend, { op: 'custom', inputs, call, index }, o.base);
      t.requiresGrad = true;
      return t;
    });
    return (single ? call.outputs[0]! : call.outputs) as O;
  };
}

/**
 * Runs a call's backward on its outputs' gradients (undefined: the loss did not reach that output, which then
 * gets zeros) and checks that it returned one gradient of the right shape per input.
 */
export function customInputGrads(call: CustomCall, grads: readonly (Tensor | undefined)[]): (Tensor | null)[] {
  const full = call.outputs.map((o, i) => grads[i] ?? new Tensor(o.shape, o.backend.zeros(o.size), o.backend));
  const result = call.backward(full);
  const n = call.inputs.length;
  if (!Array.isArray(result) || result.length !== n) {
    const got = Array.isArray(result) ? `${result.length} gradient${result.length === 1 ? '' : 's'}` : String(result);
    throw new Error(`customGradient '${call.name}': the backward returned ${got} for ${n} input${n === 1 ? '' : 's'}`
      + '; return an array with one gradient per input, in order (null for an input without one)');
  }
  result.forEach((r, i) => {
    const expected = shapeToString(call.inputs[i]!.shape);
    if (r === null) return;
    if (!(r instanceof Tensor)) {
      throw new Error(`customGradient '${call.name}': the gradient for input ${i} is not a Tensor;`
        + ` return a Tensor of shape ${expected} or null`);
    }
    if (!shapesEqual(r.shape, call.inputs[i]!.shape)) {
      throw new Error(`customGradient '${call.name}': the gradient for input ${i} has shape`
        + ` ${shapeToString(r.shape)}, expected ${expected} (the input's shape)`);
    }
  });
  return result;
}
