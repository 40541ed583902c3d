/**
 * HTML extraction: charset handling, reading order, span expansion, Word-export markup, nested
 * layout tables, and the limits that keep hostile pages bounded.
 */
import { readFileSync } from "node:fs";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { corpusFile } from "./support/corpus.js";
import type { Block, GridCell, DocumentContent, TableBlock } from "../src/document.js";
import { RefusalError } from "../src/document.js";
import { declaredCharset, extractHtml, htmlToBlocks } from "../src/extract/html.js";
import { dropSliverColumns, joinLines, normaliseLine } from "../src/extract/html-table.js";

const OPTS = { maxPages: 500, maxExpandedBytes: 200 * 1024 * 1024, deadline: Infinity };

function fixture(name: string): Buffer {
  return readFileSync(corpusFile(name));
}
function expected(name: string): { report: Record<string, unknown> } {
  return JSON.parse(readFileSync(corpusFile(`${name}.expected.json`), "utf8")) as { report: Record<string, unknown> };
}
function leaves(x: unknown): Array<number | null> {
  if (x === null || typeof x === "number") return [x];
  return Object.values(x as Record<string, unknown>).flatMap(leaves);
}
function tables(blocks: Block[]): TableBlock[] {
  return blocks.filter((b): b is TableBlock => b.kind === "table");
}
function texts(blocks: Block[]): string[] {
  return blocks.flatMap((b) => (b.kind === "text" ? [b.text] : []));
}
function rowWith(t: TableBlock, label: string): GridCell[] {
  const row = t.rows.find((r) => r.some((c) => c.text.includes(label)));
  if (!row) throw new Error(`no row with ${label}`);
  return row;
}
function num(text: string): number | null {
  return text === "" ? null : Number(text.normalize("NFKC"));
}
/** Every numeric row of table 三 (label cells, then 7 numbers), flattened. */
function table3Numbers(t: TableBlock): Array<number | null> {
  return t.rows
    .filter((r) => r.some((c) => c.col < 3) && r.filter((c) => c.col >= 3).length === 7)
    .flatMap((r) => r.filter((c) => c.col >= 3).map((c) => num(c.text)));
}
function blocksOf(html: string): Block[] {
  return htmlToBlocks(html).blocks;
}

describe("extractHtml on corpus pages", () => {
  it("s019 (clean markup, site navigation): text in reading order, three tables in place", async () => {
    const doc = await extractHtml(fixture("s019.html"), OPTS);
    const exp = expected("s019").report as { applications: unknown; reviewLitigation: unknown };
    expect(doc.mediaType).toBe("text/html");
    const kinds = doc.blocks.map((b) => b.kind);
    expect(kinds.filter((k) => k === "table")).toHaveLength(3);

    const t = tables(doc.blocks);
    expect(t.map((x) => [x.nRows, x.nCols])).toEqual([[14, 4], [28, 10], [4, 15]]);
    expect(table3Numbers(t[1]!)).toEqual(leaves(exp.applications));
    expect(t[2]!.rows[3]!.map((c) => num(c.text))).toEqual(leaves(exp.reviewLitigation));
    expect(t[1]!.rows.flat().find((c) => c.text === "(三)不予公开")).toMatchObject({ col: 1, rowSpan: 8 });

    // Navigation is kept as text; head (title, style) is not.
    const tx = texts(doc.blocks);
    expect(tx[0]).toBe("柳川区人民政府门户网站");
    expect(tx).toContain("首页 | 政务公开 | 政务服务 | 互动交流");
    expect(tx.some((s) => s.includes("font-family"))).toBe(false);
    expect(tx).toContain("云塘市柳川区人民政府2022年政府信息公开工作年度报告");
    // Each table sits right after the text that introduces it.
    const i3 = doc.blocks.indexOf(t[1]!);
    expect(doc.blocks[i3 - 1]).toEqual({ kind: "text", text: "2022年，区政府新收政府信息公开申请120件，具体办理情况如下。" });
    // Table text is not duplicated into text blocks.
    expect(tx.some((s) => s.includes("一、本年新收政府信息公开申请数量"))).toBe(false);
    expect(tx.some((s) => s.includes("申请人情况"))).toBe(false);
  });

  it("s037 (Word-export markup): <br> and <span>/<font>/<o:p> do not break cells, &nbsp; cells are empty", async () => {
    const doc = await extractHtml(fixture("s037.html"), OPTS);
    const exp = expected("s037").report as { applications: unknown; proactive: Record<string, unknown> };
    const [t2, t3] = tables(doc.blocks);
    expect(t2!.rows[1]!.map((c) => c.text)).toEqual(["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]);
    expect(rowWith(t2!, "规章").map((c) => c.text)).toEqual(["规章", "", "", ""]);
    expect(rowWith(t2!, "行政规范性文件").slice(1).map((c) => num(c.text))).toEqual(leaves(exp.proactive["normativeDocuments"]));
    expect(rowWith(t2!, "行政强制")).toMatchObject([{ text: "行政强制" }, { col: 1, colSpan: 3, text: "" }]);
    expect(table3Numbers(t3!)).toEqual(leaves(exp.applications));
    // The paragraph split over several spans and <font>s is one block.
    expect(texts(doc.blocks)).toContain("依据《政府信息公开信息处理费管理办法》，我厅2023年度未收取信息处理费。本年度无其他需要报告的事项。");
  });

  it("s002: full-width digits are left as they are", async () => {
    const doc = await extractHtml(fixture("s002.html"), OPTS);
    const [t2, t3] = tables(doc.blocks);
    expect(rowWith(t2!, "规章").map((c) => c.text)).toEqual(["规章", "９", "９", "１５２"]);
    expect(t3!.nRows).toBe(26); // 2019 format
    const exp = expected("s002").report as { applications: unknown };
    expect(table3Numbers(t3!)).toEqual(leaves(exp.applications));
  });

  it("decodes a GB2312-declared, GBK-encoded page to the same blocks as the UTF-8 original", async () => {
    const utf8 = fixture("s019.html").toString("utf8");
    const original = await extractHtml(fixture("s019.html"), OPTS);

    // http-equiv form, as the page has it.
    const httpEquiv = iconv.encode(utf8.replace("charset=utf-8", "charset=gb2312"), "gbk");
    expect(declaredCharset(httpEquiv)).toBe("gb2312");
    // <meta charset> form.
    const metaCharset = iconv.encode(
      utf8.replace(/<meta http-equiv[^>]*>/, '<meta charset="gb2312">'),
      "gbk",
    );
    expect(declaredCharset(metaCharset)).toBe("gb2312");
    expect(metaCharset.equals(Buffer.from(utf8))).toBe(false);

    for (const bytes of [httpEquiv, metaCharset]) {
      const doc: DocumentContent = await extractHtml(bytes, OPTS);
      expect(doc.blocks).toEqual(original.blocks);
    }
    // Without any declaration, GBK is still detected.
    const undeclared = iconv.encode(utf8.replace(/<meta http-equiv[^>]*>/, ""), "gbk");
    expect((await extractHtml(undeclared, OPTS)).blocks).toEqual(original.blocks);
  });
});

describe("HTML tables", () => {
  it("expands colspan and rowspan with a slot map", () => {
    const [t] = tables(
      blocksOf(`<table>
        <tr><td rowspan="3">A</td><td colspan="2">B</td><td rowspan="2">C</td></tr>
        <tr><td>D</td><td>E</td></tr>
        <tr><td colspan="3">F</td></tr>
      </table>`),
    );
    expect([t!.nRows, t!.nCols]).toEqual([3, 4]);
    expect(t!.rows.map((r) => r.map((c) => `${c.text}@${c.row},${c.col} ${c.rowSpan}x${c.colSpan}`))).toEqual([
      ["A@0,0 3x1", "B@0,1 1x2", "C@0,3 2x1"],
      ["D@1,1 1x1", "E@1,2 1x1"],
      ["F@2,1 1x3"],
    ]);
  });

  it("cuts rowspans at the last row, reads rowspan=0 as 'to the end', and ignores bad spans", () => {
    const [t] = tables(blocksOf(`<table><tr><td rowspan=9>A</td><td colspan=x>B</td></tr><tr><td>C</td></tr>
      <tr><td rowspan=0>D</td><td>E</td></tr><tr><td>F</td></tr></table>`));
    const a = t!.rows[0]![0]!;
    expect([a.rowSpan, t!.nRows]).toEqual([4, 4]);
    expect(t!.rows[0]![1]).toMatchObject({ col: 1, colSpan: 1 });
    expect(t!.rows[2]![0]).toMatchObject({ text: "D", col: 1, rowSpan: 2 });
    expect(t!.rows[3]![0]).toMatchObject({ text: "F", col: 2 });
  });

  it("keeps the innermost tables as data and reads layout tables as text", () => {
    const blocks = blocksOf(`<table><tr><td>导航</td><td>
        <table><tr><td>正文标题</td></tr></table>
        <table><tr><td>x</td><td>1</td></tr><tr><td>y</td><td>2</td></tr></table>
      </td></tr><tr><td colspan=2>页脚</td></tr></table>`);
    expect(blocks).toEqual([
      { kind: "text", text: "导航" },
      { kind: "text", text: "正文标题" }, // a one-cell table is a layout box
      {
        kind: "table", nRows: 2, nCols: 2,
        rows: [
          [{ row: 0, col: 0, rowSpan: 1, colSpan: 1, text: "x" }, { row: 0, col: 1, rowSpan: 1, colSpan: 1, text: "1" }],
          [{ row: 1, col: 0, rowSpan: 1, colSpan: 1, text: "y" }, { row: 1, col: 1, rowSpan: 1, colSpan: 1, text: "2" }],
        ],
      },
      { kind: "text", text: "页脚" },
    ]);
  });

  it("finds rows through <thead>/<tbody>/<form> wrappers and puts <tfoot> last", () => {
    const [t] = tables(blocksOf(`<table><caption>表一</caption><tfoot><tr><td>合计</td><td>3</td></tr></tfoot>
      <thead><tr><th>项目</th><th>数</th></tr></thead><form><tbody><tr><td>甲</td><td>3</td></tr></tbody></form></table>`));
    expect(t!.rows.map((r) => r.map((c) => c.text))).toEqual([["项目", "数"], ["甲", "3"], ["合计", "3"]]);
    expect(texts(blocksOf("<p>前</p><table><caption>表一</caption><tr><td>a</td><td>b</td></tr></table>"))).toEqual(["前", "表一"]);
  });

  it("joins the lines of a cell: nothing between CJK, one space between Latin words", () => {
    const [t] = tables(blocksOf(`<table><tr>
      <td>信息<br>内容</td><td><p>本年收费金额</p><p>(单位：万元)</p></td><td>Total<br/>count</td>
      <td><span>1</span><span>2</span><font>3</font><o:p></o:p></td><td>&nbsp;</td><td>\u3000</td>
      <td>
        第二十条
        第（一）项
      </td><td>a &nbsp; b</td></tr></table>`));
    expect(t!.rows[0]!.map((c) => c.text)).toEqual([
      "信息内容", "本年收费金额(单位：万元)", "Total count", "123", "", "", "第二十条第（一）项", "a b",
    ]);
    expect(joinLines(["1.", "属于国家秘密"])).toBe("1.属于国家秘密");
    expect(joinLines(["a,", "b"])).toBe("a, b");
    expect(normaliseLine("  自 然 人\u00a0 ")).toBe("自 然 人");
  });

  it("drops columns that no cell occupies alone", () => {
    const [t] = tables(blocksOf(`<table><tr><td colspan=2>A</td><td>B</td></tr><tr><td colspan=2>C</td><td>D</td></tr></table>`));
    expect(t!.nCols).toBe(3);
    const d = dropSliverColumns(t!);
    expect(d.nCols).toBe(2);
    expect(d.rows.map((r) => r.map((c) => [c.col, c.colSpan, c.text]))).toEqual([
      [[0, 1, "A"], [1, 1, "B"]],
      [[0, 1, "C"], [1, 1, "D"]],
    ]);
  });
});

describe("HTML text", () => {
  it("breaks lines at blocks and <br>, drops script/style/noscript/hidden content", () => {
    const blocks = blocksOf(`<html><head><title>标题</title><style>p{}</style></head><body>
      <div>一、总体情况<br>（一）主动公开</div><script>var a = "脚本";</script><noscript>无脚本</noscript>
      <p style="display:none">隐藏</p><p hidden>也隐藏</p>
      <p>第一段
      续行</p><p>hello
      world</p><![if !supportLists]><span>1.</span><![endif]><span>列表项</span>
      <pre>规章    0    0
行政许可  5</pre></body></html>`);
    expect(texts(blocks)).toEqual([
      "一、总体情况", "（一）主动公开", "第一段续行", "hello world", "1.列表项", "规章    0    0", "行政许可  5",
    ]);
  });
});

describe("HTML limits", () => {
  function refusal(html: string): RefusalError {
    try {
      htmlToBlocks(html);
    } catch (e) {
      expect(e).toBeInstanceOf(RefusalError);
      return e as RefusalError;
    }
    throw new Error("expected a refusal");
  }

  it("refuses a 10 MB page of nested tables quickly, as too-large", () => {
    const html = "<table><tr><td>".repeat(700_000);
    expect(html.length).toBeGreaterThan(10_000_000);
    const t0 = performance.now();
    const e = refusal(html);
    expect(e.code).toBe("too-large");
    expect(e.message).toMatch(/tables nested deeper/);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it("refuses pathological nesting and element counts instead of overflowing the stack", () => {
    expect(refusal("<div>".repeat(200_000)).message).toMatch(/nested deeper than/);
    expect(refusal("<p>x</p>".repeat(400_000)).message).toMatch(/elements/);
    // A few thousand unclosed inline elements (sloppy CMS markup) are fine.
    expect(texts(blocksOf("<font>字".repeat(2_500)))).toEqual(["字".repeat(2_500)]);
  });

  it("refuses spans that would cover millions of grid positions", () => {
    const rows = "<tr><td>a</td></tr>".repeat(5_000);
    const e = refusal(`<table><tr><td colspan=1000 rowspan=65534>x</td></tr>${rows}</table>`);
    expect(e.code).toBe("too-large");
    expect(e.message).toMatch(/grid positions/);
  });
});
