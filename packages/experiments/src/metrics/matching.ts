/**
 * One-to-one matching of latents between two SAEs, and the "shared latents" fraction.
 *
 * PWMCC lets many latents pick the same best match. A one-to-one matching (the linear assignment
 * problem) is stricter: Paulo & Belrose 2025 match latents with the Hungarian algorithm on decoder
 * cosine and call a latent shared when its match exceeds 0.7 on both encoder and decoder; Song et
 * al. 2025 use the same matching for their consistency measures.
 *
 * The solver is LAPJV (Jonker & Volgenant 1987, "A shortest augmenting path algorithm for dense
 * and sparse linear assignment problems"): column reduction, reduction transfer and two rounds of
 * augmenting row reduction give a good start cheaply; then each row left free is assigned along
 * a shortest augmenting path found by a Dijkstra-like scan over reduced costs. Exact, O(n^3) at
 * worst and much faster on dense random costs. The structure follows the widely used C
 * implementation in gatagat/lap (lapjv.cpp).
 */
import { checkMatrix, cosineMatrix, type Matrix } from './pwmcc.js';

/**
 * Minimum-cost assignment for a square cost matrix (row-major, n x n): result[row] = column.
 * To maximise a similarity C, pass 1 - C or -C.
 */
export function linearAssignment(cost: Float64Array | Float32Array, n: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new Error(`linearAssignment: n (${n}) must be a non-negative integer`);
  if (cost.length !== n * n) {
    throw new Error(`linearAssignment: cost has ${cost.length} values; a square ${n} x ${n} matrix needs ${n * n}`);
  }
  for (let k = 0; k < cost.length; k++) {
    if (!Number.isFinite(cost[k]!)) {
      throw new Error(`linearAssignment: cost[${Math.floor(k / n)}][${k % n}] is ${cost[k]}; costs must be finite`);
    }
  }
  const x = new Int32Array(n).fill(-1); // row -> column
  if (n === 1) x[0] = 0;
  if (n <= 1) return x;
  const c = cost instanceof Float64Array ? cost : Float64Array.from(cost);
  const y = new Int32Array(n).fill(-1); // column -> row
  const v = new Float64Array(n); // column dual prices
  let free = columnReduction(c, n, x, y, v);
  for (let round = 0; round < 2 && free.length > 0; round++) free = augmentingRowReduction(c, n, free, x, y, v);
  const path = new PathWorkspace(n);
  for (const row of free) augment(c, n, row, x, y, v, path);
  return x;
}

/** Column reduction and reduction transfer; returns the rows left unassigned. */
function columnReduction(c: Float64Array, n: number, x: Int32Array, y: Int32Array, v: Float64Array): Int32Array {
  // Each column's price is its minimum cost; the row achieving it claims the column.
  v.fill(Infinity);
  const argmin = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (c[i * n + j]! < v[j]!) {
        v[j] = c[i * n + j]!;
        argmin[j] = i;
      }
    }
  }
  // Right to left, a row keeps only the first column it claims; later claims are dropped.
  const unique = new Uint8Array(n).fill(1);
  for (let j = n - 1; j >= 0; j--) {
    const i = argmin[j]!;
    if (x[i]! < 0) {
      x[i] = j;
      y[j] = i;
    } else {
      unique[i] = 0;
    }
  }
  // Reduction transfer: a row with exactly one claimed column passes its slack to that column.
  const free: number[] = [];
  for (let i = 0; i < n; i++) {
    const j1 = x[i]!;
    if (j1 < 0) {
      free.push(i);
    } else if (unique[i]) {
      let min = Infinity;
      for (let j = 0; j < n; j++) if (j !== j1) min = Math.min(min, c[i * n + j]! - v[j]!);
      v[j1] = v[j1]! - min;
    }
  }
  return Int32Array.from(free);
}

/** One round of augmenting row reduction (the JV "AUGROWRED" step); returns the rows still free. */
function augmentingRowReduction(c: Float64Array, n: number, freeIn: Int32Array, x: Int32Array, y: Int32Array,
    v: Float64Array): Int32Array {
  const free = Int32Array.from(freeIn); // worked on in place: rows may be pushed back at `current`
  const nFree = free.length;
  let current = 0;
  let newFree = 0;
  let steps = 0;
  while (current < nFree) {
    steps++;
    const i = free[current++]!;
    // The lowest (u1 at j1) and second-lowest (u2 at j2) reduced costs of row i.
    let j1 = 0;
    let u1 = c[i * n]! - v[0]!;
    let j2 = -1;
    let u2 = Infinity;
    for (let j = 1; j < n; j++) {
      const h = c[i * n + j]! - v[j]!;
      if (h < u2) {
        if (h >= u1) {
          u2 = h;
          j2 = j;
        } else {
          u2 = u1;
          j2 = j1;
          u1 = h;
          j1 = j;
        }
      }
    }
    let i0 = y[j1]!;
    const lowered = v[j1]! - (u2 - u1);
    const lowers = lowered < v[j1]!;
    if (steps < current * n) {
      // Lower j1's price so it stays i's best; its old owner (if any) becomes free and is retried now.
      if (lowers) {
        v[j1] = lowered;
      } else if (i0 >= 0 && j2 >= 0) {
        // A tie: take the second-best column instead, to avoid cycling.
        j1 = j2;
        i0 = y[j2]!;
      }
      if (i0 >= 0) {
        if (lowers) free[--current] = i0;
        else free[newFree++] = i0;
      }
    } else if (i0 >= 0) {
      free[newFree++] = i0; // step budget spent: leave the displaced row to the augmentation phase
    }
    x[i] = j1;
    y[j1] = i;
    if (i0 >= 0 && x[i0] === j1) x[i0] = -1;
  }
  return free.slice(0, newFree);
}

/** Buffers reused across shortest-path searches. */
class PathWorkspace {
  readonly dist: Float64Array;
  readonly pred: Int32Array;
  /** Columns ordered READY [0, lo), SCAN [lo, hi), TODO [hi, n). */
  readonly cols: Int32Array;
  constructor(n: number) {
    this.dist = new Float64Array(n);
    this.pred = new Int32Array(n);
    this.cols = new Int32Array(n);
  }
}

/** Assigns free row `start` along a shortest augmenting path, updating the column prices. */
function augment(c: Float64Array, n: number, start: number, x: Int32Array, y: Int32Array, v: Float64Array,
    w: PathWorkspace): void {
  const { dist, pred, cols } = w;
  for (let j = 0; j < n; j++) {
    cols[j] = j;
    pred[j] = start;
    dist[j] = c[start * n + j]! - v[j]!;
  }
  let lo = 0;
  let hi = 0;
  let nReady = 0;
  let end = -1;
  while (end < 0) {
    if (lo === hi) {
      // SCAN is empty: move every TODO column at the minimum distance into it.
      nReady = lo;
      let minDist = dist[cols[hi]!]!;
      hi++;
      for (let k = hi; k < n; k++) {
        const j = cols[k]!;
        const d = dist[j]!;
        if (d <= minDist) {
          if (d < minDist) {
            hi = lo;
            minDist = d;
          }
          cols[k] = cols[hi]!;
          cols[hi++] = j;
        }
      }
      for (let k = lo; k < hi; k++) if (y[cols[k]!]! < 0) end = cols[k]!;
      if (end >= 0) break;
    }
    // Scan one column: relax TODO columns through the row that owns it.
    const j0 = cols[lo++]!;
    const i = y[j0]!;
    const minDist = dist[j0]!;
    const h = c[i * n + j0]! - v[j0]! - minDist;
    for (let k = hi; k < n; k++) {
      const j = cols[k]!;
      const d = c[i * n + j]! - v[j]! - h;
      if (d < dist[j]!) {
        dist[j] = d;
        pred[j] = i;
        if (d === minDist) {
          if (y[j]! < 0) {
            end = j;
            break;
          }
          cols[k] = cols[hi]!;
          cols[hi++] = j;
        }
      }
    }
  }
  // Columns finished before the last round move their prices by how much closer they were.
  const last = dist[end]!;
  for (let k = 0; k < nReady; k++) {
    const j = cols[k]!;
    v[j] = v[j]! + dist[j]! - last;
  }
  // Flip the path: every column on it takes the row that reached it.
  for (let j = end; ; ) {
    const i = pred[j]!;
    y[j] = i;
    const next = x[i]!;
    x[i] = j;
    if (i === start) break;
    j = next;
  }
}

/** Result of a one-to-one decoder matching. */
export interface HungarianMatch {
  /** assignment[i] = the latent of b matched to latent i of a. */
  assignment: Int32Array;
  /** Mean |cos| of the matched decoder pairs. */
  meanMatchedCosine: number;
}

function checkSquarePair(a: Matrix, b: Matrix, fn: string): void {
  checkMatrix(a, `${fn}: first dictionary`);
  checkMatrix(b, `${fn}: second dictionary`);
  if (a.rows !== b.rows) {
    throw new Error(`${fn}: one-to-one matching needs equal latent counts, got ${a.rows} and ${b.rows}`);
  }
}

/** One-to-one matching of the latents of a and b that maximises the total decoder |cos|. */
export function hungarianMatch(a: Matrix, b: Matrix): HungarianMatch {
  checkSquarePair(a, b, 'hungarianMatch');
  const n = a.rows;
  const cos = cosineMatrix(a, b);
  const cost = new Float64Array(n * n);
  for (let k = 0; k < cost.length; k++) cost[k] = 1 - cos[k]!;
  const assignment = linearAssignment(cost, n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += cos[i * n + assignment[i]!]!;
  return { assignment, meanMatchedCosine: sum / n };
}

/** Signed cosine between row i of a and row j of b (0 if either row is zero). */
function rowCosine(a: Matrix, i: number, b: Matrix, j: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < a.cols; k++) {
    const p = a.data[i * a.cols + k]!;
    const q = b.data[j * b.cols + k]!;
    dot += p * q;
    na += p * p;
    nb += q * q;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Fraction of latents shared by two SAEs (Paulo & Belrose 2025): latents are matched one-to-one
 * on decoder |cos| (hungarianMatch); a matched pair is shared when its cosine exceeds `threshold`
 * on BOTH decoder and encoder. Encoders are given in the decoder's layout, [nLatents, dIn] (W_enc^T).
 * Sign: a latent whose encoder and decoder are both negated computes the same thing, so the pair
 * is judged after flipping it to make the decoder cosine positive (s = sign(decoder cos);
 * shared iff s * cosDec > t and s * cosEnc > t). For positive cosines this is the plain rule.
 */
export function sharedFraction(decA: Matrix, decB: Matrix, encA: Matrix, encB: Matrix, threshold = 0.7): number {
  const sameShape = (enc: Matrix, dec: Matrix, side: string): void => {
    checkMatrix(enc, `sharedFraction: encoder ${side}`);
    if (enc.rows !== dec.rows || enc.cols !== dec.cols) {
      throw new Error(`sharedFraction: encoder ${side} shape [${enc.rows}, ${enc.cols}] must match decoder ${side} `
        + `shape [${dec.rows}, ${dec.cols}] (pass W_enc^T, one row per latent)`);
    }
  };
  sameShape(encA, decA, 'A');
  sameShape(encB, decB, 'B');
  const { assignment } = hungarianMatch(decA, decB);
  let shared = 0;
  for (let i = 0; i < decA.rows; i++) {
    const j = assignment[i]!;
    const dec = rowCosine(decA, i, decB, j);
    const s = dec < 0 ? -1 : 1;
    if (s * dec > threshold && s * rowCosine(encA, i, encB, j) > threshold) shared++;
  }
  return shared / decA.rows;
}
