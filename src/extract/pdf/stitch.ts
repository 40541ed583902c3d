/**
 * Tables continued across pages, and the conversion to the document model's TableBlock.
 *
 * While stitching, a table is kept as cells with *row indices* (rows of every fragment,
 * one after the other) and *x extents* (points): columns are only numbered at the end, from
 * the union of all fragments' column boundaries, so a fragment whose columns are drawn a
 * little differently still lines up.
 *
 * Appending the fragment on the next page:
 * 1. Repeated header rows (Word "repeat as header row"): when the fragment's first rows equal
 *    the table's first rows, they are dropped.
 * 2. A row split by the page break: when the fragment's first row only carries label tails
 *    (text with no enumerator under a cell that starts with one, e.g. `申请` under
 *    `2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开`) and values the part
 *    above lacks, that row is merged into the table's last row.
 * 3. Otherwise single first-row cells continue the cell above them when that is a rowspan cut
 *    by the break: an empty cell under `三、本年度办理结果`, or the tail of a label wrapped
 *    over the break (see continuationRule).
 */
import type { GridCell, TableBlock } from "../../document.js";
import { clusterValues, nearestIndex, toBBox, type Rect } from "./geometry.js";
import type { TableFragment } from "./grid.js";
import { joinWords } from "./text.js";

interface DraftCell {
  row: number;
  rowSpan: number;
  x0: number;
  x1: number;
  text: string;
  page: number;
  rect: Rect;
}

export interface DraftTable {
  page: number;
  pageEnd: number;
  /** The first fragment's rectangle (on `page`). */
  rect: Rect;
  /** Left and right edges of the most recent fragment, to match the next page's. */
  left: number;
  right: number;
  nRows: number;
  /** Column boundaries of all fragments so far (unclustered). */
  xs: number[];
  cells: DraftCell[];
}

/** Table edges and column boundaries within this distance (points) are the same. */
const EDGE_TOLERANCE = 3;

const near = (a: number, b: number) => Math.abs(a - b) <= EDGE_TOLERANCE;

/** A leading enumerator: `1.` `1、` `1．` `（一）` `(一)` `一、` `（1）`. */
const ENUMERATOR = /^\s*(?:[（(]\s*[一二三四五六七八九十\d０-９]+\s*[)）]|[一二三四五六七八九十]+\s*[、.．]|[\d０-９]{1,2}\s*[、.．)）](?![\d０-９]))/;

/** A value cell: a number, or a placeholder for a blank (`/`, `-`, `—`). */
const VALUE = /^(?:[-+−]?[\d０-９][\d０-９,，.．]*%?|[/／\-—–－]+)$/;

const isValue = (t: string) => VALUE.test(t.replace(/\s+/g, ""));
const isLabel = (t: string) => t.trim() !== "" && !isValue(t);

export function draftFromFragment(f: TableFragment): DraftTable {
  return {
    page: f.page,
    pageEnd: f.page,
    rect: f.rect,
    left: f.rect.left,
    right: f.rect.right,
    nRows: f.ys.length - 1,
    xs: [...f.xs],
    cells: f.cells.map((c) => ({
      row: c.row,
      rowSpan: c.rowSpan,
      x0: f.xs[c.col] as number,
      x1: f.xs[c.col + c.colSpan] as number,
      text: c.text,
      page: f.page,
      rect: c.rect,
    })),
  };
}

/**
 * Whether `next` (the first table on the following page) can continue `table`. Its left edge
 * may also be one of the table's column boundaries: Chromium draws no border for the part of a
 * rowspan cell (三、本年度办理结果) that runs onto the next page, so there the grid starts one
 * column further right (and on the page after, where that cell ended, at the left again).
 */
export function continues(table: DraftTable, next: TableFragment): boolean {
  if (next.page !== table.pageEnd + 1 || !near(table.right, next.rect.right)) return false;
  return near(table.left, next.rect.left) || table.xs.some((x) => near(x, next.rect.left));
}

/** Whether no cell crosses the boundary between row k-1 and row k. */
function closedAt(cells: readonly DraftCell[], k: number): boolean {
  return cells.every((c) => c.row >= k || c.row + c.rowSpan <= k);
}

function sameCells(a: readonly DraftCell[], b: readonly DraftCell[]): boolean {
  if (a.length !== b.length) return false;
  const order = (c: DraftCell[]) => c.sort((p, q) => p.row - q.row || p.x0 - q.x0);
  const sa = order([...a]);
  const sb = order([...b]);
  const key = (t: string) => t.replace(/\s+/g, "");
  return sa.every((c, i) => {
    const d = sb[i] as DraftCell;
    return c.row === d.row && c.rowSpan === d.rowSpan && near(c.x0, d.x0) && near(c.x1, d.x1) && key(c.text) === key(d.text);
  });
}

/** How many leading rows of `next` repeat the leading rows of `table` (0 if none). */
function repeatedHeaderRows(table: DraftTable, next: DraftTable): number {
  for (let k = Math.min(table.nRows, next.nRows); k >= 1; k--) {
    if (!closedAt(table.cells, k) || !closedAt(next.cells, k)) continue;
    const head = table.cells.filter((c) => c.row < k);
    const repeat = next.cells.filter((c) => c.row < k);
    if (head.some((c) => c.text.trim() !== "") && sameCells(head, repeat)) return k;
  }
  return 0;
}

/** Append the fragment on the next page to `table` (see the file comment for the rules). */
export function appendFragment(table: DraftTable, fragment: TableFragment): void {
  const next = draftFromFragment(fragment);
  table.pageEnd = fragment.page;
  table.left = fragment.rect.left;
  table.right = fragment.rect.right;
  table.xs.push(...next.xs);

  // 1. Repeated header rows.
  const k = repeatedHeaderRows(table, next);
  if (k > 0) {
    next.cells = next.cells.filter((c) => c.row >= k);
    for (const c of next.cells) c.row -= k;
    next.nRows -= k;
  }
  if (next.nRows <= 0) return;

  // The cell of the table's last row right above a first-row cell of the fragment.
  const above = (c: DraftCell) =>
    table.cells.find((a) => a.row + a.rowSpan === table.nRows && near(a.x0, c.x0) && near(a.x1, c.x1));
  const firstRow = next.cells.filter((c) => c.row === 0);
  const rule = continuationRule(firstRow, above);
  const merged = new Set<DraftCell>();

  let offset = table.nRows;
  if (isSplitRow(firstRow, above, rule)) {
    // 2. One row cut in two by the page break: its parts become one row.
    offset = table.nRows - 1;
    for (const c of firstRow) {
      const a = above(c);
      if (!a) continue;
      a.text = joinWords(a.text, c.text);
      a.rowSpan += c.rowSpan - 1;
      merged.add(c);
    }
  } else {
    // 3. Rowspans cut by the page break.
    for (const c of firstRow) {
      const a = above(c);
      if (a && rule(c, a)) {
        a.text = joinWords(a.text, c.text);
        a.rowSpan += c.rowSpan;
        merged.add(c);
      }
    }
  }
  for (const c of next.cells) {
    if (merged.has(c)) continue;
    table.cells.push({ ...c, row: c.row + offset });
  }
  table.nRows = offset + next.nRows;
}

const isEmpty = (c: DraftCell) => c.text.trim() === "";

/** Whether the row has a label to the right of `c`. */
function hasLabelRight(c: DraftCell, row: readonly DraftCell[]): boolean {
  return row.some((o) => o !== c && o.x0 >= c.x1 - EDGE_TOLERANCE && isLabel(o.text));
}

/** The rest of a label wrapped over the break: no enumerator, under a cell that starts with one. */
function isEnumeratorTail(c: DraftCell, a: DraftCell): boolean {
  return isLabel(c.text) && !ENUMERATOR.test(c.text) && ENUMERATOR.test(a.text);
}

/** A cell that can hold a rowspan over several rows: a label, or an empty multi-row cell. */
const groups = (a: DraftCell) => isLabel(a.text) || (isEmpty(a) && a.rowSpan > 1);

/**
 * Which first-row cells `c` continue the cell `a` above them across the page break.
 *
 * On its own evidence, a cell continues when the row has its own label further right (so
 * this column groups rows, like `三、本年度办理结果` or `（三）不予公开`) and the cell is
 * either empty under a grouping cell, or the tail of an enumerated label (`（四）无` +
 * `法提供`). Requiring a label to the right keeps blank values (a data row right under the
 * header, table 四's lone data row, a blank 规章 row) from being glued to the header.
 *
 * In a header row (labels only, no values) with at least one such cell, the neighbours
 * continue too: empty cells under labels (`总计` at the right edge) and labels under labels
 * of exactly their width (`结果` + `维持`, table 四's merged header cells cut by the break).
 */
function continuationRule(
  row: readonly DraftCell[],
  above: (c: DraftCell) => DraftCell | undefined,
): (c: DraftCell, a: DraftCell) => boolean {
  const alone = (c: DraftCell, a: DraftCell) =>
    hasLabelRight(c, row) && (isEmpty(c) ? groups(a) : isEnumeratorTail(c, a));
  const anchored = row.some((c) => {
    const a = above(c);
    return a !== undefined && alone(c, a);
  });
  const header = anchored && row.some((c) => isLabel(c.text)) && !row.some((c) => isValue(c.text));
  const inHeader = (c: DraftCell, a: DraftCell) => header && (isEmpty(c) ? groups(a) : isLabel(a.text));
  return (c, a) => alone(c, a) || inHeader(c, a);
}

/**
 * The fragment's first row is the rest of the table's last row: at least one cell holds the
 * tail of the label above it, and every other non-empty cell is such a tail too, or a value
 * under an empty cell (`2.申请人逾期…公开` + `申请`, the values printed on either side).
 */
function isSplitRow(
  row: readonly DraftCell[],
  above: (c: DraftCell) => DraftCell | undefined,
  rule: (c: DraftCell, a: DraftCell) => boolean,
): boolean {
  let tails = 0;
  for (const c of row) {
    if (isEmpty(c)) continue;
    const a = above(c);
    if (!a) return false;
    if (isValue(c.text)) {
      if (!isEmpty(a)) return false;
    } else if (isEnumeratorTail(c, a) || rule(c, a)) {
      tails++;
    } else {
      return false;
    }
  }
  return tails > 0;
}

/** The finished table in the document model: columns numbered from all fragments' boundaries. */
export function toTableBlock(t: DraftTable, pageHeight: (page: number) => number): TableBlock {
  const xs = clusterValues(t.xs, EDGE_TOLERANCE);
  const rows: GridCell[][] = Array.from({ length: t.nRows }, () => []);
  for (const c of t.cells) {
    const col = nearestIndex(xs, c.x0);
    const colSpan = Math.max(1, nearestIndex(xs, c.x1) - col);
    (rows[c.row] as GridCell[]).push({
      row: c.row,
      col,
      rowSpan: c.rowSpan,
      colSpan,
      text: c.text,
      page: c.page,
      bbox: toBBox(c.rect, pageHeight(c.page)),
    });
  }
  for (const r of rows) r.sort((a, b) => a.col - b.col);
  const block: TableBlock = {
    kind: "table",
    nRows: t.nRows,
    nCols: xs.length - 1,
    rows,
    page: t.page,
    pageEnd: t.pageEnd,
    bbox: toBBox(t.rect, pageHeight(t.page)),
  };
  return block;
}
