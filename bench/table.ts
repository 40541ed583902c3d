/** Plain-text rendering of the result tables. */
import type { Cell, Column, Table } from "./section.js";

export function formatCell(value: Cell | undefined, column: Column): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "string") return value;
  if (!Number.isFinite(value)) return "–";
  return value.toFixed(column.digits ?? 1);
}

export function renderTable(table: Table): string {
  const header = table.columns.map((c) => c.label);
  const body = table.rows.map((row) => table.columns.map((c) => formatCell(row[c.key], c)));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  // The first column (a name) is left-aligned, figures right-aligned.
  const line = (cells: string[]) => cells.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join("  ").trimEnd();
  const out: string[] = [];
  if (table.title) out.push(table.title);
  out.push(line(header), widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of body) out.push(line(r));
  return out.join("\n");
}
