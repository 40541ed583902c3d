/**
 * Reports from before the 2019 format (`legacy`): no fixed tables, but often an attached
 * statistics table (指标名称 | 计量单位 | 本年度 | 历年累计) and the main figures in the prose.
 */
import type { LegacyFigure, LegacyStatistic } from "../model.js";
import { nfkc, parseValue } from "./normalize.js";
import type { Token, TokenStream } from "./tokens.js";

const UNIT_RE = /^(条|件|个|次|人次|项|万元|元|份|篇|期|场|家|%|件次)$/;

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
    if (texts.some((t) => t.includes("指标名称") || t === "计量单位")) {
      inTable = true;
      continue;
    }
    if (!inTable) continue;
    const label = texts.find((t, i) => i === 0 || cells[i]?.kind === "text");
    if (label === undefined || cells[0]?.kind !== "text") continue;
    const rest = cells.slice(1);
    const unitCell = rest[0] && rest[0].kind === "text" && UNIT_RE.test(nfkc(rest[0].text).trim()) ? rest.shift() : undefined;
    const values = rest.filter((c) => c.kind !== "text").map((c) => parseValue(c.text)?.value ?? null);
    if (values.length === 0) continue;
    out.push({ label: label.replace(/\s+/g, ""), unit: unitCell ? nfkc(unitCell.text).trim() : null, values });
  }
  return out;
}

const FIGURES: readonly { label: string; re: RegExp }[] = [
  { label: "主动公开政府信息", re: /主动公开(?:政府)?信息\s*(?:共\s*)?(\d[\d,]*)\s*(条|件)/ },
  { label: "受理政府信息公开申请", re: /(?:受理|收到)(?:[^。，,]{0,12})?申请\s*(?:共\s*)?(\d[\d,]*)\s*(件|条|个)/ },
  { label: "行政复议", re: /行政复议\s*(?:案件)?\s*(?:共\s*)?(\d[\d,]*)\s*(件|起|次)/ },
  { label: "行政诉讼", re: /行政诉讼\s*(?:案件)?\s*(?:共\s*)?(\d[\d,]*)\s*(件|起|次)/ },
];

/** The main figures stated in prose, each with the sentence it came from. */
export function proseFigures(text: string): LegacyFigure[] {
  const out: LegacyFigure[] = [];
  for (const sentence of nfkc(text).split(/(?<=[。；;！!])|\n/)) {
    for (const f of FIGURES) {
      const m = f.re.exec(sentence);
      if (m) out.push({ label: f.label, value: Number((m[1] as string).replace(/,/g, "")), unit: m[2] as string, evidence: sentence.trim() });
    }
  }
  return out;
}

export function readLegacy(stream: TokenStream): { statistics: LegacyStatistic[]; figures: LegacyFigure[] } {
  const prose = stream.lines.filter((l) => !l.inGrid).map((l) => l.text).join("\n");
  return { statistics: statistics(stream), figures: proseFigures(prose) };
}
