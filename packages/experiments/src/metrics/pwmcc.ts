/**
 * PWMCC: pairwise mean max cosine correlation between two SAE dictionaries.
 *
 * For decoder matrices A [nA, dIn] and B [nB, dIn] (one row per latent, SAELens `W_dec` layout),
 * C = |normalize(A) normalize(B)^T| [nA, nB], and
 *   PWMCC = (mean_i max_j C[i, j] + mean_j max_i C[i, j]) / 2.
 * It is symmetric, lies in [0, 1], is 1 for identical dictionaries and does not change when
 * latents are reordered, flipped in sign or rescaled. Two random dictionaries score well above 0
 * (about 0.30 for d = 128, n = 1024: see baseline.ts), so a PWMCC means little without that baseline.
 *
 * References: Paulo & Belrose 2025, "Sparse Autoencoders Trained on the Same Data Learn Different
 * Features"; Song et al. 2025 (feature consistency); HUSAI `src/analysis/feature_matching.py`.
 */
import { matmul, tensor, tidy } from '@saelab/tensor';
import { mean, median, populationStd } from './stats.js';

/** A row-major matrix with explicit shape: a dictionary is [nLatents, dIn], one latent per row. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Throws if `m`'s data does not hold exactly rows * cols values. */
export function checkMatrix(m: Matrix, name: string): void {
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 1 || m.cols < 1) {
    throw new Error(`${name}: shape [${m.rows}, ${m.cols}] must be two positive integers`);
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new Error(`${name}: data has ${m.data.length} values, but shape [${m.rows}, ${m.cols}] needs `
      + `${m.rows * m.cols}`);
  }
}

/** Throws unless two dictionaries live in the same space (same dIn). */
export function checkSameSpace(a: Matrix, b: Matrix, what = 'dictionaries'): void {
  checkMatrix(a, `${what}: first`);
  checkMatrix(b, `${what}: second`);
  if (a.cols !== b.cols) {
    throw new Error(`${what}: dIn differs (${a.cols} vs ${b.cols}); both must be [nLatents, dIn] with the same dIn`);
  }
}

/** A copy of `m` with every row scaled to unit L2 norm; zero rows stay zero (cosine 0 with all). */
export function normalizeRows(m: Matrix): Matrix {
  checkMatrix(m, 'normalizeRows');
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    const off = r * m.cols;
    let sq = 0; // accumulate in float64
    for (let c = 0; c < m.cols; c++) sq += m.data[off + c]! ** 2;
    if (sq === 0) continue;
    const inv = 1 / Math.sqrt(sq);
    for (let c = 0; c < m.cols; c++) out[off + c] = m.data[off + c]! * inv;
  }
  return { data: out, rows: m.rows, cols: m.cols };
}

/** |cosine| between every row of `a` and every row of `b`: a row-major [a.rows, b.rows] matrix. */
export function cosineMatrix(a: Matrix, b: Matrix): Float32Array {
  checkSameSpace(a, b, 'cosineMatrix');
  const na = normalizeRows(a);
  const nb = normalizeRows(b);
  // [nA, dIn] @ [nB, dIn]^T -> [nA, nB], on whatever backend is current.
  const raw = tidy(() => matmul(tensor(na.data, [a.rows, a.cols]), tensor(nb.data, [b.rows, b.cols]), { transB: true })
    .toArray());
  const out = raw instanceof Float32Array ? raw : Float32Array.from(raw);
  // Absolute value makes the metric sign-invariant; clamping absorbs float32 rounding past 1.
  for (let k = 0; k < out.length; k++) out[k] = Math.min(1, Math.abs(out[k]!));
  return out;
}

/** PWMCC from a precomputed |cos| matrix [rows, cols] (see cosineMatrix). */
export function pwmccFromCosine(cos: ArrayLike<number>, rows: number, cols: number): number {
  if (!(rows >= 1 && cols >= 1) || cos.length !== rows * cols) {
    throw new Error(`pwmccFromCosine: ${cos.length} values do not fill [${rows}, ${cols}]`);
  }
  const colMax = new Float64Array(cols); // |cos| >= 0, so 0 is a safe start
  let rowSum = 0;
  for (let i = 0; i < rows; i++) {
    let rowMax = 0;
    const off = i * cols;
    for (let j = 0; j < cols; j++) {
      const c = cos[off + j]!;
      if (c > rowMax) rowMax = c;
      if (c > colMax[j]!) colMax[j] = c;
    }
    rowSum += rowMax;
  }
  let colSum = 0;
  for (let j = 0; j < cols; j++) colSum += colMax[j]!;
  return (rowSum / rows + colSum / cols) / 2;
}

/** Symmetric PWMCC between two dictionaries [nA, dIn] and [nB, dIn]. */
export function pwmcc(a: Matrix, b: Matrix): number {
  return pwmccFromCosine(cosineMatrix(a, b), a.rows, b.rows);
}

/** The n x n PWMCC matrix of n dictionaries (diagonal 1, as the original), each pair computed once. */
export function pwmccMatrix(dicts: readonly Matrix[]): number[][] {
  const n = dicts.length;
  const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    m[i]![i] = 1;
    for (let j = i + 1; j < n; j++) {
      try {
        m[i]![j] = m[j]![i] = pwmcc(dicts[i]!, dicts[j]!);
      } catch (e) {
        throw new Error(`pwmccMatrix: dictionaries ${i} and ${j}: ${(e as Error).message}`);
      }
    }
  }
  return m;
}

/** One off-diagonal entry of a pairwise matrix. */
export interface PairValue {
  i: number;
  j: number;
  value: number;
}

/** Summary of the off-diagonal upper triangle (i < j) of a pairwise matrix. */
export interface PairSummary {
  pairs: PairValue[];
  mean: number;
  /** Population std (ddof 0), as the original's numpy `.std()`. */
  std: number;
  min: number;
  max: number;
  median: number;
}

/** The n(n-1)/2 values above the diagonal of a square matrix, row by row. */
export function upperTriangle(matrix: readonly (readonly number[])[]): PairValue[] {
  const n = matrix.length;
  const pairs: PairValue[] = [];
  matrix.forEach((row, i) => {
    if (row.length !== n) {
      throw new Error(`upperTriangle: row ${i} has ${row.length} entries; the matrix must be ${n} x ${n}`);
    }
    for (let j = i + 1; j < n; j++) pairs.push({ i, j, value: row[j]! });
  });
  return pairs;
}

/** Mean, population std, min, max and median of the off-diagonal pairs (needs n >= 2). */
export function summarisePairs(matrix: readonly (readonly number[])[]): PairSummary {
  const pairs = upperTriangle(matrix);
  if (pairs.length === 0) {
    throw new Error(`summarisePairs: a ${matrix.length} x ${matrix.length} matrix has no pairs; compare at least 2 `
      + `dictionaries`);
  }
  const values = pairs.map((p) => p.value);
  return {
    pairs,
    mean: mean(values),
    std: populationStd(values),
    min: Math.min(...values),
    max: Math.max(...values),
    median: median(values),
  };
}
