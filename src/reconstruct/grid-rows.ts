/**
 * Rows of a grid read by OCR, taken strictly: a grid row is a table row only when its own
 * label cells name one row of the table and its value cells are exactly that row's columns.
 * An OCR grid can lose a rule or a cell; the aligner, which places runs by order as well as
 * by label, could then move numbers onto a neighbouring row. Here a row that is not named,
 * or whose cells do not fit, is simply not read (T2/T3), never shifted.
 */
import type { RowDef, TableDef } from "../catalogue.js";
import type { RowResult } from "./align.js";
import type { Token } from "./tokens.js";
import { rowSimilarity } from "./runs.js";

/** A label must carry the row's label this well, and better than any other row's. */
const NAMES_ROW = 0.6;
const MARGIN = 0.1;


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
  // The grid rows that carry values, in order, each with the table row its label names (if any).
  const read = ls
    .map(valueCells)
    .filter((l) => l.values.some((v) => v.kind !== "empty"))
    .map((l) => {
      const scored = def.rows.map((row, i) => ({ i, s: rowSimilarity(l.label, row) })).sort((a, b) => b.s - a.s);
      const best = scored[0];
      const named = l.label !== "" && best && best.s >= NAMES_ROW && !(scored[1] && scored[1].s > best.s - MARGIN) ? best : null;
      return { ...l, named, placed: -1 };
    });
  for (const l of read) {
    if (!l.named) continue;
    const r = results[l.named.i] as RowResult;
    // A row already read stays; one that did not fit gives way to a later grid row that does.
    if (r.status === "ok") continue;
    if (l.values.length !== r.row.fields.length) {
      if (r.status === "damaged") continue;
      r.status = "damaged";
      r.detail = `read by OCR: its grid row has ${l.values.length} value cells, not ${r.row.fields.length}`;
      continue;
    }
    r.status = "ok";
    delete r.detail;
    r.cells = l.values.map(cellOf);
    r.evidence = l.named.s;
    l.placed = l.named.i;
  }
  placeBetween(read, results);
  return results;
}

/** At most this many grid rows in a row are placed by their position. */
const MAX_PLACED = 3;

/**
 * Grid rows whose label OCR misread (人入以公开 for （一）予以公开) between two rows named by
 * their labels: when the grid rows between them are exactly as many as the table rows not yet
 * found between those two, each with that row's number of value cells, and none of their
 * labels names another row, they are those rows, in order. Anything else leaves them missing.
 */
function placeBetween(read: readonly { label: string; values: Token[]; named: { i: number; s: number } | null; placed: number }[], results: RowResult[]) {
  const anchors = read.map((l, k) => ({ k, i: l.placed })).filter((a) => a.i >= 0);
  for (let a = 0; a + 1 < anchors.length; a++) {
    const from = anchors[a] as { k: number; i: number };
    const to = anchors[a + 1] as { k: number; i: number };
    const lines = read.slice(from.k + 1, to.k);
    const rows = results.slice(from.i + 1, to.i);
    if (lines.length === 0 || lines.length > MAX_PLACED || lines.length !== rows.length) continue;
    if (!rows.every((r) => r.status === "missing")) continue;
    if (!lines.every((l, n) => l.named === null && l.values.length === (rows[n] as RowResult).row.fields.length)) continue;
    const before = (results[from.i] as RowResult).row.label;
    const after = (results[to.i] as RowResult).row.label;
    lines.forEach((l, n) => {
      const r = rows[n] as RowResult;
      r.status = "ok";
      r.cells = l.values.map(cellOf);
      r.evidence = 0;
      r.placed = `its label was read as «${l.label}»; placed by its position between rows ${before} and ${after}`;
    });
  }
}
