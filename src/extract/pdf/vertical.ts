/**
 * Text in vertical-writing fonts, recovered from the operator list.
 *
 * WPS typesets narrow tall cells (table 三's `三、本年度办理结果`) with a vertical CID font
 * (Identity-V), one glyph per line. pdf.js 5's text-content builder loses glyphs of such runs
 * (on hongze_2023.pdf it returns `三、本年` for `三、本年度办理结果`), while its operator list
 * still has every glyph with its Unicode value. So for the fonts that pdf.js reports as
 * vertical, this module follows the text state through the operator list (text matrix,
 * moves, spacing) and places each glyph itself; all other text keeps using getTextContent().
 *
 * Vertical glyph geometry (PDF 32000 §9.7.4): the glyph hangs from its vertical origin, which
 * is at the top centre of the em box; the pen moves by the vertical displacement w1y (−1000
 * units, one em down, unless the font says otherwise).
 */
import { apply, compose, followTransform, isMatrix } from "./geometry.js";
import type { Matrix, OpsTable, PdfOperatorList } from "./pdfjs.js";
import type { TextPiece } from "./text.js";

interface Glyph {
  unicode: string;
  /** Horizontal advance, 1/1000 em. */
  width: number;
  /** [w1y, vx, vy] in 1/1000 em, when the font has vertical metrics. */
  vmetric?: number[];
  isSpace?: boolean;
}

function isGlyph(x: unknown): x is Glyph {
  return typeof x === "object" && x !== null && typeof (x as Glyph).unicode === "string" && typeof (x as Glyph).width === "number";
}

interface State {
  ctm: Matrix;
  /** Text matrix and text line matrix. */
  tm: Matrix;
  tlm: Matrix;
  font: string;
  size: number;
  leading: number;
  charSpacing: number;
  wordSpacing: number;
}

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];
const num = (args: unknown, i: number): number => {
  const v = Array.isArray(args) ? args[i] : undefined;
  return typeof v === "number" ? v : 0;
};

/** Pieces (one per glyph) for text drawn in the given vertical fonts (pdf.js font ids). */
export function verticalTextPieces(
  ops: PdfOperatorList,
  OPS: OpsTable,
  viewport: readonly number[],
  verticalFonts: ReadonlySet<string>,
): TextPiece[] {
  const out: TextPiece[] = [];
  const stack: State[] = [];
  let s: State = { ctm: IDENTITY, tm: IDENTITY, tlm: IDENTITY, font: "", size: 0, leading: 0, charSpacing: 0, wordSpacing: 0 };

  const moveLine = (tx: number, ty: number) => {
    s.tlm = compose(s.tlm, [1, 0, 0, 1, tx, ty]);
    s.tm = s.tlm;
  };

  const show = (glyphs: unknown) => {
    if (!Array.isArray(glyphs)) return;
    const vertical = verticalFonts.has(s.font);
    let y = 0; // pen position along the text space y axis, text-space units
    const toDisplay = compose(viewport, compose(s.ctm, s.tm));
    for (const g of glyphs) {
      if (typeof g === "number") {
        // TJ adjustment, thousandths of an em; positive moves the pen down in vertical mode.
        if (vertical) y -= (g / 1000) * s.size;
        continue;
      }
      if (!isGlyph(g) || !vertical) continue;
      const text = g.unicode.trim();
      const halfWidth = (g.width / 2000) * s.size;
      if (text !== "") {
        const corners = [
          apply(toDisplay, -halfWidth, y),
          apply(toDisplay, halfWidth, y),
          apply(toDisplay, -halfWidth, y - s.size),
          apply(toDisplay, halfWidth, y - s.size),
        ];
        const xs = corners.map((p) => p[0]);
        const ys = corners.map((p) => p[1]);
        const size = Math.hypot(toDisplay[2], toDisplay[3]) * Math.abs(s.size);
        out.push({ text, size, left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) });
      }
      const w1y = g.vmetric?.[0] ?? -g.width;
      y += (w1y / 1000) * s.size + s.charSpacing + (g.isSpace ? s.wordSpacing : 0);
    }
    if (vertical) s.tm = compose(s.tm, [1, 0, 0, 1, 0, y]);
  };

  const { fnArray, argsArray } = ops;
  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i];
    const args = argsArray[i];
    const next = followTransform(OPS, fn as number, args, s, stack);
    if (next) {
      s = next;
      continue;
    }
    switch (fn) {
      case OPS.beginText:
        s.tm = s.tlm = IDENTITY;
        break;
      case OPS.setFont:
        s.font = Array.isArray(args) && typeof args[0] === "string" ? args[0] : "";
        s.size = num(args, 1);
        break;
      case OPS.setTextMatrix: {
        const m = Array.isArray(args) ? args[0] : undefined;
        if (isMatrix(m)) s.tm = s.tlm = [...m] as Matrix;
        break;
      }
      case OPS.moveText:
        moveLine(num(args, 0), num(args, 1));
        break;
      case OPS.setLeadingMoveText:
        s.leading = -num(args, 1);
        moveLine(num(args, 0), num(args, 1));
        break;
      case OPS.setLeading:
        s.leading = num(args, 0);
        break;
      case OPS.nextLine:
        moveLine(0, -s.leading);
        break;
      case OPS.setCharSpacing:
        s.charSpacing = num(args, 0);
        break;
      case OPS.setWordSpacing:
        s.wordSpacing = num(args, 0);
        break;
      case OPS.showText:
      case OPS.showSpacedText:
        show(Array.isArray(args) ? args[0] : undefined);
        break;
      case OPS.nextLineShowText:
        moveLine(0, -s.leading);
        show(Array.isArray(args) ? args[0] : undefined);
        break;
      case OPS.nextLineSetSpacingShowText:
        s.wordSpacing = num(args, 0);
        s.charSpacing = num(args, 1);
        moveLine(0, -s.leading);
        show(Array.isArray(args) ? args[2] : undefined);
        break;
    }
  }
  return out;
}
