/**
 * Rows of a grid read by OCR, taken strictly: a grid row is a table row only when its own
 * label cells name one row of the table and its value cells are exactly that row's columns.
 * An OCR grid can lose a rule or a cell; the aligner, which places runs by order as well as
 * by label, could then move numbers onto a neighbouring row. Here a row that is not named,
 * or whose cells do not fit, is simply not read (T2/T3), never shifted.
 */
import type { RowDef, TableDef } from "../catalogue.js";
import type { RowResult } from "./align.js";
import { labelSimilarity } from "./normalize.js";
import type { Token } from "./tokens.js";

/** A label must carry the row's label this well, and better than any other row's. */
const NAMES_ROW = 0.6;
const MARGIN = 0.1;

const similarity = (row: RowDef, text: string) => Math.max(...[row.label, ...(row.aliases ?? [])].map((l) => labelSimilarity(l, text)));

function lines(tokens: readonly Token[]): Token[][] {
  const out: Token[][] = [];
  for (const t of tokens) {
    const last = out[out.length - 1];
    if (last && last[0]?.line === t.line) last.push(t);
    else out.push([t]);
  }
  return out;
}

/** The cells after the line's last label cell. */
function valueCells(line: readonly Token[]): { label: string; values: Token[] } {
  let i = line.length;
  while (i > 0 && line[i - 1]?.kind !== "text") i--;
  return { label: line.slice(0, i).filter((t) => t.kind === "text").map((t) => t.text).join(""), values: line.slice(i) };
}

const missing = (row: RowDef): RowResult => ({ row, status: "missing", cells: row.fields.map(() => null), evidence: 0 });
const cellOf = (t: Token): Token | null => (t.kind === "empty" ? null : t);

export function readGridRows(tokens: readonly Token[], def: TableDef): RowResult[] {
  const results = def.rows.map(missing);
  const ls = lines(tokens.filter((t) => t.source === "grid"));
  if (def.id === "reviewLitigation") {
    // The data row: all groups side by side, no label of its own.
    const width = def.rows.reduce((n, r) => n + r.fields.length, 0);
    const data = [...ls].reverse().map(valueCells).find((l) => l.values.length === width && l.values.every((v) => v.kind !== "text"));
    if (!data) return results;
    let at = 0;
    return def.rows.map((row) => {
      const cells = data.values.slice(at, at + row.fields.length).map(cellOf);
      at += row.fields.length;
      return { row, status: "ok", cells, evidence: 1 };
    });
  }
  for (const line of ls) {
    const { label, values } = valueCells(line);
    if (label === "" || values.length === 0) continue;
    const scored = def.rows.map((row, i) => ({ i, s: similarity(row, label) })).sort((a, b) => b.s - a.s);
    const best = scored[0];
    if (!best || best.s < NAMES_ROW || (scored[1] && scored[1].s > best.s - MARGIN)) continue;
    const r = results[best.i] as RowResult;
    if (r.status !== "missing") continue;
    if (values.length !== r.row.fields.length) {
      r.status = "damaged";
      r.detail = `read by OCR: its grid row has ${values.length} value cells, not ${r.row.fields.length}`;
      continue;
    }
    r.status = "ok";
    r.cells = values.map(cellOf);
    r.evidence = best.s;
  }
  return results;
}
