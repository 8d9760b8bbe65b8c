/**
 * Minimum-cost assignment of n rows into m >= n columns (each row to a distinct column, some columns left over):
 * the rectangular linear assignment problem. matching.ts's LAPJV solves square problems; padding an n x m problem
 * to m x m with constant dummy rows is exact but slow, because the m - n identical dummy rows tie everywhere and
 * each costs a full augmenting search (matching 512 true features into 2048 latents that way took 14.5 s on the
 * 2-core machine). Here only the n real rows are augmented.
 *
 * The algorithm is the Hungarian method with potentials in its shortest-augmenting-path form (Kuhn 1955, Munkres
 * 1957; the O(n^2 m) formulation of Jonker & Volgenant's augmentation step, as in Burkard, Dell'Amico & Martello,
 * "Assignment Problems", 2009, sec. 4.4): for each row in turn, a Dijkstra-like scan over reduced costs finds the
 * cheapest way to free a column for it, and the dual potentials keep every reduced cost non-negative. Exact.
 */

/** result[row] = column, for a row-major n x m cost matrix with n <= m. */
export function rectangularAssignment(cost: Float64Array, n: number, m: number): Int32Array {
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 0 || n > m) {
    throw new Error(`rectangularAssignment: needs integers 0 <= n (${n}) <= m (${m}); transpose a matrix with more `
      + 'rows');
  }
  if (cost.length !== n * m) {
    throw new Error(`rectangularAssignment: cost has ${cost.length} values; a ${n} x ${m} matrix needs ${n * m}`);
  }
  for (let k = 0; k < cost.length; k++) {
    if (!Number.isFinite(cost[k]!)) {
      const at = `cost[${Math.floor(k / m)}][${k % m}]`;
      throw new Error(`rectangularAssignment: ${at} is ${cost[k]}; costs must be finite`);
    }
  }
  // 1-based rows and columns, column 0 the virtual start of each search (the classic layout of the method).
  const u = new Float64Array(n + 1); // row potentials
  const v = new Float64Array(m + 1); // column potentials
  const rowOf = new Int32Array(m + 1); // column -> its row (0: free)
  const way = new Int32Array(m + 1); // the previous column on the shortest path
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    rowOf[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = rowOf[j0]!;
      const base = (i0 - 1) * m - 1; // cost[i0 - 1][j - 1] = cost[base + j]
      const ui = u[i0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const reduced = cost[base + j]! - ui - v[j]!;
        if (reduced < minv[j]!) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[rowOf[j]!] = u[rowOf[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (rowOf[j0] !== 0);
    do { // augment along the path back to the start
      const j1 = way[j0]!;
      rowOf[j0] = rowOf[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (rowOf[j]! > 0) out[rowOf[j]! - 1] = j - 1;
  return out;
}
