/**
 * Optimal one-to-one matching (the Hungarian method), shared by the tracker and the MOT metrics.
 */

/**
 * Minimum-cost assignment of every row of a rows × cols cost matrix (row-major, rows ≤ cols) to
 * a distinct column: the shortest-augmenting-path form of the Hungarian method with dual
 * potentials, O(rows² · cols). Costs must be finite. Returns the column of each row.
 */
export function minCostAssignment(cost: Float64Array, rows: number, cols: number): Int32Array {
  if (rows > cols) throw new RangeError(`minCostAssignment needs rows ≤ cols (got ${rows} × ${cols})`);
  if (cost.length !== rows * cols) throw new RangeError(`cost has ${cost.length} entries, expected ${rows * cols}`);
  // 1-based as in the textbook statement: index 0 is the virtual start column/row of each search
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const rowOf = new Int32Array(cols + 1); // rowOf[j]: row (1-based) assigned to column j, 0 if none
  const way = new Int32Array(cols + 1);
  const minv = new Float64Array(cols + 1);
  const used = new Uint8Array(cols + 1);
  for (let i = 1; i <= rows; i++) {
    rowOf[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = rowOf[j0]!;
      let delta = Infinity;
      let j1 = 0;
      const base = (i0 - 1) * cols;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const cur = cost[base + j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) { minv[j] = cur; way[j] = j0; }
        if (minv[j]! < delta) { delta = minv[j]!; j1 = j; }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) { u[rowOf[j]!]! += delta; v[j]! -= delta; } else minv[j]! -= delta;
      }
      j0 = j1;
    } while (rowOf[j0] !== 0);
    do {
      const j1 = way[j0]!;
      rowOf[j0] = rowOf[j1]!;
      j0 = j1;
    } while (j0);
  }
  const colOf = new Int32Array(rows).fill(-1);
  for (let j = 1; j <= cols; j++) if (rowOf[j]) colOf[rowOf[j]! - 1] = j - 1;
  return colOf;
}

/**
 * Pairs rows with columns to maximise the total of `score - minScore` over the chosen pairs,
 * each with score ≥ minScore; a row or column may stay unpaired. Solved as a min-cost
 * assignment in which every row also has a private "unpaired" column costing what a pair at
 * exactly minScore costs: a pair is chosen only when that beats leaving its row alone, and no
 * pair under the gate can ever be forced in. Returns [row, col] pairs.
 */
export function maxScoreMatching(score: (row: number, col: number) => number, rows: number, cols: number, minScore: number): Array<[number, number]> {
  if (rows === 0 || cols === 0) return [];
  const transpose = rows > cols;
  const r = transpose ? cols : rows;
  const c = transpose ? rows : cols;
  const width = c + r;
  // larger than any sum of real costs, finite as the solver needs: never part of an optimum,
  // since every row can always take its own "unpaired" column instead
  const BLOCKED = 1e9;
  const cost = new Float64Array(r * width).fill(BLOCKED);
  const gateCost = -minScore;
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < c; j++) {
      const s = transpose ? score(j, i) : score(i, j);
      if (s >= minScore && Number.isFinite(s)) cost[i * width + j] = -s;
    }
    cost[i * width + c + i] = gateCost;
  }
  const colOf = minCostAssignment(cost, r, width);
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < r; i++) {
    const j = colOf[i]!;
    if (j < 0 || j >= c || cost[i * width + j] === BLOCKED) continue;
    pairs.push(transpose ? [j, i] : [i, j]);
  }
  return pairs;
}
