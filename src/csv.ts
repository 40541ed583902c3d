/**
 * The tidy CSV view of envelopes: one row per cell, for researchers who load it straight into
 * pandas or R. Rows and columns are named by the model's paths (see README "The model").
 */
import { CATALOGUE, TABLE_IDS } from "./catalogue.js";
import type { Envelope, TableData } from "./model.js";

export const CSV_HEADER = ["file", "agency", "year", "format", "table", "row", "column", "value"] as const;

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

/** The CSV rows (without header) of one envelope. */
export function csvRows(env: Envelope, file: string): string[] {
  const r = env.report;
  if (r.format === "legacy") return [];
  const out: string[] = [];
  for (const table of TABLE_IDS) {
    const data = r[table] as TableData | null;
    if (!data) continue;
    for (const row of CATALOGUE[r.format][table].rows) {
      for (const f of row.fields) {
        const v = get(data, `${row.path}.${f.key}`);
        out.push(csvLine([file, r.agency, r.year, r.format, table, row.path, f.key, typeof v === "number" ? v : null]));
      }
    }
    if (table === "proactive" && r.format === "2019") {
      const unit = get(data, "procurement.amountUnit");
      out.push(csvLine([file, r.agency, r.year, r.format, table, "procurement", "amountUnit", typeof unit === "string" ? unit : null]));
    }
  }
  return out;
}
