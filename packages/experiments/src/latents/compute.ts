/**
 * What a latent page shows, computed from one SAE and its task's activations: per latent how often it fires (its
 * value is nonzero, as L0 counts), its mean value when it fires and its top activating rows; then which latents to
 * show (the most frequent, and a seeded draw of the rest), each latent's best match in the other seeds' decoders and
 * in the true features. Everything is deterministic: ties go to the lower row or latent, the draw takes a seeded Rng.
 */
import { noGrad, Rng, tensor, tidy } from '@saelab/tensor';
import type { SparseAutoencoder } from '@saelab/models';
import type { Matrix } from '../metrics/pwmcc.js';

/** How many latents a file shows and how many inputs each (the defaults bound a file to about 100 KB). */
export interface LatentSelection {
  frequent: number; // 64: the most frequent latents
  random: number; // 64: drawn at random from the rest
  topInputs: number; // 8: top activating rows per latent
}
export const LATENT_SELECTION: LatentSelection = { frequent: 64, random: 64, topInputs: 8 };

/** Per latent, over every row: how many rows it fires on, the sum of its values there, its top rows. */
export interface LatentStatistics {
  counts: Float64Array; // [d_sae]
  sums: Float64Array; // [d_sae]
  /** [d_sae] lists of at most `topInputs` (row, value), largest value first, ties to the lower row. */
  top: { row: number; value: number }[][];
}

/** Counts, sums and top rows of every latent of `sae` over `acts` [n, d_in], encoded `chunk` rows at a time. */
export function latentStatistics(sae: SparseAutoencoder, acts: Float32Array, n: number, topInputs: number,
    chunk = 4096): LatentStatistics {
  const { dIn, dSae } = sae.cfg;
  if (acts.length !== n * dIn) {
    throw new Error(`activations of ${acts.length} values are not ${n} rows of the SAE's d_in ${dIn}`);
  }
  const counts = new Float64Array(dSae);
  const sums = new Float64Array(dSae);
  const top: { row: number; value: number }[][] = Array.from({ length: dSae }, () => []);
  const offer = (list: { row: number; value: number }[], row: number, value: number) => {
    // Rows arrive in increasing order, so a value equal to the last kept one loses to it: ties go to the lower row.
    if (list.length === topInputs && !(value > list[list.length - 1]!.value)) return;
    let at = list.length;
    while (at > 0 && value > list[at - 1]!.value) at--;
    list.splice(at, 0, { row, value });
    if (list.length > topInputs) list.pop();
  };
  noGrad(() => {
    for (let s = 0; s < n; s += chunk) tidy(() => {
      const m = Math.min(chunk, n - s);
      const { indices, values } = sae.encode(tensor(acts.subarray(s * dIn, (s + m) * dIn), [m, dIn]));
      const ids = indices.toArray();
      const vals = values.toArray();
      const width = vals.length / m; // k for a TopK code, d_sae for a dense one
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < width; j++) {
          const v = vals[r * width + j]!;
          if (v === 0) continue;
          const latent = ids[r * width + j]!;
          counts[latent]!++;
          sums[latent]! += v;
          if (topInputs > 0) offer(top[latent]!, s + r, v);
        }
      }
    });
  });
  return { counts, sums, top };
}

/**
 * The latents a file shows: the `frequent` most frequent (count descending, then latent), then `random` of the rest
 * drawn by `rng`, in latent order. An SAE with no more latents than both together shows every latent.
 */
export function selectLatents(counts: ArrayLike<number>, sel: Pick<LatentSelection, 'frequent' | 'random'>, rng: Rng):
    { latent: number; chosen: 'frequent' | 'random' }[] {
  const order = Array.from({ length: counts.length }, (_, i) => i).sort((a, b) => counts[b]! - counts[a]! || a - b);
  const frequent = order.slice(0, sel.frequent);
  const rest = order.slice(sel.frequent).sort((a, b) => a - b);
  const drawn = rng.permutation(rest.length).slice(0, sel.random).map((i) => rest[i]!).sort((a, b) => a - b);
  return [...frequent.map((latent) => ({ latent, chosen: 'frequent' as const })),
    ...drawn.map((latent) => ({ latent, chosen: 'random' as const }))];
}

/** The rows of m [rows, cols] scaled to unit length (a zero row stays zero). */
function unitRows(m: Matrix): Float64Array {
  const out = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    let sq = 0;
    for (let c = 0; c < m.cols; c++) sq += m.data[r * m.cols + c]! ** 2;
    const inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
    for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = m.data[r * m.cols + c]! * inv;
  }
  return out;
}

/**
 * For each of `rows` of dictionary a [n_a, d], the row of b [n_b, d] with the largest |cos| (ties: the lower row) and
 * that cosine, signed. Serves the latents' matches in other seeds' decoders and in the true features.
 */
export function bestMatches(a: Matrix, rows: number[], b: Matrix): { index: number; cosine: number }[] {
  if (a.cols !== b.cols) throw new Error(`dictionaries of width ${a.cols} and ${b.cols} cannot be compared`);
  const d = a.cols;
  const ua = unitRows(a);
  const ub = unitRows(b);
  return rows.map((r) => {
    let best = { index: 0, cosine: 0 };
    for (let j = 0; j < b.rows; j++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += ua[r * d + c]! * ub[j * d + c]!;
      if (Math.abs(dot) > Math.abs(best.cosine)) best = { index: j, cosine: dot };
    }
    return best;
  });
}

/** x to 6 significant digits: the files' precision (float32 holds about 7), so they stay small and stable. */
export const round6 = (x: number): number => Number(x.toPrecision(6));
