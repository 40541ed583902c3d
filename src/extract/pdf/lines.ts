/**
 * Ruling lines from a pdf.js operator list: the page's own, or the drawing operators its text
 * pass recorded (the "drawing-in-text-pass" patch of worker-patches.ts), which lists the same
 * operators the same way.
 *
 * Table borders reach us in three shapes, depending on the producer:
 * - stroked paths (LibreOffice: one `m … l … S` per border segment; WPS/Word: often one path
 *   with many subpaths, or a stroked rectangle, whose 4 edges are 4 lines);
 * - thin filled rectangles (Chromium/Skia draws every cell border as a 1-unit-wide fill);
 * - (not borders) large filled rectangles: cell backgrounds, paragraph shading. WPS paints a
 *   white rectangle behind every paragraph and cell, so fills only count when thin.
 *
 * pdf.js 5 delivers paths as `constructPath` with args `[paintOp, [Float32Array], minMax]`; the
 * array holds `DrawOPS` codes (moveTo 0, lineTo 1, curveTo 2, closePath 3) followed by their
 * coordinates, in user space *before* the current transformation matrix (CTM). So the CTM must
 * be tracked through save/restore/transform and form XObjects to place lines on the page.
 */
import { apply, compose, followTransform } from "./geometry.js";
import type { Matrix, OpsTable, PdfOperatorList } from "./pdfjs.js";

/** A horizontal ruling line in display space. */
export interface HLine {
  y: number;
  x0: number;
  x1: number;
}

/** A vertical ruling line in display space. */
export interface VLine {
  x: number;
  y0: number;
  y1: number;
}

export interface Rulings {
  h: HLine[];
  v: VLine[];
}

/** A fill counts as a drawn line when it is at most this thick (points). */
const MAX_FILL_THICKNESS = 2.5;
/** A segment this close to horizontal/vertical (points of drift over its length) is straight. */
const AXIS_TOLERANCE = 0.8;
/** Shorter pieces are dots, corners or glyph parts, not borders. */
const MIN_LENGTH = 1.5;

const DRAW_MOVE = 0;
const DRAW_LINE = 1;
const DRAW_CURVE = 2;
const DRAW_CLOSE = 3;

interface GraphicsState {
  ctm: Matrix;
  strokeVisible: boolean;
  fillVisible: boolean;
}

/** `#rrggbb` colours that are (nearly) white are invisible on paper. */
function isVisibleColour(arg: unknown): boolean {
  if (typeof arg !== "string" || !/^#[0-9a-f]{6}$/i.test(arg)) return true;
  const channels = [1, 3, 5].map((i) => parseInt(arg.slice(i, i + 2), 16));
  return channels.some((c) => c < 0xf0);
}

/** A subpath as display-space points, plus whether it was explicitly closed. */
interface Subpath {
  points: [number, number][];
  /** Index pairs (i, i+1) that are straight (lineTo / closePath), not curves. */
  straight: boolean[];
  closed: boolean;
}

function toSubpaths(data: ArrayLike<number>, m: Matrix): Subpath[] {
  const out: Subpath[] = [];
  let cur: Subpath | undefined;
  for (let i = 0; i < data.length; ) {
    const op = data[i++];
    if (op === DRAW_MOVE) {
      cur = { points: [apply(m, data[i] as number, data[i + 1] as number)], straight: [], closed: false };
      out.push(cur);
      i += 2;
    } else if (op === DRAW_LINE) {
      const p = apply(m, data[i] as number, data[i + 1] as number);
      if (!cur) out.push((cur = { points: [], straight: [], closed: false }));
      if (cur.points.length > 0) cur.straight.push(true);
      cur.points.push(p);
      i += 2;
    } else if (op === DRAW_CURVE) {
      const p = apply(m, data[i + 4] as number, data[i + 5] as number);
      if (!cur) out.push((cur = { points: [], straight: [], closed: false }));
      if (cur.points.length > 0) cur.straight.push(false);
      cur.points.push(p);
      i += 6;
    } else if (op === DRAW_CLOSE) {
      if (cur) cur.closed = true;
      cur = undefined;
    } else {
      break; // unknown code: stop rather than misread coordinates
    }
  }
  return out;
}

function addSegment(out: Rulings, [x0, y0]: [number, number], [x1, y1]: [number, number]): void {
  if (Math.abs(y1 - y0) <= AXIS_TOLERANCE && Math.abs(x1 - x0) >= MIN_LENGTH) {
    out.h.push({ y: (y0 + y1) / 2, x0: Math.min(x0, x1), x1: Math.max(x0, x1) });
  } else if (Math.abs(x1 - x0) <= AXIS_TOLERANCE && Math.abs(y1 - y0) >= MIN_LENGTH) {
    out.v.push({ x: (x0 + x1) / 2, y0: Math.min(y0, y1), y1: Math.max(y0, y1) });
  }
}

/** Every straight edge of a stroked subpath (including the closing edge) is a line. */
function strokeSubpath(out: Rulings, sp: Subpath): void {
  const pts = sp.points;
  for (let i = 0; i + 1 < pts.length; i++) {
    if (sp.straight[i]) addSegment(out, pts[i] as [number, number], pts[i + 1] as [number, number]);
  }
  if (sp.closed && pts.length > 2) addSegment(out, pts[pts.length - 1] as [number, number], pts[0] as [number, number]);
}

/**
 * A filled subpath is a line when it is an axis-aligned rectangle no thicker than
 * MAX_FILL_THICKNESS: the line runs along its centre.
 */
function fillSubpath(out: Rulings, sp: Subpath): void {
  const pts = sp.points;
  if (pts.length < 4 || pts.length > 5 || sp.straight.some((s) => !s)) return;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const left = Math.min(...xs);
  const right = Math.max(...xs);
  const top = Math.min(...ys);
  const bottom = Math.max(...ys);
  const onBox = pts.every(
    ([x, y]) =>
      (Math.abs(x - left) < 0.5 || Math.abs(x - right) < 0.5) && (Math.abs(y - top) < 0.5 || Math.abs(y - bottom) < 0.5),
  );
  if (!onBox) return;
  const w = right - left;
  const h = bottom - top;
  if (h <= MAX_FILL_THICKNESS && w >= MIN_LENGTH && w >= h) out.h.push({ y: (top + bottom) / 2, x0: left, x1: right });
  else if (w <= MAX_FILL_THICKNESS && h >= MIN_LENGTH) out.v.push({ x: (left + right) / 2, y0: top, y1: bottom });
}

/**
 * All horizontal and vertical lines drawn on a page, in display space (`viewport` is the
 * user → display transform of the page).
 */
export function extractRulings(ops: PdfOperatorList, OPS: OpsTable, viewport: readonly number[]): Rulings {
  const out: Rulings = { h: [], v: [] };
  const stack: GraphicsState[] = [];
  let gs: GraphicsState = { ctm: [1, 0, 0, 1, 0, 0], strokeVisible: true, fillVisible: true };

  const strokeOps = new Set([OPS.stroke, OPS.closeStroke]);
  const fillOps = new Set([OPS.fill, OPS.eoFill]);
  const bothOps = new Set([OPS.fillStroke, OPS.eoFillStroke, OPS.closeFillStroke, OPS.closeEOFillStroke]);

  const { fnArray, argsArray } = ops;
  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i];
    const args = argsArray[i];
    const next = followTransform(OPS, fn as number, args, gs, stack);
    if (next) {
      gs = next;
      continue;
    }
    switch (fn) {
      case OPS.setStrokeRGBColor:
        gs.strokeVisible = isVisibleColour(Array.isArray(args) ? args[0] : undefined);
        break;
      case OPS.setFillRGBColor:
        gs.fillVisible = isVisibleColour(Array.isArray(args) ? args[0] : undefined);
        break;
      case OPS.setStrokeTransparent:
        gs.strokeVisible = false;
        break;
      case OPS.setFillTransparent:
        gs.fillVisible = false;
        break;
      case OPS.setStrokeColorN:
        gs.strokeVisible = true;
        break;
      case OPS.setFillColorN:
        gs.fillVisible = true;
        break;
      case OPS.constructPath: {
        const path = readConstructPath(args);
        if (!path) break;
        const stroke = strokeOps.has(path.paintOp) || bothOps.has(path.paintOp);
        const fill = fillOps.has(path.paintOp) || bothOps.has(path.paintOp);
        if (!(stroke && gs.strokeVisible) && !(fill && gs.fillVisible)) break; // clip-only or invisible
        const toDisplay = compose(viewport, gs.ctm);
        const closes = path.paintOp === OPS.closeStroke || path.paintOp === OPS.closeFillStroke || path.paintOp === OPS.closeEOFillStroke;
        for (const sp of toSubpaths(path.data, toDisplay)) {
          if (closes) sp.closed = true;
          if (stroke && gs.strokeVisible) strokeSubpath(out, sp);
          else if (fill && gs.fillVisible) fillSubpath(out, sp);
        }
        break;
      }
    }
  }
  return out;
}

/** `constructPath` args of pdf.js 5: `[paintOp, [pathData], minMax]`. */
function readConstructPath(args: unknown): { paintOp: number; data: ArrayLike<number> } | undefined {
  if (!Array.isArray(args) || typeof args[0] !== "number" || !Array.isArray(args[1])) return undefined;
  const data: unknown = args[1][0];
  if (!(data instanceof Float32Array) && !Array.isArray(data)) return undefined;
  return { paintOp: args[0], data: data as ArrayLike<number> };
}
