/** The tidy view of a report in PostgreSQL: one row of `cells` per catalogue cell. */
import { CATALOGUE, TABLE_IDS } from "../../catalogue.js";
import type { Envelope } from "../../model.js";

/** One catalogue cell of a report, as a row of `cells`. */
export interface CellRow {
  table_id: string;
  row_path: string;
  column_key: string;
  value: number | null;
}

/** The cells of a report, walked from the label catalogue (like src/csv.ts): 200 for 2021, 198 for 2019. */
export function cellRows(envelope: Envelope): CellRow[] {
  const r = envelope.report;
  if (r.format === "legacy") return [];
  const out: CellRow[] = [];
  for (const table of TABLE_IDS) {
    const data: unknown = r[table];
    if (data === null) continue; // a table not found has no cells (T1 says so)
    for (const row of CATALOGUE[r.format][table].rows) {
      const node = dig(data, row.path);
      for (const f of row.fields) {
        const v = node === null || typeof node !== "object" ? undefined : (node as Record<string, unknown>)[f.key];
        out.push({ table_id: table, row_path: row.path, column_key: f.key, value: typeof v === "number" ? v : null });
      }
    }
  }
  return out;
}

function dig(data: unknown, path: string): unknown {
  let node = data;
  for (const p of path.split(".")) node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[p] : undefined;
  return node;
}
