/**
 * PWMCC where the data lives. A decoder row's components outside the activations' span get no
 * gradient and keep their random initialisation, so on low-rank activations full-space PWMCC mostly
 * measures the initialisation. Here each row is projected onto the activations' top-m principal
 * directions (its coordinates in that basis), rows whose projection keeps less than `minNorm` of
 * their norm are left out (and counted), and PWMCC is taken between the projected rows (it
 * renormalises them). Its chance level is the analytic baseline for dimension m.
 */
import type { Matrix } from './pwmcc.js';
import { pwmcc } from './pwmcc.js';
import type { PrincipalAxes } from './spectrum.js';

/** Rows keeping less than this fraction of their norm in the subspace are left out (PROTOCOL.md: 5%). */
export const MIN_PROJECTED_NORM = 0.05;

/**
 * A dictionary's rows in the coordinates of the top-m principal directions: [kept rows, m], and how many were left out.
 */
export function projectRows(dict: Matrix, axes: PrincipalAxes, m: number,
    minNorm = MIN_PROJECTED_NORM): { rows: Matrix; excluded: number } {
  if (dict.cols !== axes.dim) {
    throw new Error(`projectRows: rows of ${dict.cols} values, principal directions of ${axes.dim}`);
  }
  if (!Number.isInteger(m) || m < 1 || m > axes.dim) {
    throw new Error(`projectRows: m (${m}) must be an integer in [1, ${axes.dim}]`);
  }
  const d = dict.cols;
  const out = new Float32Array(dict.rows * m);
  let kept = 0;
  for (let r = 0; r < dict.rows; r++) {
    let norm = 0;
    for (let c = 0; c < d; c++) norm += dict.data[r * d + c]! ** 2;
    let projected = 0;
    for (let i = 0; i < m; i++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += dict.data[r * d + c]! * axes.directions[i * d + c]!;
      out[kept * m + i] = dot;
      projected += dot * dot;
    }
    if (norm > 0 && Math.sqrt(projected / norm) >= minNorm) kept++;
  }
  return { rows: { data: out.slice(0, kept * m), rows: kept, cols: m }, excluded: dict.rows - kept };
}

/** PWMCC of two dictionaries' rows projected onto the top-m principal directions (see projectRows). */
export function subspacePwmcc(a: Matrix, b: Matrix, axes: PrincipalAxes, m: number): number {
  const pa = projectRows(a, axes, m).rows;
  const pb = projectRows(b, axes, m).rows;
  if (pa.rows === 0 || pb.rows === 0) {
    throw new Error(`subspacePwmcc: no row keeps ${MIN_PROJECTED_NORM} of its norm in the top ${m} directions`);
  }
  return pwmcc(pa, pb);
}
