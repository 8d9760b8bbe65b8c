/**
 * Elementwise kernels: unary maps, broadcasting binary ops and `where`. Each op is one
 * expression in x (and y, c) dropped into a kernel that reads its operands in output order,
 * once each per element (see strided.ts for how broadcast operands are read).
 */
import type { BinaryOp, UnaryOp } from '../../backend.js';
import type { Shape } from '../../shape.js';
import type { GpuStorage, Runtime } from './runtime.js';
import { access, broadcastStrides, collapse, COORDINATES, layoutConstants, offsetOf,
  type StridedLayout } from './strided.js';

/** Each unary op, and the fused GELU, as an expression in x; the functions are in functions.ts. */
const UNARY: Record<UnaryOp | 'gelu', string> = {
  neg: '-x', exp: 'Math.exp(x)',
  log: 'Math.log(x)', sqrt: 'Math.sqrt(x)',
  tanh: 'tanhf(x)', erf: 'erff(x)',
  abs: 'Math.abs(x)', gelu: 'geluf(x)',
};

/** Each binary op as an expression in x and y, as the reference backend defines them (NaN wins in maximum). */
const BINARY: Record<BinaryOp, string> = {
  add: 'x + y', sub: 'x - y',
  mul: 'x * y', div: 'x / y',
  maximum: '(x >= y || x != x) ? x : y',
  cmpgt: 'x > y ? 1 : 0', cmpeq: 'x == y ? 1 : 0',
};

/** out[i] = op(a[i]) */
export function unary(rt: Runtime, op: UnaryOp | 'gelu', a: GpuStorage): GpuStorage {
  const source = `function (a) {
  const x = a[this.thread.x];
  return ${UNARY[op]};
}`;
  return rt.run({ source, size: a.size }, a);
}

/** out[i] = g[i] * gelu'(x[i]): GELU's backward pass in one kernel. */
export function geluGrad(rt: Runtime, x: GpuStorage, g: GpuStorage): GpuStorage {
  const source = `function (x, g) {
  return g[this.thread.x] * geluDerivf(x[this.thread.x]);
}`;
  return rt.run({ source, size: x.size }, x, g);
}

/**
 * A kernel that reads operands `names` at their broadcast positions and returns `expression`
 * of the values it read. Null when the layout has more than six axes after merging.
 */
function broadcastKernel(names: readonly string[], shapes: readonly Shape[], out: Shape, values: string[],
  expression: string) {
  const layout: StridedLayout | null = collapse(out, shapes.map((s) => broadcastStrides(s, out)));
  if (!layout) return null;
  const how = names.map((_, k) => access(layout, k));
  const reads = names.map((name, k) => `  const ${values[k]} = ${name}[${offsetOf(name, how[k]!)}];`);
  const source = [
    `function (${names.join(', ')}) {`,
    ...(how.includes('strided') ? [COORDINATES] : []),
    ...reads,
    `  return ${expression};`,
    '}',
  ].join('\n');
  return { source, size: layout.sizes.reduce((x, y) => x * y, 1), constants: layoutConstants(layout, names) };
}

/** out = op(a, b) with NumPy broadcasting; null when the layout needs the host (more than six axes). */
export function binary(rt: Runtime, op: BinaryOp, a: GpuStorage, aShape: Shape, b: GpuStorage, bShape: Shape,
  out: Shape): GpuStorage | null {
  const spec = broadcastKernel(['a', 'b'], [aShape, bShape], out, ['x', 'y'], BINARY[op]);
  return spec && rt.run(spec, a, b);
}

/** out = c != 0 ? a : b, broadcast; null when the layout needs the host. */
export function where(rt: Runtime, c: GpuStorage, cShape: Shape, a: GpuStorage, aShape: Shape, b: GpuStorage,
  bShape: Shape, out: Shape): GpuStorage | null {
  const spec = broadcastKernel(['cond', 'a', 'b'], [cShape, aShape, bShape], out, ['z', 'x', 'y'], 'z != 0 ? x : y');
  return spec && rt.run(spec, c, a, b);
}
