/**
 * Finding the parts of a report in the token stream: section headings, the region of each
 * table, the title, agency and year.
 *
 * Section numbering cannot be trusted: table 三's row labels 一、…四、 look like headings, some
 * reports renumber sections or move the tables to an appendix. So a heading is recognised by
 * its key phrases, on a short line of its own; and tables are found by their own anchors
 * (the 勾稽关系 header, 第二十条 captions, the 行政复议 header), with headings only bounding them.
 */
import { SECTION_HEADINGS, TABLE_ANCHORS, type SectionId, type TableId } from "../catalogue.js";
import { enumeratorOf, labelKey, nfkc } from "./normalize.js";
import type { Token, TokenStream } from "./tokens.js";

export interface Heading {
  section: SectionId;
  line: number;
}

const MAX_HEADING_KEY = 26;

/** The section a line heads, or null. Only a one-cell line outside any grid can be a heading. */
export function headingOf(text: string): SectionId | null {
  const key = labelKey(text);
  if (key.length === 0 || key.length > MAX_HEADING_KEY) return null;
  const en = enumeratorOf(text);
  if (en && (en.startsWith("(") || /^\d/.test(en))) return null; // （一） and 1. number subsections
  for (const [section, alternatives] of HEADING_KEYS) {
    if (alternatives.some((phrases) => phrases.every((p) => key.includes(p)))) return section;
  }
  return null;
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

function firstTokenOnLine(tokens: readonly Token[], line: number): number {
  return tokens.findIndex((t) => t.line >= line);
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

// ------------------------------------------------------------------------------- metadata

export interface Metadata {
  title: string | null;
  agency: string | null;
  year: number | null;
}

/** The end of a title: 政府信息公开工作年度报告 and its variants, after the year. */
const TITLE_TAIL = "(?:政府)?信息公开(?:工作)?年度报告";
/** Agency first: 淮安市人民政府2024年政府信息公开工作年度报告. */
const AGENCY_FIRST_RE = new RegExp(`^(.*?)((?:19|20)\\d{2})年度?${TITLE_TAIL}`);
/** Year first: 2024年桐岭市桐河区人民政府政府信息公开工作年度报告. */
const YEAR_FIRST_RE = new RegExp(`^((?:19|20)\\d{2})年度?(.+?)${TITLE_TAIL}`);
/** What can stand before the agency on the title line: markup, breadcrumbs, a sentence. */
const PREFIX_RE = /^.*(?:[，,。；;：:>»›】\]]|现予?公布|特?发布|首页|当前位置)/;
const MARKUP_RE = /^[#*>\-\s【[]+|[*】\]]+$/g;

function cleanAgency(raw: string): string | null {
  let a = raw.replace(PREFIX_RE, "").replace(MARKUP_RE, "").replace(/^[“"《〈]/, "");
  // "XX县人民政府信息公开…": the 政府 of the agency was taken for the 政府 of 政府信息公开.
  if (a.endsWith("人民")) a += "政府";
  return a.length >= 2 && a.length <= 40 ? a : null;
}

function matchTitle(joined: string): Metadata | null {
  const a = AGENCY_FIRST_RE.exec(joined);
  if (a) {
    const agency = cleanAgency(a[1] as string);
    if (agency) return { agency, year: Number(a[2]), title: `${agency}${a[0].slice((a[1] as string).length)}` };
  }
  const b = YEAR_FIRST_RE.exec(joined.replace(PREFIX_RE, "").replace(MARKUP_RE, ""));
  if (b) {
    const agency = cleanAgency(b[2] as string);
    if (agency) {
      const title = b[0].replace(b[2] as string, agency);
      return { agency, year: Number(b[1]), title };
    }
  }
  return null;
}

/**
 * Title, agency and year from the top of the document. The title may be wrapped over up to
 * three short lines, start with the year (2024年XX局政府信息公开工作年度报告), or open the
 * first sentence (XX办公室2021年政府信息公开工作年度报告(以下简称年报)是根据…).
 */
export function findMetadata(stream: TokenStream, stopLine: number): Metadata {
  const lines = stream.lines.filter((l) => !l.inGrid && l.line < stopLine).map((l) => nfkc(l.text).replace(/\s+/g, ""));
  let meta: Metadata = { title: null, agency: null, year: null };
  search: for (let i = 0; i < Math.min(lines.length, 40); i++) {
    for (let k = 1; k <= 3 && i + k <= lines.length; k++) {
      const part = lines.slice(i, i + k);
      // Only short lines join into a title; a sentence is read on its own (k = 1).
      if (k > 1 && part.some((l) => l.length > 45)) break;
      const joined = part.join("");
      if (!/信息公开(?:工作)?年度报告/.test(joined)) continue;
      const m = matchTitle(joined);
      if (m) {
        meta = m;
        break search;
      }
    }
  }
  // The year reported on is the 统计期限; the title's year is the fallback.
  const top = lines.slice(0, 60).join("");
  const period = /统计(?:期限|时限|时间|区间|周期)[^0-9]{0,12}((?:19|20)\d{2})年/.exec(top);
  if (period) meta.year = Number(period[1]);
  return meta;
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
