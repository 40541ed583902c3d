/**
 * Positioned text: pdf.js text items → pieces with display-space boxes → lines → strings.
 *
 * pdf.js splits text arbitrarily (`维`+`持`, `1.`+`属于国家秘密`; Chromium output is one item
 * per glyph) and inserts filler items: `""` with `hasEOL`, and `" "` items whose width can be
 * the whole gap to the next word (WPS). Fillers are dropped; word and cell gaps are measured
 * from the boxes instead.
 */
import { apply, compose, type Rect } from "./geometry.js";
import { isTextItem } from "./pdfjs.js";

export interface TextPiece extends Rect {
  text: string;
  /** Font size in display points (the height of one em). */
  size: number;
}

export interface TextLine extends Rect {
  /** Pieces left to right. */
  pieces: TextPiece[];
}

/** Ascent/descent of a glyph box as a share of the em: CJK glyphs sit about 0.12 em below the baseline. */
const ASCENT = 0.88;
const DESCENT = 0.12;
/** A gap wider than this (in em) between two pieces on a line is a word break. */
const SPACE_GAP = 0.25;

/*
 * Chromium's Chinese fonts map some ideographs to look-alike radicals: Kangxi Radicals
 * (U+2F00–U+2FDF, e.g. ⾏ for 行, ⽂ for 文), which NFKC maps back, and CJK Radicals
 * Supplement characters (⺠ for 民, ⻘ for 青, ⻔ for 门), which have no decomposition; the
 * table gives their equivalent ideographs (Unicode's EquivalentUnifiedIdeograph.txt), for
 * the radicals that are also whole characters. Other text is left exactly as printed.
 */
const RADICAL_SUPPLEMENT: Record<string, string> = {
  "\u2e8c": "小", "\u2e97": "心", "\u2e9c": "日", "\u2e9d": "月", "\u2e9f": "母", "\u2ea0": "民",
  "\u2ea7": "牛", "\u2ea9": "王", "\u2eab": "目", "\u2eac": "示", "\u2ec1": "虎", "\u2ec4": "西",
  "\u2ec5": "见", "\u2ec6": "角", "\u2ec9": "贝", "\u2ecb": "车", "\u2ed1": "長", "\u2ed3": "长",
  "\u2ed4": "门", "\u2ed7": "雨", "\u2ed8": "青", "\u2ed9": "韦", "\u2eda": "页", "\u2edb": "风",
  "\u2edc": "飞", "\u2edd": "食", "\u2ee2": "马", "\u2ee3": "骨", "\u2ee4": "鬼", "\u2ee5": "鱼",
  "\u2ee6": "鸟", "\u2ee7": "卤", "\u2ee8": "麦", "\u2ee9": "黄", "\u2eea": "黾", "\u2eec": "齐",
  "\u2eee": "齿", "\u2ef0": "龙", "\u2ef3": "龟",
};
const RADICALS = /[\u2e80-\u2eff\u2f00-\u2fdf]/g;
function normalizeRadicals(s: string): string {
  return s.replace(RADICALS, (c) => RADICAL_SUPPLEMENT[c] ?? c.normalize("NFKC"));
}

/**
 * The text items of a page as pieces in display space. `viewport` is the page's user →
 * display transform. Whitespace-only items are dropped; surrounding spaces are trimmed from
 * the others (shrinking the box by their estimated advance). Duplicates drawn on top of each
 * other (fake bold: the same glyphs painted two or three times, slightly offset) are dropped.
 */
export function textPieces(items: readonly unknown[], viewport: readonly number[]): TextPiece[] {
  const pieces: TextPiece[] = [];
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const raw = item.str;
    const text = normalizeRadicals(raw.trim());
    if (text === "") continue;
    const [a = 1, b = 0] = item.transform;
    const emX = Math.hypot(a, b);
    if (emX === 0) continue;
    // Width in text-space units (ems), then the trimmed part's share of it.
    const advance = item.width / emX;
    const perChar = raw.length > 0 ? advance / raw.length : 0;
    const lead = raw.length - raw.trimStart().length;
    const trail = raw.length - raw.trimEnd().length;
    const x0 = lead * perChar;
    const x1 = Math.max(x0, advance - trail * perChar);
    // A text matrix that mirrors the y axis (Type3 fonts whose glyphs are drawn in a y-down
    // space, as cairo writes them) still puts the ink above the baseline: unmirror it, or every
    // glyph box would hang below its line, one table row too low.
    const [, , c = 0, d = 1, e = 0, f = 0] = item.transform;
    const upright = a * d - b * c < 0 ? [a, b, -c, -d, e, f] : item.transform;
    const m = compose(viewport, upright);
    const corners = [apply(m, x0, -DESCENT), apply(m, x1, -DESCENT), apply(m, x0, ASCENT), apply(m, x1, ASCENT)];
    const xs = corners.map((p) => p[0]);
    const ys = corners.map((p) => p[1]);
    const size = Math.hypot(m[2], m[3]);
    if (!(size > 0)) continue;
    pieces.push({ text, size, left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) });
  }
  return dropOverprints(pieces);
}

/**
 * Fake bold repaints the same glyphs offset by a few hundredths of an em; a tenth of an em is
 * still far less than the advance of any glyph, so repeated letters (`ll`, `..`) survive.
 */
function dropOverprints(pieces: TextPiece[]): TextPiece[] {
  const seen = new Map<string, TextPiece[]>();
  return pieces.filter((p) => {
    const same = seen.get(p.text);
    const tol = 0.1 * p.size;
    if (same?.some((q) => Math.abs(q.left - p.left) < tol && Math.abs(q.top - p.top) < tol)) return false;
    if (same) same.push(p);
    else seen.set(p.text, [p]);
    return true;
  });
}

/**
 * Group pieces into lines: a piece joins a line when it overlaps the line's band by at least
 * half its own height. Lines come out top to bottom, pieces left to right.
 */
export function groupLines(pieces: readonly TextPiece[]): TextLine[] {
  const sorted = [...pieces].sort((p, q) => p.top + p.bottom - (q.top + q.bottom));
  const lines: TextLine[] = [];
  for (const p of sorted) {
    let target: TextLine | undefined;
    // Only recent lines can overlap: the pieces come in order of their vertical centre.
    for (let i = lines.length - 1; i >= 0 && i >= lines.length - 3; i--) {
      const line = lines[i] as TextLine;
      const overlap = Math.min(line.bottom, p.bottom) - Math.max(line.top, p.top);
      if (overlap >= 0.5 * Math.min(p.bottom - p.top, line.bottom - line.top)) {
        target = line;
        break;
      }
    }
    if (target) {
      target.pieces.push(p);
      target.left = Math.min(target.left, p.left);
      target.right = Math.max(target.right, p.right);
      target.top = Math.min(target.top, p.top);
      target.bottom = Math.max(target.bottom, p.bottom);
    } else {
      lines.push({ pieces: [p], left: p.left, right: p.right, top: p.top, bottom: p.bottom });
    }
  }
  for (const line of lines) line.pieces.sort((p, q) => p.left - q.left);
  return lines.sort((l, m) => l.top - m.top);
}

/** CJK ideographs, CJK and full-width punctuation, and the quotes/dashes used in Chinese text. */
const CJK = /[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2018-\u201f\u2014\u2026\u00b7]/;

function isCjk(ch: string | undefined): boolean {
  return ch !== undefined && CJK.test(ch);
}

/** Joining two strings: nothing next to a CJK character, one space between Latin words/numbers. */
export function joinWords(left: string, right: string): string {
  if (left === "") return right;
  if (right === "") return left;
  return isCjk(left.at(-1)) || isCjk(right[0]) ? left + right : `${left} ${right}`;
}

/**
 * The text of one line. Pieces that touch are glued; a gap of more than a quarter em is a word
 * break (a space, except between CJK characters); with `tabGapEm`, a gap wider than that many
 * ems becomes a tab (cell separator of a table drawn without lines).
 */
export function lineText(line: TextLine, tabGapEm?: number): string {
  let out = "";
  let prev: TextPiece | undefined;
  for (const p of line.pieces) {
    if (!prev) {
      out = p.text;
    } else {
      const gap = p.left - prev.right;
      const em = (p.size + prev.size) / 2;
      if (tabGapEm !== undefined && gap > tabGapEm * em) out += `\t${p.text}`;
      else if (gap > SPACE_GAP * em) out = joinWords(out, p.text);
      else out += p.text;
    }
    prev = p;
  }
  return out;
}

/** Lines of one cell, top to bottom, joined without a separator at CJK boundaries. */
export function cellText(pieces: readonly TextPiece[]): string {
  return groupLines(pieces)
    .map((l) => lineText(l))
    .reduce(joinWords, "");
}

/**
 * Page-number headers and footers: `- 3 -`, `— 3 —`, `第 3 页`, `第3页 共7页`, `3/7`, or a bare
 * number. Only applied to lines in the top or bottom margin band outside tables.
 */
export function isPageNumberText(text: string): boolean {
  const t = text.replace(/\s+/g, "");
  return (
    /^[-—–－−~～]*\d{1,4}[-—–－−~～]*$/.test(t) ||
    /^第\d{1,4}页([,，/]?共\d{1,4}页)?$/.test(t) ||
    /^共\d{1,4}页[,，/]?第\d{1,4}页$/.test(t) ||
    /^\d{1,4}\/\d{1,4}$/.test(t) ||
    /^(page)?\d{1,4}(of\d{1,4})?$/i.test(t)
  );
}
