/**
 * Geometry shared by the PDF helpers.
 *
 * Everything inside the PDF extractor works in *display space*: points, origin at the top-left
 * corner of the page as it is shown (after /Rotate and the crop box), x to the right, y down.
 * pdf.js's viewport transform maps user space there, so landscape and rotated pages need no
 * special cases: rows are always horizontal bands, columns vertical ones. Only the final
 * `BBox` of the document model is flipped back to a bottom-left origin.
 */
import type { BBox } from "../../document.js";
import type { Matrix, OpsTable } from "./pdfjs.js";

/** An axis-aligned rectangle in display space (top < bottom). */
export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Whether `x` is an affine matrix as pdf.js passes them (an array or typed array of 6 numbers). */
export function isMatrix(x: unknown): x is Matrix {
  if (!(Array.isArray(x) || ArrayBuffer.isView(x))) return false;
  const a = x as unknown as ArrayLike<unknown>;
  if (a.length !== 6) return false;
  for (let i = 0; i < 6; i++) if (typeof a[i] !== "number") return false;
  return true;
}

/** Compose two affine matrices: the result applies `inner` first, then `outer`. */
export function compose(outer: readonly number[], inner: readonly number[]): Matrix {
  const [a1 = 1, b1 = 0, c1 = 0, d1 = 1, e1 = 0, f1 = 0] = outer;
  const [a2 = 1, b2 = 0, c2 = 0, d2 = 1, e2 = 0, f2 = 0] = inner;
  return [
    a1 * a2 + c1 * b2,
    b1 * a2 + d1 * b2,
    a1 * c2 + c1 * d2,
    b1 * c2 + d1 * d2,
    a1 * e2 + c1 * f2 + e1,
    b1 * e2 + d1 * f2 + f1,
  ];
}

export function apply(m: readonly number[], x: number, y: number): [number, number] {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = m;
  return [a * x + c * y + e, b * x + d * y + f];
}

export function unionRect(a: Rect, b: Rect): Rect {
  return {
    left: Math.min(a.left, b.left),
    top: Math.min(a.top, b.top),
    right: Math.max(a.right, b.right),
    bottom: Math.max(a.bottom, b.bottom),
  };
}

/** Display-space rectangle → document-model BBox (origin bottom-left, as pdf.js user space). */
export function toBBox(r: Rect, pageHeight: number): BBox {
  const round = (v: number) => Math.round(v * 100) / 100;
  return { x0: round(r.left), y0: round(pageHeight - r.bottom), x1: round(r.right), y1: round(pageHeight - r.top) };
}

/**
 * Cluster 1-D coordinates: sorted values closer than `tol` to their neighbour form one
 * cluster, represented by its mean. Used for line positions that producers draw a fraction of
 * a point apart (LibreOffice puts one border at 79.4, 79.7 and 79.9).
 */
export function clusterValues(values: readonly number[], tol: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  let sum = 0;
  let n = 0;
  let last = -Infinity;
  for (const v of sorted) {
    if (n > 0 && v - last > tol) {
      out.push(sum / n);
      sum = 0;
      n = 0;
    }
    sum += v;
    n++;
    last = v;
  }
  if (n > 0) out.push(sum / n);
  return out;
}

/** Index of the value in a sorted list nearest to `v`. */
export function nearestIndex(sorted: readonly number[], v: number): number {
  let best = 0;
  let bestDist = Infinity;
  for (let i = 0; i < sorted.length; i++) {
    const d = Math.abs((sorted[i] as number) - v);
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  }
  return best;
}

/**
 * Follows the operators that change the current transform: save/restore, transparency
 * groups, transforms and form XObjects. Every walk over an operator list needs them to know
 * where things are drawn. Returns the state after operator `fn` (pushing or popping `stack`
 * as it goes), or null when `fn` is none of them.
 */
export function followTransform<S extends { ctm: Matrix }>(OPS: OpsTable, fn: number, args: unknown, state: S, stack: S[]): S | null {
  switch (fn) {
    case OPS.save:
    case OPS.beginGroup: // a group renders with the current transform; its matrix comes
      // with the paintFormXObjectBegin that follows.
      stack.push(state);
      return { ...state };
    case OPS.restore:
    case OPS.endGroup:
    case OPS.paintFormXObjectEnd:
      return stack.pop() ?? state;
    case OPS.transform:
      return isMatrix(args) ? { ...state, ctm: compose(state.ctm, args) } : state;
    case OPS.paintFormXObjectBegin: {
      stack.push(state);
      const matrix = Array.isArray(args) ? args[0] : undefined;
      return isMatrix(matrix) ? { ...state, ctm: compose(state.ctm, matrix) } : { ...state };
    }
    default:
      return null;
  }
}
