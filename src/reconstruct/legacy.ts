/**
 * Reports from before the 2019 format (`legacy`): no fixed tables, but their own seven
 * sections (概述, 主动公开政府信息情况, 依申请公开…, 收费及减免…, 复议诉讼…, 存在的主要问题及改进
 * 措施, 其他需要报告的事项), often an attached statistics table (指标名称 | 计量单位 | 本年度 |
 * 历年累计, or 统计指标 | 单位 | 统计数) and the main figures in the prose.
 */
import { LEGACY_ATTACHMENT_MARKERS, LEGACY_HEADINGS, type SectionId } from "../catalogue.js";
import type { LegacyFigure, LegacyStatistic } from "../model.js";
import { enumeratorOf, labelKey, nfkc, parseValue } from "./normalize.js";
import { proseFigures } from "./prose.js";
import type { TextLine, Token, TokenStream } from "./tokens.js";

const UNIT_RE = /^(条|件|个|次|人|人次|项|万元|元|份|篇|期|场|家|%|件次)$/;

/** A line of a table printed as text (`label | 件 | 12 | 87`), empty cells included. */
const isTableRow = (l: TextLine) => l.inGrid || /\||\t/.test(l.text);

/** Rows of any statistics table: a label, an optional unit, then the numbers. */
function statistics(stream: TokenStream): LegacyStatistic[] {
  const byLine = new Map<number, Token[]>();
  for (const t of stream.tokens) {
    const l = byLine.get(t.line);
    if (l) l.push(t);
    else byLine.set(t.line, [t]);
  }
  const out: LegacyStatistic[] = [];
  let inTable = false;
  for (const cells of byLine.values()) {
    const texts = cells.map((c) => nfkc(c.text).trim());
    if (texts.some((t) => t.includes("指标名称") || t.includes("统计指标") || t === "计量单位")) {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    const label = texts.find((t, i) => i === 0 || cells[i]?.kind === "text");
    if (label === undefined || cells[0]?.kind !== "text") continue;
    const rest = cells.slice(1);
    const unitCell = rest[0] && rest[0].kind === "text" && UNIT_RE.test(nfkc(rest[0].text).trim()) ? rest.shift() : undefined;
    const values = rest.filter((c) => c.kind !== "text").map((c) => parseValue(c.text)?.value ?? null);
    // A group label (一、主动公开情况 | | |) has neither unit nor values: not a statistic.
    if (values.length === 0 || (!unitCell && values.every((v) => v === null))) continue;
    out.push({ label: label.replace(/\s+/g, ""), unit: unitCell ? nfkc(unitCell.text).trim() : null, values });
  }
  return out;
}

export function readLegacy(stream: TokenStream): { statistics: LegacyStatistic[]; figures: LegacyFigure[] } {
  const prose = stream.lines.filter((l) => !isTableRow(l)).map((l) => l.text).join("\n");
  return { statistics: statistics(stream), figures: proseFigures(prose) };
}

type LegacySection = SectionId | "fees" | "attachment";

const LEGACY_KEYS = (Object.entries(LEGACY_HEADINGS) as [SectionId | "fees", readonly string[]][]).map(
  ([section, phrases]) => [section, phrases.map(labelKey)] as const,
);
const ATTACHMENT_KEYS = LEGACY_ATTACHMENT_MARKERS.map(labelKey);
const MAX_LEGACY_HEADING_KEY = 30;

/** The legacy section a line heads (or the attachments it opens), or null. */
export function legacyHeadingOf(line: TextLine): LegacySection | null {
  const key = labelKey(line.text);
  if (key.length === 0 || key.length > MAX_LEGACY_HEADING_KEY) return null;
  if (ATTACHMENT_KEYS.some((k) => key.startsWith(k) || (k === "统计表" && key.endsWith(k)))) return "attachment";
  if (isTableRow(line) || /[。；;]$/.test(nfkc(line.text).trim())) return null; // a table row or a sentence
  const en = enumeratorOf(line.text);
  if (en && (en.startsWith("(") || /^\d/.test(en))) return null; // （一） and 1. number subsections
  for (const [section, phrases] of LEGACY_KEYS) if (phrases.some((p) => key.includes(p))) return section;
  return null;
}

/**
 * Sections 一 (概述), 六 (problems) and 七 (other) of a legacy report: the text between its
 * heading and the next legacy heading, where the attachments (the statistics table) end the
 * last one. A heading repeated with nothing between (七、其他需要报告的事项 then 本年度无其他
 * 需要报告的事项) is body text the first time round, so only the first of a run counts.
 */
export function legacySections(stream: TokenStream): Record<"overview" | "problems" | "other", string | null> {
  const marks: { section: LegacySection; index: number }[] = [];
  stream.lines.forEach((l, index) => {
    const section = legacyHeadingOf(l);
    if (section && marks[marks.length - 1]?.section !== section) marks.push({ section, index });
  });
  const text = (section: SectionId): string | null => {
    const i = marks.findIndex((m) => m.section === section);
    if (i < 0) return null;
    const from = (marks[i] as { index: number }).index + 1;
    const to = marks[i + 1]?.index ?? stream.lines.length;
    const body = stream.lines
      .slice(from, to)
      .filter((l) => !isTableRow(l))
      .map((l) => l.text.trim())
      .join("\n")
      .trim();
    return body === "" ? null : body;
  };
  return { overview: text("overview"), problems: text("problems"), other: text("other") };
}
