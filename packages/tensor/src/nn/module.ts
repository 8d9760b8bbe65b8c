/**
 * Modules, micrograd-style: an object whose fields are parameters (tensors that require grad) and
 * sub-modules. `namedParameters()` walks the fields, so names follow the code:
 * `blocks.0.attn.W_Q`.
 */
import { Tensor } from '../tensor.js';
import { kaimingUniform } from '../init.js';
import { matmul } from '../ops/matmul.js';
import type { Rng } from '../random.js';

export abstract class Module {
  /** Every parameter with its dotted path, in field order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const visit = (value: unknown, name: string): void => {
      if (value instanceof Tensor) {
        if (value.requiresGrad) out.push([name, value]);
      } else if (value instanceof Module) {
        out.push(...value.namedParameters(`${name}.`));
      } else if (Array.isArray(value)) {
        value.forEach((v, i) => visit(v, `${name}.${i}`));
      }
    };
    for (const [key, value] of Object.entries(this)) visit(value, `${prefix}${key}`);
    return out;
  }

  /** Every parameter, for an optimiser: `new Adam(model.parameters())`. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
}

/** y = x W^T + b with W [out, in], initialised like torch.nn.Linear. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;

  constructor(inFeatures: number, outFeatures: number, rng: Rng, bias = true) {
    super();
    // torch.nn.Linear: kaiming_uniform_(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), bias likewise.
    this.weight = kaimingUniform([outFeatures, inFeatures], inFeatures, rng, Math.sqrt(5)).requireGrad();
    this.bias = bias ? kaimingUniform([outFeatures], inFeatures, rng, Math.sqrt(5)).requireGrad() : undefined;
  }

  /** x [..., in] -> [..., out] */
  forward(x: Tensor): Tensor {
    return matmul(x, this.weight, { transB: true, bias: this.bias });
  }
}
