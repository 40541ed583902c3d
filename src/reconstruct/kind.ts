/**
 * Is this document a disclosure report, or a text about reports (a news article citing a
 * report's figures, documentation quoting titles and section names)? And which format does a
 * report whose tables cannot be found take? (README "Identity" and "Not a report".)
 */
import { LEGACY_HEADINGS, SECTION_HEADINGS, TABLE_IDS, type ReportFormat, type SectionId } from "../catalogue.js";
import type { Finding } from "../model.js";
import type { Identity } from "./identity.js";
import { legacyHeadingOf } from "./legacy.js";
import type { Heading } from "./sections.js";
import type { TokenStream } from "./tokens.js";

const SECTION_ORDER = Object.keys(SECTION_HEADINGS) as SectionId[];
const LEGACY_ORDER = Object.keys(LEGACY_HEADINGS);

/** The length of the longest run of headings, not necessarily adjacent, in the official order. */
function inOrder(ranks: readonly number[]): number {
  const best: number[] = [];
  ranks.forEach((r, i) => {
    best[i] = 1 + Math.max(0, ...ranks.slice(0, i).map((q, j) => (q < r ? (best[j] as number) : 0)));
  });
  return Math.max(0, ...best);
}

/** How many of the report's section headings stand on lines of their own in the official order. */
export function sectionsInOrder(stream: TokenStream, headings: readonly Heading[]): number {
  const modern = inOrder(headings.map((h) => SECTION_ORDER.indexOf(h.section)));
  const legacy = inOrder(
    stream.lines
      .map((l) => legacyHeadingOf(l))
      .filter((s) => s !== null && s !== "attachment")
      .map((s) => LEGACY_ORDER.indexOf(s as string)),
  );
  return Math.max(modern, legacy);
}

/**
 * A report keeps its own identity at the top (its title, or the body's name and year in its
 * first sentences), its sections in order, and its tables. A document with tables is read as a
 * report; one without must have its identity and at least two section headings in order.
 * Title text quoted inside a sentence (《…年度报告》) or section names listed in a sentence do not
 * count: that is how a text about a report reads.
 */
export function looksLikeReport(identity: Identity, stream: TokenStream, headings: readonly Heading[], hasTables: boolean): boolean {
  if (hasTables) return true;
  const ownIdentity = identity.title !== null || (identity.agencySource === "sentence" && identity.year !== null);
  return ownIdentity && sectionsInOrder(stream, headings) >= 2;
}

/**
 * The format a report takes when its tables cannot be found: the one its year requires (2019
 * for 2019–2020, 2021 from 2021 on). Null for years before 2019 and for no year: those are
 * legacy.
 */
export function formatOfYear(year: number | null): ReportFormat | null {
  if (year === null || year < 2019) return null;
  return year >= 2021 ? "2021" : "2019";
}

/** One T1 error per table of a report whose tables were not found. */
export function tablesNotFound(format: ReportFormat): Finding[] {
  return TABLE_IDS.map((id) => ({
    rule: "T1",
    severity: "error" as const,
    path: id,
    message: `table ${TABLE_NAMES[id]} not found; the ${format} format is the one the report's year requires`,
  }));
}

const TABLE_NAMES = { proactive: "二 (主动公开)", applications: "三 (收到和处理申请)", reviewLitigation: "四 (行政复议、行政诉讼)" } as const;
