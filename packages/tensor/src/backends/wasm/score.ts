// The wrapper of HUSAI's auxiliary scores (assembly/score.ts), the first half of the fused maskedAbsTopk; the
// backend's topk is the second.
import { input, output } from './arena.js';
import type { Instance } from './loader.js';

/** out = (|x| * (1 - mask)) * scale for x, mask, out [rows, n] and scale [rows] (one per row). */
export function maskedAbsScale(inst: Instance, x: Float32Array, mask: Float32Array, scale: Float32Array, rows: number,
  n: number, out: Float32Array): void {
  const ops = inst.arena.place([input(x, rows * n), input(mask, rows * n), input(scale, rows), output(out, rows * n)]);
  const [pX, pM, pS, pOut] = ops.at;
  ops.copyIn();
  inst.ex.maskedAbsScale(pX!, pM!, pS!, rows, n, pOut!);
  ops.copyOut();
}
