/**
 * Reading a run of values whose cell order is not certain.
 *
 * Flattened PDF text that prints one number per line has lost the grid: a converter may have
 * written the cells of several rows row by row, or column by column (`pdftotext` in reading
 * order does this with the blocks of table 三 that share merged cells), or a mix of both. The
 * run's own order cannot tell. The rows can: each row of table 三 adds up (总计 = Σ six columns).
 *
 * A *reading* cuts the rows into consecutive blocks and reads each block column by column (a
 * block of one row is that row, left to right; all blocks of one row is the ordinary reading).
 * The ordinary reading is kept when all its rows add up: text is written row by row unless it
 * shows otherwise. When it does not add up, another reading is believed only when every row it
 * produces adds up, and every such reading gives the same cells. Otherwise nothing is read.
 */
import { addsUp, type SumCheck } from "./digits.js";
import type { Token } from "./tokens.js";

export type OrderReading =
  /** exactly one set of cells adds up in every row; `columnWise` if a block was read by column */
  | { kind: "unique"; perRow: Token[][]; columnWise: boolean }
  /** two different sets of cells both add up */
  | { kind: "ambiguous" }
  /** no reading adds up */
  | { kind: "none" };

/** Cells of a block of `k` rows of width `w` that starts at `offset`, read column by column. */
function readBlock(values: readonly Token[], offset: number, k: number, w: number): Token[][] {
  const rows: Token[][] = [];
  for (let r = 0; r < k; r++) {
    const row: Token[] = [];
    for (let c = 0; c < w; c++) row.push(values[offset + c * k + r] as Token);
    rows.push(row);
  }
  return rows;
}

const signature = (rows: readonly Token[][]) => rows.map((r) => r.map((t) => t.parsed?.value ?? "?").join(",")).join(";");

interface Partial {
  rows: Token[][];
  /** signature(rows), to tell readings apart */
  sig: string;
  columnWise: boolean;
}

/**
 * All readings of `values` as rows of `width` cells each, with `checks[i]` the sum rule of
 * row i. Needs `values.length === width × rows` and a sum rule for every row.
 */
export function readUncertainOrder(values: readonly Token[], width: number, checks: readonly (SumCheck | null)[]): OrderReading {
  const m = checks.length;
  if (values.length !== width * m || checks.some((c) => c === null)) return { kind: "none" };
  const byRow = Array.from({ length: m }, (_, i) => values.slice(i * width, (i + 1) * width));
  if (byRow.every((row, i) => addsUp(row, checks[i] as SumCheck))) return { kind: "unique", perRow: byRow, columnWise: false };
  // best[i]: the distinct readings of rows [0, i) (at most two: two already make it ambiguous)
  const best: Partial[][] = Array.from({ length: m + 1 }, () => []);
  best[0] = [{ rows: [], sig: "", columnWise: false }];
  for (let a = 0; a < m; a++) {
    const heads = best[a] as Partial[];
    if (!heads.length) continue;
    for (let b = a + 1; b <= m; b++) {
      const block = readBlock(values, a * width, b - a, width);
      if (!block.every((row, i) => addsUp(row, checks[a + i] as SumCheck))) continue;
      const into = best[b] as Partial[];
      for (const h of heads) {
        const rows = [...h.rows, ...block];
        const sig = signature(rows);
        const same = into.find((p) => p.sig === sig);
        // The same cells read two ways: keep the ordinary reading's flag if either is one.
        if (same) same.columnWise &&= h.columnWise || b - a > 1;
        else if (into.length < 2) into.push({ rows, sig, columnWise: h.columnWise || b - a > 1 });
      }
    }
  }
  const end = best[m] as Partial[];
  if (end.length === 0) return { kind: "none" };
  if (end.length > 1) return { kind: "ambiguous" };
  const only = end[0] as Partial;
  return { kind: "unique", perRow: only.rows, columnWise: only.columnWise };
}
