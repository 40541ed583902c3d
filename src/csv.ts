/**
 * The tidy CSV view of envelopes: one row per cell, for researchers who load it straight into
 * pandas or R. Rows and columns are named by the model's paths (see README "The model").
 */
import { CATALOGUE, TABLE_IDS } from "./catalogue.js";
import type { Envelope, TableData } from "./model.js";

/**
 * The columns, in order: the first eight as they always were, then the document's validation
 * status, its content hash and its agencyKey (README "CLI"), the same on every row of a document.
 */
export const CSV_HEADER = ["file", "agency", "year", "format", "table", "row", "column", "value", "status", "sha256", "agencyKey"] as const;

function quote(v: string | number | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function get(data: TableData, path: string): unknown {
  let node: unknown = data;
  for (const p of path.split(".")) node = node && typeof node === "object" ? (node as Record<string, unknown>)[p] : undefined;
  return node;
}

export function csvLine(values: readonly (string | number | null)[]): string {
  return values.map(quote).join(",");
}

/**
 * The CSV rows (without header) of one envelope: one per cell of its tables. A legacy report
 * gives one row per value of its statistics rows (table `legacyStatistics`, column `value1`,
 * `value2`… in printed order, and `unit`) and per prose figure (table `legacyFigures`, columns
 * `value` and `unit`). A document with nothing of that still gets one row, its identity and
 * status with table, row, column and value empty, so that it is never silently missing.
 */
export function csvRows(env: Envelope, file: string): string[] {
  const r = env.report;
  const doc = [env.validation.status, env.source.sha256, r.agencyKey ?? null] as const;
  const out: string[] = [];
  const push = (table: string | null, row: string | null, column: string | null, value: string | number | null) =>
    out.push(csvLine([file, r.agency, r.year, r.format, table, row, column, value, ...doc]));
  if (r.format === "legacy") {
    for (const st of r.legacy.statistics) {
      st.values.forEach((v, i) => push("legacyStatistics", st.label, `value${i + 1}`, v));
      push("legacyStatistics", st.label, "unit", st.unit);
    }
    for (const f of r.legacy.figures) {
      push("legacyFigures", f.label, "value", f.value);
      push("legacyFigures", f.label, "unit", f.unit);
    }
  } else {
    for (const table of TABLE_IDS) {
      const data = r[table] as TableData | null;
      if (!data) continue;
      for (const row of CATALOGUE[r.format][table].rows) {
        for (const f of row.fields) {
          const v = get(data, `${row.path}.${f.key}`);
          push(table, row.path, f.key, typeof v === "number" ? v : null);
        }
      }
      if (table === "proactive" && r.format === "2019") {
        const unit = get(data, "procurement.amountUnit");
        push(table, "procurement", "amountUnit", typeof unit === "string" ? unit : null);
      }
    }
  }
  if (out.length === 0) push(null, null, null, null);
  return out;
}
