/**
 * Figures the report states in its prose: `全年共受理政府信息公开申请 3119 件`, `行政复议 351 件，
 * 其中结果维持 72 件…`. Rule R7 compares them with the tables; legacy reports keep them as their
 * main figures; and where table 四's numbers came out of order, a group the prose states in
 * full confirms which of them are that group's.
 */
import type { LegacyFigure } from "../model.js";
import { enumeratorOf, nfkc } from "./normalize.js";

/** The prose that states the report's figures: sections 一 (总体情况) and 六 (其他). */
export function figureProse(sections: { overview: string | null; other: string | null }): string {
  return [sections.overview, sections.other].filter((t): t is string => t !== null).join("\n");
}

const FIGURES: readonly { label: string; re: RegExp }[] = [
  { label: "主动公开政府信息", re: /主动公开(?:政府)?信息\s*(?:共\s*)?(\d[\d,]*)\s*(条|件)/ },
  { label: "受理政府信息公开申请", re: /(?:受理|收到)(?:[^。，,]{0,12})?申请\s*(?:共\s*)?(\d[\d,]*)\s*(件|条|个)/ },
  { label: "行政复议", re: /行政复议\s*(?:案件)?\s*(?:共\s*)?(\d[\d,]*)\s*(件|起|次)/ },
  { label: "行政诉讼", re: /行政诉讼\s*(?:案件)?\s*(?:共\s*)?(\d[\d,]*)\s*(件|起|次)/ },
];

/**
 * The prose as sentences. Flattened PDF text wraps lines anywhere, even inside `351\n件`, so a
 * line runs on into the next unless it ends a sentence, is a heading (`（一）申请情况`), or the
 * next line starts one.
 */
function sentences(text: string): string[] {
  const lines = nfkc(text)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const heading = (l: string) => enumeratorOf(l) !== null && !/[。;；!！]/.test(l);
  let joined = "";
  lines.forEach((l, i) => {
    const next = lines[i + 1];
    joined += l;
    if (next === undefined || /[。;；!！:：?？]$/.test(l) || heading(l) || enumeratorOf(next) !== null) joined += "\n";
  });
  return joined
    .split(/(?<=[。；;！!])|\n/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The main figures stated in prose, each with the sentence it came from. */
export function proseFigures(text: string): LegacyFigure[] {
  const out: LegacyFigure[] = [];
  for (const sentence of sentences(text)) {
    for (const f of FIGURES) {
      const m = f.re.exec(sentence);
      if (m) out.push({ label: f.label, value: Number((m[1] as string).replace(/,/g, "")), unit: m[2] as string, evidence: sentence });
    }
  }
  return out;
}

/** Table 四's five cells of one group, in column order: 维持, 纠正, 其他, 尚未审结, 总计. */
export interface OutcomeFigures {
  values: [number, number, number, number, number];
  evidence: string;
}

const N = String.raw`\s*(\d+)\s*(?:件|起)`;
const OUTCOME_RES = [
  new RegExp(String.raw`(?:结果)?维持` + N),
  new RegExp(String.raw`(?:结果)?纠正` + N),
  new RegExp(String.raw`其他(?:结果)?` + N),
  new RegExp(String.raw`(?:尚)?未审结` + N),
];

/**
 * 行政复议 stated in full: the total and all four outcomes, in the sentence (up to `；` or `。`)
 * that gives the total, and adding up. Null unless all of that holds.
 */
export function reviewOutcomes(text: string): OutcomeFigures | null {
  for (const sentence of sentences(text)) {
    const head = /行政复议\s*(?:案件)?\s*(?:共\s*)?(\d+)\s*(?:件|起)/.exec(sentence);
    if (!head) continue;
    const rest = sentence.slice(head.index + head[0].length);
    const parts = OUTCOME_RES.map((re) => re.exec(rest));
    if (parts.some((m) => m === null)) continue;
    const values = parts.map((m) => Number((m as RegExpExecArray)[1]));
    const total = Number(head[1]);
    if (values.reduce((a, b) => a + b, 0) !== total) continue;
    return { values: [...values, total] as OutcomeFigures["values"], evidence: sentence };
  }
  return null;
}
