/**
 * Dev tool: check the PDF extractor against a corpus folder's expected.json files.
 *
 * For every `X.pdf` with an `X.expected.json` beside it, finds tables 二, 三 and 四 among the
 * extracted TableBlocks and checks that the value cells of their data rows, row by row and
 * left to right, are exactly the expected numbers (blank placeholders `/ - —` and empty
 * cells = null). Prints one line per file and the differences.
 *
 *   npx tsc -p scripts/tsconfig.dev.json && node dist/dev-scripts/scripts/check-pdf-corpus.js DIR [DIR…]
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { extractPdf } from "../src/extract/pdf.js";
import type { TableBlock } from "../src/document.js";

type Json = null | number | string | boolean | Json[] | { [k: string]: Json };

const VALUE = /^(?:[-+−]?[\d０-９][\d０-９,，.．]*|[/／\-—–－]+)$/;
const isValueText = (t: string) => t.trim() === "" || VALUE.test(t.replace(/\s+/g, ""));

function parseValue(t: string): number | null {
  const s = t.replace(/\s+/g, "").replace(/[０-９．，－]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  if (s === "" || /^[/／\-—–]+$/.test(s)) return null;
  return Number(s.replace(/,/g, "").replace("−", "-"));
}

/** The trailing run of value cells of each row that has one (and starts after a label, or fills the row). */
function dataRows(t: TableBlock): (number | null)[][] {
  const out: (number | null)[][] = [];
  for (const row of t.rows) {
    if (row.length === 0) continue;
    let i = row.length;
    while (i > 0 && isValueText((row[i - 1] as { text: string }).text)) i--;
    const values = row.slice(i);
    if (values.length === 0) continue;
    if (values.every((c) => c.text.trim() === "") && i === 0) continue;
    out.push(values.map((c) => parseValue(c.text)));
  }
  return out;
}

/** Key words of table 三's row labels, in printed order (2021 format; 2019 and a single （六） row differ). */
const ROW_KEYS_2021 = [
  "本年新收", "上年结转", "予以公开", "部分公开", "国家秘密", "其他法律行政", "危及", "第三方", "内部事务",
  "过程性", "行政执法案卷", "行政查询", "不掌握", "没有现成", "补正后", "信访举报", "重复申请", "出版物",
  "大量反复", "确认或重新出具", "逾期不补正", "缴纳费用", "其他", "总计", "结转下年度",
];
const ROW_KEYS_ONE_OTHER = [...ROW_KEYS_2021.slice(0, 20), "其他处理", "总计", "结转下年度"];

/** The last label cell before the values of each data row of table 三. */
function rowLabels(t: TableBlock): string[] {
  const out: string[] = [];
  for (const row of t.rows) {
    let i = row.length;
    while (i > 0 && isValueText((row[i - 1] as { text: string }).text)) i--;
    if (row.length - i < 7 || i === 0) continue;
    out.push((row[i - 1] as { text: string }).text.replace(/\s+/g, ""));
  }
  return out;
}

function leaves(x: Json, skip: Set<string>): (number | null)[] {
  if (x === null || typeof x === "number") return [x];
  if (typeof x === "object" && !Array.isArray(x)) {
    return Object.entries(x).flatMap(([k, v]) => (skip.has(k) ? [] : leaves(v, skip)));
  }
  return [];
}

function tableWith(tables: TableBlock[], words: string[]): TableBlock | undefined {
  return tables.find((t) => words.every((w) => t.rows.some((r) => r.some((c) => c.text.replace(/\s+/g, "").includes(w)))));
}

function compare(name: string, got: (number | null)[][], expectedRows: (number | null)[][]): string[] {
  const problems: string[] = [];
  const g = got.map((r) => r.join(","));
  const e = expectedRows.map((r) => r.join(","));
  if (g.length !== e.length) problems.push(`${name}: ${g.length} data rows, expected ${e.length}`);
  for (let i = 0; i < Math.max(g.length, e.length); i++) {
    if (g[i] !== e[i]) problems.push(`${name} row ${i}: got [${g[i] ?? "-"}] expected [${e[i] ?? "-"}]`);
  }
  return problems;
}

async function checkFile(pdf: string, expectedFile: string): Promise<{ ok: boolean; lines: string[]; ms: number }> {
  const expected = JSON.parse(readFileSync(expectedFile, "utf8")) as {
    report: Record<string, Json>;
    uncertain?: { path: string }[];
  };
  const report = expected.report;
  const t0 = performance.now();
  const doc = await extractPdf(new Uint8Array(readFileSync(pdf)), { maxPages: 500, maxExpandedBytes: 1 << 28 });
  const ms = performance.now() - t0;
  const tables = doc.blocks.filter((b): b is TableBlock => b.kind === "table");
  const problems: string[] = [];
  const summary: string[] = [];

  // Table 三: every expected row is 7 numbers; rows in printed (= JSON key) order.
  const apps = report.applications as Json;
  const t3 = tableWith(tables, ["自然人", "商业企业"]);
  if (apps && typeof apps === "object") {
    // A report that prints （六）其他处理 as one 2019-style row (real/hongze_*): the printed row
    // is the 3.其他 sub-row of the expected file (its `uncertain` entry says so).
    const oneOtherRow = expected.uncertain?.some((u) => u.path === "applications.otherHandling");
    const appsPrinted =
      oneOtherRow && typeof apps === "object" && !Array.isArray(apps)
        ? { ...apps, otherHandling: (apps.otherHandling as Record<string, Json>).other as Json }
        : apps;
    const flat = leaves(appsPrinted, new Set());
    const rows: (number | null)[][] = [];
    for (let i = 0; i < flat.length; i += 7) rows.push(flat.slice(i, i + 7));
    if (!t3) problems.push("table 三 not found");
    else {
      const got = dataRows(t3)
        .filter((r) => r.length >= 7)
        .map((r) => r.slice(-7));
      problems.push(...compare("三", got, rows));
      const keys = rows.length === 25 ? ROW_KEYS_2021 : ROW_KEYS_ONE_OTHER;
      rowLabels(t3).forEach((label, i) => {
        if (!label.includes(keys[i] ?? "?")) problems.push(`三 row ${i} label ${label} lacks ${keys[i]}`);
      });
      summary.push(`三 p${t3.page}-${t3.pageEnd} ${t3.nRows}x${t3.nCols}`);
    }
  }
  // Table 四: one data row of 15 numbers.
  const rl = report.reviewLitigation as Json;
  const t4 = tableWith(tables, ["行政复议", "行政诉讼"]);
  if (rl && typeof rl === "object") {
    if (!t4) problems.push("table 四 not found");
    else {
      const got = dataRows(t4)
        .filter((r) => r.length >= 15)
        .map((r) => r.slice(-15));
      problems.push(...compare("四", got, [leaves(rl, new Set())]));
      summary.push(`四 p${t4.page}-${t4.pageEnd} ${t4.nRows}x${t4.nCols}`);
    }
  } else if (t4) problems.push("table 四 found but not expected");
  // Table 二: all value cells in order.
  const pro = report.proactive as Json;
  const t2 = tableWith(tables, ["信息内容", "规章"]);
  if (pro && typeof pro === "object") {
    if (!t2) problems.push("table 二 not found");
    else {
      const got = dataRows(t2).flat();
      const exp = leaves(pro, new Set(["amountUnit"]));
      problems.push(...compare("二", [got], [exp]));
      summary.push(`二 p${t2.page}-${t2.pageEnd} ${t2.nRows}x${t2.nCols}`);
    }
  }
  return { ok: problems.length === 0, lines: [summary.join("; "), ...problems], ms };
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2);
  let failed = 0;
  let total = 0;
  for (const dir of dirs) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".pdf")).sort()) {
      const base = path.join(dir, f.replace(/\.pdf$/, ""));
      if (!existsSync(`${base}.expected.json`)) continue;
      total++;
      const r = await checkFile(`${base}.pdf`, `${base}.expected.json`);
      if (!r.ok) failed++;
      console.log(`${r.ok ? "OK  " : "FAIL"} ${f} ${r.ms.toFixed(0)} ms  ${r.lines[0]}`);
      for (const l of r.lines.slice(1)) console.log(`     ${l}`);
    }
  }
  console.log(`${total - failed}/${total} files exact`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
