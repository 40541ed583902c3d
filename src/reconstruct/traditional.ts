/**
 * Reports copied through a mirror site in Traditional characters (政府信息公開工作年度報告) are
 * read after conversion to Simplified with opencc-js (`t` → `cn`). Detection is a cheap count
 * of characters that only Traditional text uses, so a Simplified document pays one scan of its
 * text and never loads the converter.
 */
import { createRequire } from "node:module";
import type { DocumentContent } from "../document.js";
import type { Finding } from "../model.js";

/**
 * Characters frequent in these reports whose Simplified form differs (開→开, 報→报, …). A
 * Simplified text has none of them, except perhaps in a quoted name.
 */
const TRADITIONAL_ONLY = /[開報資訊處機關國條數與發區縣鄉鎮會議訟復請動總計類過這們為應對書電話號辦門規範據編製屬審決維護許罰強費採購項舉體實業農經濟環衛學醫療稅產權責聯組織無確認讓證當間務時見單義廣題東導說進]/g;
/** How many such characters make a document Traditional (and at least 1% of its CJK text). */
const MIN_TRADITIONAL = 20;

function textsOf(doc: DocumentContent): string[] {
  const out: string[] = [];
  for (const b of doc.blocks) {
    if (b.kind === "text") out.push(b.text);
    else for (const row of b.rows) for (const c of row) out.push(c.text);
  }
  return out;
}

/** Whether the document is written in Traditional characters. */
export function isTraditional(doc: DocumentContent): boolean {
  let traditional = 0;
  let cjk = 0;
  for (const t of textsOf(doc)) {
    traditional += t.match(TRADITIONAL_ONLY)?.length ?? 0;
    cjk += t.match(/[\u4e00-\u9fff]/g)?.length ?? 0;
  }
  return traditional >= MIN_TRADITIONAL && traditional >= cjk * 0.01;
}

type Convert = (s: string) => string;
let converter: Convert | null = null;

/** opencc-js's Traditional → Simplified (mainland) converter, loaded on first use only. */
function toSimplifiedText(): Convert {
  if (!converter) {
    const require = createRequire(import.meta.url);
    const OpenCC = require("opencc-js/t2cn") as { Converter: (o: { from: string; to: string }) => Convert };
    converter = OpenCC.Converter({ from: "t", to: "cn" });
  }
  return converter;
}

/**
 * The document in Simplified characters, and the I2 warning saying it was converted; a
 * Simplified document comes back as it is, with no finding.
 */
export function simplified(doc: DocumentContent): { document: DocumentContent; findings: Finding[] } {
  if (!isTraditional(doc)) return { document: doc, findings: [] };
  const convert = toSimplifiedText();
  const blocks = doc.blocks.map((b) =>
    b.kind === "text" ? { ...b, text: convert(b.text) } : { ...b, rows: b.rows.map((row) => row.map((c) => ({ ...c, text: convert(c.text) }))) },
  );
  return {
    document: { ...doc, blocks },
    findings: [
      {
        rule: "I2",
        severity: "warning",
        path: null,
        message: "the text is in Traditional characters; it was read after conversion to Simplified (OpenCC, t → cn), and agency, title and sections are given in Simplified characters",
      },
    ],
  };
}
