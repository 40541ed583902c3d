/**
 * Tables from ruling lines: the grid builder.
 *
 * 1. Merge the page's line segments: producers draw one border as many pieces (Chromium: one
 *    per cell edge) and a fraction of a point apart (LibreOffice).
 * 2. Lines that cross or touch form connected groups; a group with at least two horizontal
 *    and two vertical positions is a table.
 * 3. The distinct x positions of its vertical lines are the column boundaries, the distinct y
 *    positions of its horizontal lines the row boundaries. That gives a grid of elementary
 *    cells.
 * 4. A merged (spanning) cell is where a border segment between elementary cells is *not*
 *    drawn: scanning row by row, a cell grows right while its right border is missing, then
 *    down while its whole bottom border is missing.
 * 5. Each text piece goes to the cell containing its centre; the cell's lines are joined top
 *    to bottom.
 *
 * Coordinates are display space (y down), see geometry.ts.
 */
import { clusterValues, type Rect } from "./geometry.js";
import type { HLine, Rulings, VLine } from "./lines.js";
import { cellText, type TextPiece } from "./text.js";

/** One cell of a table fragment (the part of a table on one page). */
export interface FragmentCell {
  row: number;
  rowSpan: number;
  col: number;
  colSpan: number;
  rect: Rect;
  text: string;
}

/** The part of a table drawn on one page. */
export interface TableFragment {
  page: number;
  rect: Rect;
  /** Column boundaries (nCols + 1 x positions) and row boundaries (nRows + 1 y positions). */
  xs: number[];
  ys: number[];
  cells: FragmentCell[];
}

/** Segments of one border closer than this (points) are the same line. */
const SAME_LINE = 1.2;
/** Pieces of one border with gaps up to this (points) are joined. */
const JOIN_GAP = 1.5;
/** Lines within this distance (points) of each other touch. */
const TOUCH = 2.5;
/** Grid boundaries closer than this (points) are one boundary (double borders, drift). */
const SAME_BOUNDARY = 3;
/** A border between two elementary cells is drawn when lines cover this share of it. */
const MIN_COVERAGE = 0.5;

/* ------------------------------------------------------------------------------------------ */
/* 1. Merging segments                                                                         */
/* ------------------------------------------------------------------------------------------ */

interface Span {
  pos: number; // y of a horizontal line, x of a vertical one
  from: number;
  to: number;
}

function mergeSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.pos - b.pos);
  const out: Span[] = [];
  let i = 0;
  while (i < sorted.length) {
    // All spans at (nearly) the same position, then their union as intervals.
    const first = sorted[i] as Span;
    const group: Span[] = [];
    while (i < sorted.length && (sorted[i] as Span).pos - first.pos <= SAME_LINE) group.push(sorted[i++] as Span);
    const pos = group.reduce((s, g) => s + g.pos, 0) / group.length;
    group.sort((a, b) => a.from - b.from);
    let cur: Span | undefined;
    for (const g of group) {
      if (cur && g.from <= cur.to + JOIN_GAP) cur.to = Math.max(cur.to, g.to);
      else out.push((cur = { pos, from: g.from, to: g.to }));
    }
  }
  return out;
}

function mergeRulings(r: Rulings): { h: Span[]; v: Span[] } {
  return {
    h: mergeSpans(r.h.map((l: HLine) => ({ pos: l.y, from: l.x0, to: l.x1 }))),
    v: mergeSpans(r.v.map((l: VLine) => ({ pos: l.x, from: l.y0, to: l.y1 }))),
  };
}

/* ------------------------------------------------------------------------------------------ */
/* 2. Connected groups of lines                                                                */
/* ------------------------------------------------------------------------------------------ */

function touches(h: Span, v: Span): boolean {
  return v.pos >= h.from - TOUCH && v.pos <= h.to + TOUCH && h.pos >= v.from - TOUCH && h.pos <= v.to + TOUCH;
}

function connectedGroups(h: Span[], v: Span[]): { h: Span[]; v: Span[] }[] {
  // Union-find over all lines; horizontal lines are 0..h.length-1, vertical ones follow.
  const parent = Array.from({ length: h.length + v.length }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  // Vertical lines by x, so each horizontal line only looks at those within its extent
  // (pages with vector charts can have thousands of lines).
  const vOrder = v.map((_, j) => j).sort((a, b) => (v[a] as Span).pos - (v[b] as Span).pos);
  const vPos = vOrder.map((j) => (v[j] as Span).pos);
  h.forEach((hl, i) => {
    let k = lowerBound(vPos, hl.from - TOUCH);
    for (; k < vOrder.length && (vPos[k] as number) <= hl.to + TOUCH; k++) {
      const j = vOrder[k] as number;
      if (touches(hl, v[j] as Span)) parent[find(i)] = find(h.length + j);
    }
  });
  const groups = new Map<number, { h: Span[]; v: Span[] }>();
  const groupOf = (i: number) => {
    const root = find(i);
    let g = groups.get(root);
    if (!g) groups.set(root, (g = { h: [], v: [] }));
    return g;
  };
  h.forEach((hl, i) => groupOf(i).h.push(hl));
  v.forEach((vl, j) => groupOf(h.length + j).v.push(vl));
  return [...groups.values()];
}

/** The first index of a sorted array whose value is >= v. */
function lowerBound(sorted: readonly number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* ------------------------------------------------------------------------------------------ */
/* 3–4. Grid and spans                                                                         */
/* ------------------------------------------------------------------------------------------ */

/** The share of [from, to] covered by the lines at `pos` (within SAME_BOUNDARY). */
function coverage(lines: readonly Span[], pos: number, from: number, to: number): number {
  let covered = 0;
  // Lines at one position were merged into disjoint intervals, so overlaps simply add up.
  for (const l of lines) {
    if (Math.abs(l.pos - pos) > SAME_BOUNDARY) continue;
    covered += Math.max(0, Math.min(to, l.to) - Math.max(from, l.from));
  }
  return to > from ? covered / (to - from) : 1;
}

interface Grid {
  xs: number[];
  ys: number[];
  /** Whether the vertical border at xs[c] is drawn along row r. */
  vBorder(c: number, r: number): boolean;
  /** Whether the horizontal border at ys[r] is drawn along column c. */
  hBorder(r: number, c: number): boolean;
}

function buildGrid(h: Span[], v: Span[]): Grid | undefined {
  const xs = clusterValues(
    v.map((l) => l.pos),
    SAME_BOUNDARY,
  );
  const ys = clusterValues(
    h.map((l) => l.pos),
    SAME_BOUNDARY,
  );
  // Tables without outer side borders: the horizontal lines' ends are the outer boundaries.
  const left = Math.min(...h.map((l) => l.from));
  const right = Math.max(...h.map((l) => l.to));
  if (xs.length > 0 && left < (xs[0] as number) - SAME_BOUNDARY) xs.unshift(left);
  if (xs.length > 0 && right > (xs[xs.length - 1] as number) + SAME_BOUNDARY) xs.push(right);
  const top = Math.min(...v.map((l) => l.from));
  const bottom = Math.max(...v.map((l) => l.to));
  if (ys.length > 0 && top < (ys[0] as number) - SAME_BOUNDARY) ys.unshift(top);
  if (ys.length > 0 && bottom > (ys[ys.length - 1] as number) + SAME_BOUNDARY) ys.push(bottom);
  if (xs.length < 2 || ys.length < 2) return undefined;
  const at = (a: number[], i: number) => a[i] as number;
  return {
    xs,
    ys,
    vBorder: (c, r) => coverage(v, at(xs, c), at(ys, r), at(ys, r + 1)) >= MIN_COVERAGE,
    hBorder: (r, c) => coverage(h, at(ys, r), at(xs, c), at(xs, c + 1)) >= MIN_COVERAGE,
  };
}

interface CellBox {
  row: number;
  rowSpan: number;
  col: number;
  colSpan: number;
}

/**
 * Merge elementary cells across missing borders. Scanning row by row, an unclaimed cell
 * grows to the right while its right border is missing, then downwards while the bottom
 * border under its whole width is missing.
 */
function spanCells(g: Grid): { cells: CellBox[]; owner: number[][] } {
  const nRows = g.ys.length - 1;
  const nCols = g.xs.length - 1;
  const owner: number[][] = Array.from({ length: nRows }, () => new Array<number>(nCols).fill(-1));
  const free = (r: number, c: number) => (owner[r] as number[])[c] === -1;
  const cells: CellBox[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      if (!free(r, c)) continue;
      let colSpan = 1;
      while (c + colSpan < nCols && !g.vBorder(c + colSpan, r) && free(r, c + colSpan)) colSpan++;
      let rowSpan = 1;
      const bottomOpen = (rr: number) => {
        for (let k = c; k < c + colSpan; k++) if (g.hBorder(rr, k) || !free(rr, k)) return false;
        return true;
      };
      while (r + rowSpan < nRows && bottomOpen(r + rowSpan)) rowSpan++;
      const id = cells.length;
      cells.push({ row: r, rowSpan, col: c, colSpan });
      for (let rr = r; rr < r + rowSpan; rr++) for (let k = c; k < c + colSpan; k++) (owner[rr] as number[])[k] = id;
    }
  }
  return { cells, owner };
}

/* ------------------------------------------------------------------------------------------ */
/* 5. Text into cells                                                                          */
/* ------------------------------------------------------------------------------------------ */

/** Index i with sorted[i] <= v < sorted[i+1], or -1 outside. */
function slot(sorted: readonly number[], v: number): number {
  if (v < (sorted[0] as number) || v > (sorted[sorted.length - 1] as number)) return -1;
  for (let i = 0; i + 1 < sorted.length; i++) if (v < (sorted[i + 1] as number)) return i;
  return sorted.length - 2;
}

/**
 * Split a piece that runs across drawn column borders (an item pdf.js merged over two cells)
 * at those borders, apportioning characters by their share of the piece's width.
 */
function splitAtBorders(p: TextPiece, g: Grid): TextPiece[] {
  const row = slot(g.ys, (p.top + p.bottom) / 2);
  const chars = [...p.text];
  if (row < 0 || chars.length < 2) return [p];
  const perChar = (p.right - p.left) / chars.length;
  for (let c = 1; c + 1 < g.xs.length; c++) {
    const x = g.xs[c] as number;
    if (x - p.left > 0.5 * perChar && p.right - x > 0.5 * perChar && g.vBorder(c, row)) {
      const k = Math.max(1, Math.min(chars.length - 1, Math.round((x - p.left) / perChar)));
      const head = { ...p, text: chars.slice(0, k).join("").trim(), right: p.left + k * perChar };
      const tail = { ...p, text: chars.slice(k).join("").trim(), left: p.left + k * perChar };
      return [head, ...splitAtBorders(tail, g)].filter((part) => part.text !== "");
    }
  }
  return [p];
}

/**
 * The tables on one page, and the pieces outside them. A "table" of a single cell (a box
 * drawn around a paragraph) and a grid without any text are not tables.
 */
export function findTables(
  rulings: Rulings,
  pieces: readonly TextPiece[],
  page: number,
): { tables: TableFragment[]; rest: TextPiece[] } {
  const merged = mergeRulings(rulings);
  let rest = [...pieces];
  const tables: TableFragment[] = [];
  for (const group of connectedGroups(merged.h, merged.v)) {
    if (group.h.length === 0 || group.v.length === 0) continue;
    const g = buildGrid(group.h, group.v);
    if (!g || (g.xs.length === 2 && g.ys.length === 2)) continue;
    const rect: Rect = {
      left: g.xs[0] as number,
      right: g.xs[g.xs.length - 1] as number,
      top: g.ys[0] as number,
      bottom: g.ys[g.ys.length - 1] as number,
    };
    const { cells, owner } = spanCells(g);
    const cellPieces = cells.map((): TextPiece[] => []);
    const outside: TextPiece[] = [];
    for (const p of rest) {
      const col = slot(g.xs, (p.left + p.right) / 2);
      const row = slot(g.ys, (p.top + p.bottom) / 2);
      if (col < 0 || row < 0) {
        outside.push(p);
        continue;
      }
      for (const part of splitAtBorders(p, g)) {
        const c = slot(g.xs, (part.left + part.right) / 2);
        const id = (owner[row] as number[])[c < 0 ? col : c] as number;
        (cellPieces[id] as TextPiece[]).push(part);
      }
    }
    if (cellPieces.every((ps) => ps.length === 0)) continue;
    rest = outside;
    tables.push({
      page,
      rect,
      xs: g.xs,
      ys: g.ys,
      cells: cells.map((c, i) => ({
        ...c,
        rect: {
          left: g.xs[c.col] as number,
          right: g.xs[c.col + c.colSpan] as number,
          top: g.ys[c.row] as number,
          bottom: g.ys[c.row + c.rowSpan] as number,
        },
        text: cellText(cellPieces[i] as TextPiece[]),
      })),
    });
  }
  tables.sort((a, b) => a.rect.top - b.rect.top);
  return { tables, rest };
}
