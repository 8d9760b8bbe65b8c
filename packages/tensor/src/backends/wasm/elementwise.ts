// Wrappers for the streaming kernels (unary, binary, where, Adam). Operands that all live in the kernels'
// memory (heap.ts) are used in place, in one call over the whole array. Ordinary arrays pass through the arena
// in chunks of CHUNK floats, so they need little wasm memory and each chunk stays in cache between the copy in,
// the kernel and the copy out; chunks start at multiples of the vector width, so every element sees the same
// arithmetic either way. The compute-heavy unary ops (GELU, exp, erf...) on long arrays are shared between the
// threads (assembly/shared.ts).
import { CHUNK, input, output } from './arena.js';
import type { Instance } from './loader.js';
import { CTRL_BYTES, runParallel, runShared, UNIT_ELEMENTS } from './shared.js';

export type WasmUnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'erf' | 'abs' | 'gelu' | 'geluDeriv';
export type WasmBinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'cmpgt' | 'cmpeq'; // cmpgt/cmpeq give 1 or 0

const UNARY_CODES: Record<WasmUnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, tanh: 4, erf: 5, abs: 6, gelu: 7, geluDeriv: 8,
};
const BINARY_CODES: Record<WasmBinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, cmpgt: 5, cmpeq: 6 };

/** An operand of `where`: full length (repeat 1), or broadcast as data[floor(i / repeat) % data.length]. */
export interface Operand {
  data: Float32Array;
  repeat: number;
}

/** The optimiser step's settings: the Backend interface's own type. */
export type { AdamOptions } from '../../backend.js';
import type { AdamOptions } from '../../backend.js';

/** Unary ops that cost enough per element to share between threads, from SHARE_MIN elements on. */
const HEAVY = new Set<WasmUnaryOp>(['exp', 'log', 'tanh', 'erf', 'gelu', 'geluDeriv']);
const SHARE_MIN = 128 * 1024;
/** mapShared's code for g * gelu'(x) (0..8 are the unary codes). */
const GELU_GRAD = 9;

/** out = op(a) (or b * gelu'(a)) on every thread at once: whole arrays in, the kernel shared, the result out. */
function mapShared(inst: Instance, code: number, a: Float32Array, b: Float32Array | null, out: Float32Array): void {
  const n = out.length;
  const ops = inst.arena.place([input(a, n), b ? input(b, n) : 0, output(out, n), CTRL_BYTES / 4]);
  const [pA, pB, pOut, pCtrl] = ops.at;
  runShared(inst, 'mapShared', () => [code, pA!, b ? pB! : 0, pOut!, n, pCtrl!], pCtrl!, ops.copyIn);
  ops.copyOut();
}

/** Calls fn(start, len) for consecutive chunks of [0, n). */
function chunks(n: number, fn: (start: number, len: number) => void): void {
  for (let s = 0; s < n; s += CHUNK) fn(s, Math.min(CHUNK, n - s));
}

/** out[i] = op(a[i]); a and out have equal length (out may be a). gelu is the exact (erf) GELU. */
export function unary(inst: Instance, op: WasmUnaryOp, a: Float32Array, out: Float32Array): void {
  const { ex, arena } = inst;
  const code = UNARY_CODES[op];
  if (code === undefined) throw new Error(`wasm kernels: unknown unary op ${String(op)}`);
  if (a.length !== out.length) throw new RangeError('wasm kernels: unary needs a and out of equal length');
  if (a.length === 0) return;
  if (inst.helpers && a.length >= SHARE_MIN && HEAVY.has(op)) return mapShared(inst, code, a, null, out);
  if (arena.resident(a, out)) return ex.unary(code, arena.addressOf(a), arena.addressOf(out), a.length);
  const [p] = arena.layout(Math.min(a.length, CHUNK));
  chunks(a.length, (s, len) => {
    arena.put(p!, a.subarray(s, s + len));
    ex.unary(code, p!, p!, len);
    arena.read(p!, len, out, s);
  });
}

/** out[i] = g[i] * gelu'(x[i]): GELU's backward pass. */
export function geluGrad(inst: Instance, x: Float32Array, g: Float32Array, out: Float32Array): void {
  const { ex, arena } = inst;
  if (x.length !== out.length || g.length !== out.length) {
    throw new RangeError('wasm kernels: geluGrad needs x, g and out of equal length');
  }
  if (out.length === 0) return;
  if (inst.helpers && out.length >= SHARE_MIN) return mapShared(inst, GELU_GRAD, x, g, out);
  if (arena.resident(x, g, out)) {
    return ex.geluGrad(arena.addressOf(x), arena.addressOf(g), arena.addressOf(out), out.length);
  }
  const chunk = Math.min(out.length, CHUNK);
  const [pX, pG] = arena.layout(chunk, chunk);
  chunks(out.length, (s, len) => {
    arena.put(pX!, x.subarray(s, s + len));
    arena.put(pG!, g.subarray(s, s + len));
    ex.geluGrad(pX!, pG!, pX!, len);
    arena.read(pX!, len, out, s);
  });
}

/** out[i] = full[i] op bc[floor(i / repeat) % bc.length]  (or bc[...] op full[i] when swapped).
 *  Covers same shape (repeat 1, bc.length n), scalar (bc.length 1), trailing-dims broadcast
 *  (repeat 1, bc.length D) and leading-dims broadcast [N,1] (repeat D, bc.length N). */
export function binary({ ex, arena }: Instance, op: WasmBinaryOp, full: Float32Array, bc: Float32Array,
  out: Float32Array, repeat: number, swapped: boolean): void {
  const code = BINARY_CODES[op];
  if (code === undefined) throw new Error(`wasm kernels: unknown binary op ${String(op)}`);
  if (full.length !== out.length) throw new RangeError('wasm kernels: binary needs full and out of equal length');
  if (!Number.isInteger(repeat) || repeat < 1) {
    throw new RangeError(`wasm kernels: repeat must be a positive integer, got ${repeat}`);
  }
  const n = full.length, bcLen = bc.length;
  if (n === 0) return;
  if (bcLen === 0) throw new RangeError('wasm kernels: binary needs a non-empty bc');
  const sw = swapped ? 1 : 0;
  if (arena.resident(full, bc, out)) {
    // Everything in place: one call over the whole array (elementwise, so the same values as in chunks).
    return ex.binary(code, arena.addressOf(full), arena.addressOf(bc), arena.addressOf(out), n, bcLen, repeat, sw, 0);
  }
  const chunk = Math.min(n, CHUNK);
  if (repeat === 1 && bcLen === n) {
    // Same shape: stream both operands.
    const [pA, pB] = arena.layout(chunk, chunk);
    chunks(n, (s, len) => {
      arena.put(pA!, full.subarray(s, s + len));
      arena.put(pB!, bc.subarray(s, s + len));
      ex.binary(code, pA!, pB!, pA!, len, len, 1, sw, 0);
      arena.read(pA!, len, out, s);
    });
    return;
  }
  // Broadcast: bc stays in the arena, full streams through (the kernel is told each chunk's start index).
  const [pBc, pData] = arena.layout(bcLen, chunk);
  arena.put(pBc!, bc);
  chunks(n, (s, len) => {
    arena.put(pData!, full.subarray(s, s + len));
    ex.binary(code, pData!, pBc!, pData!, len, bcLen, repeat, sw, s);
    arena.read(pData!, len, out, s);
  });
}

/** out[i] = c[i] != 0 ? a[i] : b[i], each operand full length or broadcast as in binary. */
export function where({ ex, arena }: Instance, c: Operand, a: Operand, b: Operand, out: Float32Array): void {
  const n = out.length;
  const ops = [c, a, b];
  const streamed = ops.map((o) => o.repeat === 1 && o.data.length === n);
  for (const o of ops) {
    if (o.data.length === 0 || !Number.isInteger(o.repeat) || o.repeat < 1) {
      throw new RangeError('wasm kernels: where needs non-empty operands and positive repeats');
    }
  }
  if (n === 0) return;
  if (arena.resident(c.data, a.data, b.data, out)) {
    const [pc, pa, pb] = ops.map((o) => arena.addressOf(o.data));
    const lens = ops.map((o, i) => (streamed[i] ? 0 : o.data.length));
    return ex.where(pc!, lens[0]!, c.repeat, pa!, lens[1]!, a.repeat, pb!, lens[2]!, b.repeat,
      arena.addressOf(out), n, 0);
  }
  const chunk = Math.min(n, CHUNK);
  // Broadcast operands stay in the arena; streamed ones and the output get a chunk each.
  const addrs = arena.layout(...ops.map((o, i) => (streamed[i] ? chunk : o.data.length)), chunk);
  ops.forEach((o, i) => { if (!streamed[i]) arena.put(addrs[i]!, o.data); });
  const lens = ops.map((o, i) => (streamed[i] ? 0 : o.data.length));
  const pOut = addrs[3]!;
  chunks(n, (s, len) => {
    ops.forEach((o, i) => { if (streamed[i]) arena.put(addrs[i]!, o.data.subarray(s, s + len)); });
    ex.where(addrs[0]!, lens[0]!, c.repeat, addrs[1]!, lens[1]!, a.repeat, addrs[2]!, lens[2]!, b.repeat, pOut, len, s);
    arena.read(pOut, len, out, s);
  });
}

/** Adam over at least this many parameters is shared between the threads. */
const ADAM_SHARE_MIN = 64 * 1024;

/** One in-place Adam/AdamW step with PyTorch semantics over p, g, m, v of equal length (g is not modified). */
export function adam(inst: Instance, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  o: AdamOptions): void {
  const { ex, arena } = inst;
  const n = p.length;
  if (g.length !== n || m.length !== n || v.length !== n) {
    throw new RangeError('wasm kernels: adam needs p, g, m, v of equal length');
  }
  if (!(o.step >= 1)) throw new RangeError(`wasm kernels: adam step must be >= 1, got ${o.step}`);
  if (n === 0) return;
  const wd = o.weightDecay || 0;
  const bc1 = 1 - Math.pow(o.beta1, o.step);
  const bc2 = 1 - Math.pow(o.beta2, o.step);
  const stepSize = o.lr / bc1;
  const bc2sqrt = Math.sqrt(bc2);
  const decay = o.decoupled && wd !== 0 ? 1 - o.lr * wd : 1;
  const l2 = !o.decoupled && wd !== 0 ? wd : 0;
  const settings = [o.beta1, 1 - o.beta1, o.beta2, 1 - o.beta2, o.eps, stepSize, bc2sqrt, decay, l2] as const;
  const run = (pp: number, pg: number, pm: number, pv: number, len: number): void =>
    ex.adam(pp, pg, pm, pv, len, ...settings);
  const resident = arena.resident(p, g, m, v);
  if (resident && inst.helpers && n >= ADAM_SHARE_MIN) {
    const at = [p, g, m, v].map((a) => arena.addressOf(a));
    const floats = settings.map((_, i) => 6 + i); // written as f32, as ex.adam's arguments are
    const units = Math.ceil(n / UNIT_ELEMENTS);
    return runParallel(inst, 'adam', () => [...at, n, UNIT_ELEMENTS, ...settings], units, { floatSlots: floats });
  }
  if (resident) return run(arena.addressOf(p), arena.addressOf(g), arena.addressOf(m), arena.addressOf(v), n);
  const chunk = Math.min(n, CHUNK);
  const [pp, pg, pm, pv] = arena.layout(chunk, chunk, chunk, chunk);
  chunks(n, (s, len) => {
    arena.put(pp!, p.subarray(s, s + len));
    arena.put(pg!, g.subarray(s, s + len));
    arena.put(pm!, m.subarray(s, s + len));
    arena.put(pv!, v.subarray(s, s + len));
    run(pp!, pg!, pm!, pv!, len);
    arena.read(pp!, len, p, s);
    arena.read(pm!, len, m, s);
    arena.read(pv!, len, v, s);
  });
}
