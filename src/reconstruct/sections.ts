/**
 * Finding the parts of a report in the token stream: section headings, the region of each
 * table. (The title, agency and year: identity.ts.)
 *
 * Section numbering cannot be trusted: table 三's row labels 一、…四、 look like headings, some
 * reports renumber sections or move the tables to an appendix. So a heading is recognised by
 * its key phrases, on a short line of its own; and tables are found by their own anchors
 * (the 勾稽关系 header, 第二十条 captions, the 行政复议 header), with headings only bounding them.
 */
import { SECTION_HEADINGS, TABLE_ANCHORS, type SectionId, type TableId } from "../catalogue.js";
import { enumeratorOf, labelKey } from "./normalize.js";
import type { Token, TokenStream } from "./tokens.js";

export interface Heading {
  section: SectionId;
  line: number;
}

const MAX_HEADING_KEY = 26;

/** The section a line heads, or null. Only a one-cell line outside any grid can be a heading. */
export function headingOf(text: string): SectionId | null {
  if (keepsMoreThan(text, MAX_HEADING_KEY)) return null;
  const key = labelKey(text);
  if (key.length === 0 || key.length > MAX_HEADING_KEY) return null;
  const en = enumeratorOf(text);
  if (en && (en.startsWith("(") || /^\d/.test(en))) return null; // （一） and 1. number subsections
  for (const [section, alternatives] of HEADING_KEYS) {
    if (alternatives.some((phrases) => phrases.every((p) => key.includes(p)))) return section;
  }
  return null;
}

/**
 * Whether labelKey(text) is longer than `n` for sure, without making it: a CJK ideograph
 * (U+4E00–U+9FFF), an ASCII letter or a digit stays one character of the key (NFKC leaves it,
 * and the key drops only spaces, quotes, punctuation and brackets). Most lines of a report are
 * prose, far longer than any heading, and the key of each would be made for nothing.
 */
function keepsMoreThan(text: string, n: number): boolean {
  if (text.length <= n) return false;
  let kept = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
      if (++kept > n) return true;
    }
  }
  return false;
}

const HEADING_KEYS = (Object.entries(SECTION_HEADINGS) as [SectionId, readonly (readonly string[])[]][]).map(
  ([section, alternatives]) => [section, alternatives.map((phrases) => phrases.map(labelKey))] as const,
);

export function findHeadings(stream: TokenStream): Heading[] {
  const cellsPerLine = new Map<number, number>();
  for (const t of stream.tokens) cellsPerLine.set(t.line, (cellsPerLine.get(t.line) ?? 0) + 1);
  const out: Heading[] = [];
  for (const l of stream.lines) {
    if (l.inGrid || (cellsPerLine.get(l.line) ?? 0) > 1) continue;
    const s = headingOf(l.text);
    if (s) out.push({ section: s, line: l.line });
  }
  return out;
}

export interface Region {
  /** token index range [start, end) */
  start: number;
  end: number;
}

const keyOf = (t: Token) => labelKey(t.text);
const APPLICATIONS_KEYS = TABLE_ANCHORS.applications.map(labelKey);

function firstToken(tokens: readonly Token[], from: number, to: number, pred: (key: string) => boolean): number {
  for (let i = from; i < to; i++) if ((tokens[i] as Token).kind === "text" && pred(keyOf(tokens[i] as Token))) return i;
  return -1;
}

/** The first token on `line` or after it, or -1 (tokens come in line order: a binary search). */
function firstTokenOnLine(tokens: readonly Token[], line: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((tokens[mid] as Token).line < line) lo = mid + 1;
    else hi = mid;
  }
  return lo < tokens.length ? lo : -1;
}

/**
 * The token region of each table, or null where its anchor is not found. `rowAnchor(id, key)`
 * says whether a cell is a row label of that table (used when a header is missing).
 */
export function findRegions(
  stream: TokenStream,
  headings: readonly Heading[],
  rowAnchor: (table: TableId, key: string) => boolean,
): Record<TableId, Region | null> {
  const { tokens } = stream;
  const n = tokens.length;
  const headingAt = (section: SectionId, after: number) => {
    const h = headings.find((x) => x.section === section && firstTokenOnLine(tokens, x.line) >= after);
    return h ? firstTokenOnLine(tokens, h.line) : -1;
  };
  const t3 = (() => {
    const byHeader = firstToken(tokens, 0, n, (k) => k.includes("勾稽关系") || APPLICATIONS_KEYS.includes(k));
    if (byHeader >= 0) return byHeader;
    return firstToken(tokens, 0, n, (k) => k.length <= 40 && rowAnchor("applications", k));
  })();
  const t2 = firstToken(tokens, 0, t3 >= 0 ? t3 : n, (k) => k.startsWith("第二十条") || k === "信息内容" || rowAnchor("proactive", k));
  const t4 = (() => {
    const from = t3 >= 0 ? t3 : t2 >= 0 ? t2 : 0;
    const header = firstToken(tokens, from, n, (k) => k.startsWith("行政复议") && k.length <= 10);
    const heading = headingAt("reviewLitigation", from);
    const c = [header, heading].filter((x) => x >= 0);
    return c.length ? Math.min(...c) : -1;
  })();
  const endAfter = (start: number, ...candidates: number[]) => {
    const c = candidates.filter((x) => x > start);
    return c.length ? Math.min(...c) : n;
  };
  const problems = (from: number) => {
    const c = [headingAt("problems", from), headingAt("other", from)].filter((x) => x >= 0);
    return c.length ? Math.min(...c) : -1;
  };
  const regions: Record<TableId, Region | null> = { proactive: null, applications: null, reviewLitigation: null };
  if (t2 >= 0) regions.proactive = { start: t2, end: endAfter(t2, t3, headingAt("applications", t2 + 1), t4, problems(t2 + 1)) };
  if (t3 >= 0) regions.applications = { start: t3, end: endAfter(t3, t4, problems(t3 + 1)) };
  if (t4 >= 0) regions.reviewLitigation = { start: t4, end: endAfter(t4, problems(t4 + 1)) };
  return regions;
}

/** Text of the lines between a heading and the next heading, outside grids. */
export function sectionText(stream: TokenStream, headings: readonly Heading[], section: SectionId): string | null {
  const i = headings.findIndex((h) => h.section === section);
  if (i < 0) return null;
  const from = (headings[i] as Heading).line;
  const next = headings.slice(i + 1).find((h) => h.line > from);
  const to = next ? next.line : Infinity;
  const text = stream.lines
    .filter((l) => !l.inGrid && l.line > from && l.line < to)
    .map((l) => l.text.trim())
    .join("\n")
    .trim();
  return text === "" ? null : text;
}
