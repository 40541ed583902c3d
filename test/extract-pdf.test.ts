/**
 * The PDF extractor on real files (test/fixtures/pdf/, see README.md there) and on tiny PDFs
 * built by hand below.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { buildPdf, pdfText as text } from "./support/pdf.js";
import { readFileSync } from "node:fs";
import { extractPdf } from "../src/extract/pdf.js";
import { processBytes } from "../src/process.js";
import { expectedOf, score } from "./support/corpus.js";
import { RefusalError, type GridCell, type DocumentContent, type TableBlock, type TextBlock } from "../src/document.js";

const OPTS = { maxPages: 500, maxExpandedBytes: 200 * 1024 * 1024, deadline: Infinity };

function fixture(name: string): Uint8Array {
  // Corpus files are read from the test corpus copy; the two made for this test live here.
  const corpus = name.startsWith("hongze") ? "corpus/real" : "corpus/synthetic";
  const dir = name === "encrypted.pdf" || name.includes("rotate") ? "pdf" : corpus;
  return new Uint8Array(readFileSync(new URL(`./fixtures/${dir}/${name}`, import.meta.url)));
}

const squash = (s: string) => s.replace(/\s+/g, "");

function tables(doc: DocumentContent): TableBlock[] {
  return doc.blocks.filter((b): b is TableBlock => b.kind === "table");
}

function texts(doc: DocumentContent): TextBlock[] {
  return doc.blocks.filter((b): b is TextBlock => b.kind === "text");
}

/** The table having cells with all these texts (whitespace ignored). */
function tableWith(doc: DocumentContent, ...words: string[]): TableBlock {
  const t = tables(doc).find((t) => words.every((w) => t.rows.some((r) => r.some((c) => squash(c.text).includes(w)))));
  if (!t) throw new Error(`no table with ${words.join(", ")}`);
  return t;
}

/** The origin cells of the grid row in which a cell's text contains `label`. */
function rowOf(t: TableBlock, label: string): GridCell[] {
  const row = t.rows.find((r) => r.some((c) => squash(c.text).includes(label)));
  if (!row) throw new Error(`no row with ${label}`);
  return row;
}

/** The texts of the last `n` cells of a row (the value columns). */
const lastValues = (row: GridCell[], n: number) => row.slice(-n).map((c) => c.text);

function cellWith(t: TableBlock, text: string): GridCell | undefined {
  return t.rows.flat().find((c) => squash(c.text) === text);
}

/** A table's cells without positions, for comparing grids. */
const shape = (t: TableBlock) => t.rows.map((r) => r.map((c) => [c.row, c.col, c.rowSpan, c.colSpan, c.text]));

async function refusal(bytes: Uint8Array, opts = OPTS): Promise<RefusalError> {
  try {
    await extractPdf(bytes, opts);
  } catch (e) {
    if (e instanceof RefusalError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

/* ------------------------------------------------------------------------------------------ */
/* Hand-made PDFs                                                                               */
/* ------------------------------------------------------------------------------------------ */


/* ------------------------------------------------------------------------------------------ */

describe("extractPdf on a LibreOffice report with repeated header rows (s021)", () => {
  let doc: DocumentContent;
  beforeAll(async () => {
    doc = await extractPdf(fixture("s021.pdf"), OPTS);
  });

  it("reports the page count and the media type", () => {
    expect(doc.pages).toBe(5);
    expect(doc.mediaType).toBe("application/pdf");
  });

  it("stitches table 三 across pages 3–4 and drops the repeated header", () => {
    const t3 = tableWith(doc, "本年新收", "自然人");
    expect([t3.page, t3.pageEnd, t3.nRows, t3.nCols]).toEqual([3, 4, 28, 10]);
    // The header occurs once: the copy Word repeats on page 4 is gone.
    expect(t3.rows.flat().filter((c) => squash(c.text) === "自然人")).toHaveLength(1);
    expect(lastValues(rowOf(t3, "本年新收"), 7)).toEqual(["2", "0", "0", "0", "0", "0", "2"]);
    expect(lastValues(rowOf(t3, "（一）予以公开"), 7)).toEqual(["1", "0", "0", "0", "0", "0", "1"]);
    expect(lastValues(rowOf(t3, "1.本机关不掌握相关政府信息"), 7)).toEqual(["1", "0", "0", "0", "0", "0", "1"]);
    expect(lastValues(rowOf(t3, "（七）总计"), 7)).toEqual(["2", "0", "0", "0", "0", "0", "2"]);
    // The rowspans cut by the page break are whole again.
    expect(cellWith(t3, "三、本年度办理结果")).toMatchObject({ col: 0, rowSpan: 22, colSpan: 1 });
    expect(cellWith(t3, "（五）不予处理")).toMatchObject({ col: 1, rowSpan: 5 });
  });

  it("keeps the merged header cells of table 三", () => {
    const t3 = tableWith(doc, "本年新收", "自然人");
    expect(t3.rows[0]?.map((c) => [c.col, c.rowSpan, c.colSpan])).toEqual([
      [0, 3, 3],
      [3, 1, 7],
    ]);
    expect(t3.rows[1]?.map((c) => c.text)).toEqual(["自然人", "法人或其他组织", "总计"]);
    expect(t3.rows[2]?.map((c) => c.text)).toEqual(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]);
  });

  it("stitches table 二 across pages 2–3", () => {
    const t2 = tableWith(doc, "第二十条第（一）项");
    expect([t2.page, t2.pageEnd, t2.nRows, t2.nCols]).toEqual([2, 3, 14, 4]);
    expect(lastValues(rowOf(t2, "行政规范性文件"), 3)).toEqual(["5", "2", "23"]);
    expect(rowOf(t2, "行政许可").map((c) => [c.text, c.colSpan])).toEqual([
      ["行政许可", 1],
      ["646", 3],
    ]);
    expect(lastValues(rowOf(t2, "行政事业性收费"), 1)).toEqual(["28.8506"]);
  });

  it("gives table 四 one header and its 15 values", () => {
    const t4 = tableWith(doc, "行政复议", "行政诉讼");
    expect([t4.nRows, t4.nCols]).toEqual([4, 15]);
    expect(t4.rows[3]?.map((c) => c.text)).toEqual(Array(15).fill("0"));
  });

  it("drops page-number footers and keeps reading order", () => {
    expect(texts(doc).filter((b) => /^[-—\s]*\d+[-—\s]*$/.test(b.text))).toEqual([]);
    expect(doc.blocks.some((b) => b.kind === "text" && b.text.includes("- 3 -"))).toBe(false);
    const order = doc.blocks.map((b) => (b.kind === "table" ? `T${b.nRows}x${b.nCols}` : b.text));
    const heading3 = order.findIndex((s) => s.startsWith("三、收到和处理政府信息公开申请情况"));
    const heading4 = order.findIndex((s) => s.startsWith("四、政府信息公开行政复议"));
    const table3 = order.indexOf("T28x10");
    expect(heading3).toBeGreaterThan(-1);
    expect(heading3).toBeLessThan(table3);
    expect(table3).toBeLessThan(heading4);
  });

  it("sets page and bbox on blocks and cells", () => {
    const t3 = tableWith(doc, "本年新收", "自然人");
    expect(t3.bbox).toBeDefined();
    const b = t3.bbox as NonNullable<TableBlock["bbox"]>;
    expect(b.x0).toBeLessThan(b.x1);
    expect(b.y0).toBeLessThan(b.y1);
    // A cell on the continuation page carries that page.
    expect(rowOf(t3, "（七）总计")[0]?.page).toBe(4);
    for (const block of texts(doc)) expect(block.page).toBeGreaterThanOrEqual(1);
  });
});

describe("extractPdf on a Chromium report on landscape pages (s009)", () => {
  let doc: DocumentContent;
  beforeAll(async () => {
    doc = await extractPdf(fixture("s009.pdf"), OPTS);
  });

  it("reads landscape pages with rows and columns the right way round", () => {
    expect(doc.pages).toBe(5);
    const t3 = tableWith(doc, "本年新收", "自然人");
    expect([t3.page, t3.pageEnd, t3.nRows, t3.nCols]).toEqual([3, 4, 28, 10]);
    expect((t3.bbox?.x1 ?? 0) > 600).toBe(true); // wider than a portrait A4 page
    expect(lastValues(rowOf(t3, "本年新收"), 7)).toEqual(Array(7).fill("0"));
    expect(cellWith(t3, "（三）不予公开")).toMatchObject({ rowSpan: 8 });
  });

  it("joins table 二 split before 行政规范性文件 and reads its values", () => {
    const t2 = tableWith(doc, "第二十条第（一）项");
    expect([t2.page, t2.pageEnd, t2.nRows]).toEqual([2, 3, 14]);
    expect(lastValues(rowOf(t2, "行政规范性文件"), 3)).toEqual(["6", "0", "30"]);
    expect(lastValues(rowOf(t2, "行政许可"), 1)).toEqual(["69"]);
    expect(lastValues(rowOf(t2, "行政事业性收费"), 1)).toEqual(["328"]);
  });

  it("reads table 四 drawn as thin filled rectangles", () => {
    const t4 = tableWith(doc, "行政复议", "行政诉讼");
    expect(t4.rows[3]?.map((c) => c.text)).toEqual(["1", "0", "0", "0", "1", "0", "0", "0", "0", "0", "1", "0", "0", "0", "1"]);
  });

  it("turns Chromium's radical look-alikes back into ideographs and drops — N — footers", () => {
    const all = doc.blocks.map((b) => (b.kind === "text" ? b.text : b.rows.flat().map((c) => c.text).join(""))).join("\n");
    expect(all).not.toMatch(/[\u2e80-\u2fdf]/);
    expect(all).toContain("行政");
    expect(texts(doc).some((b) => /^—\s*\d+\s*—$/.test(b.text))).toBe(false);
  });
});

describe("extractPdf on tables broken inside rows and cells", () => {
  it("merges a row split across pages into one row (s005)", async () => {
    const doc = await extractPdf(fixture("s005.pdf"), OPTS);
    const t3 = tableWith(doc, "本年新收", "自然人");
    expect([t3.page, t3.pageEnd, t3.nRows]).toEqual([4, 5, 28]);
    const row = rowOf(t3, "2.申请人逾期未按收费通知要求缴纳费用");
    expect(squash(row[0]?.text ?? "")).toBe("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请");
    expect(lastValues(row, 7)).toEqual(Array(7).fill("0"));
    expect(cellWith(t3, "（六）其他处理")).toMatchObject({ rowSpan: 3 });
    // Table 二 broken before 规章.
    const t2 = tableWith(doc, "第二十条第（一）项");
    expect([t2.page, t2.pageEnd, t2.nRows]).toEqual([2, 3, 14]);
    expect(lastValues(rowOf(t2, "行政规范性文件"), 3)).toEqual(["1", "0", "5"]);
  });

  it("joins a rowspan label wrapped over the page break (s004, 2019 format)", async () => {
    const doc = await extractPdf(fixture("s004.pdf"), OPTS);
    const t3 = tableWith(doc, "本年新收", "自然人");
    expect([t3.page, t3.pageEnd, t3.nRows]).toEqual([3, 4, 26]);
    // `（四）无` on page 3, `法提供` on page 4.
    expect(cellWith(t3, "（四）无法提供")).toMatchObject({ col: 1, rowSpan: 3 });
    expect(lastValues(rowOf(t3, "本年新收"), 7)).toEqual(["78", "6", "0", "0", "0", "2", "86"]);
    expect(lastValues(rowOf(t3, "2、没有现成信息需要另行制作"), 7)).toEqual(["1", "0", "0", "0", "0", "0", "1"]);
    const t2 = tableWith(doc, "第二十条第（一）项");
    expect(lastValues(rowOf(t2, "行政许可"), 3)).toEqual(["354", "-24", "154"]);
  });

  it("joins table 四's header split inside its merged cells (s011)", async () => {
    const doc = await extractPdf(fixture("s011.pdf"), OPTS);
    const t4 = tableWith(doc, "行政复议", "行政诉讼");
    expect([t4.page, t4.pageEnd, t4.nRows, t4.nCols]).toEqual([4, 5, 4, 15]);
    expect(t4.rows[1]?.slice(0, 5).map((c) => [squash(c.text), c.rowSpan])).toEqual([
      ["结果维持", 2],
      ["结果纠正", 2],
      ["其他结果", 2],
      ["尚未审结", 2],
      ["总计", 2],
    ]);
    const t3 = tableWith(doc, "本年新收", "自然人");
    expect(lastValues(rowOf(t3, "本年新收"), 7)).toEqual(["7", "0", "0", "0", "0", "1", "8"]);
  });
});

describe("extractPdf on a real WPS report (hongze_2023)", () => {
  let doc: DocumentContent;
  beforeAll(async () => {
    doc = await extractPdf(fixture("hongze_2023.pdf"), OPTS);
  });

  it("reads table 三 with the vertically typeset label", () => {
    expect(doc.pages).toBe(5);
    const t3 = tableWith(doc, "本年新收", "自然人");
    expect([t3.page, t3.pageEnd, t3.nCols]).toEqual([3, 4, 10]);
    // Set in a vertical font; pdf.js's own text content loses half of it.
    expect(cellWith(t3, "三、本年度办理结果")).toMatchObject({ col: 0, rowSpan: 20 });
    expect(lastValues(rowOf(t3, "本年新收"), 7)).toEqual(["21", "0", "0", "0", "0", "0", "21"]);
    expect(lastValues(rowOf(t3, "1.本机关不掌握相关政府信息"), 7)).toEqual(["10", "0", "0", "0", "0", "0", "10"]);
    expect(lastValues(rowOf(t3, "（七）总计"), 7)).toEqual(["21", "0", "0", "0", "0", "0", "21"]);
  });

  it("reads table 四 as printed (including its inconsistent totals)", () => {
    const t4 = tableWith(doc, "行政复议", "行政诉讼");
    expect(t4.rows[3]?.map((c) => c.text)).toEqual(["10", "1", "0", "0", "0", "0", "0", "0", "0", "0", "5", "0", "0", "0", "0"]);
  });

  it("reads table 二 across pages 2–3", () => {
    const t2 = tableWith(doc, "第二十条第（一）项");
    expect([t2.page, t2.pageEnd]).toEqual([2, 3]);
    expect(lastValues(rowOf(t2, "行政事业性收费"), 1)).toEqual(["7730.28"]);
  });

  it("drops the - N - footers", () => {
    expect(texts(doc).some((b) => /^-\s*\d+\s*-$/.test(b.text.trim()))).toBe(false);
  });
});

describe("extractPdf on a page whose /Rotate its content does not share", () => {
  it("reads the tables of s021 pages 3–4 turned by /Rotate 90 exactly as unturned", async () => {
    const turned = await extractPdf(fixture("s021-p3-4-rotate90.pdf"), OPTS);
    const original = await extractPdf(fixture("s021.pdf"), OPTS);
    expect(turned.pages).toBe(2);
    const t3 = tableWith(turned, "本年新收", "自然人");
    expect([t3.page, t3.pageEnd]).toEqual([1, 2]);
    expect(shape(t3)).toEqual(shape(tableWith(original, "本年新收", "自然人")));
    expect(shape(tableWith(turned, "行政复议"))).toEqual(shape(tableWith(original, "行政复议")));
  });
});

describe("the same reports re-rendered by another producer (cairo: pdftocairo -pdf)", () => {
  // cairo writes text in Type3 fonts whose matrix mirrors the y axis, draws every border as
  // a filled rectangle per cell side, and leaves the label cell of a row empty where its label
  // slid into the row below. Each must read exactly as its original.
  for (const name of ["s009", "s021", "hongze_2024", "huaian_2024"]) {
    it(`${name}: every cell as in the original`, async () => {
      const bytes = readFileSync(new URL(`./fixtures/pdf/cairo/${name}.pdf`, import.meta.url));
      const env = await processBytes(bytes, { fileName: `${name}.pdf` });
      const expected = expectedOf(name);
      const s = score(expected, env);
      expect(s.diffs).toEqual([]);
      expect(s.cells).toBeGreaterThan(180);
      expect(env.validation.status).toBe(expected.expectedStatus);
    });
  }
});

describe("web pages of the corpus printed to PDF by Chromium", () => {
  // Chromium draws no border for the part of a rowspan cell that runs onto the next page: the
  // grid there starts one column to the right, and a row label is cut by the break.
  for (const name of ["s033", "s034"]) {
    it(`${name}: the table continues over the pages, every cell as in the page`, async () => {
      const bytes = readFileSync(new URL(`./fixtures/pdf/chromium-print/${name}.pdf`, import.meta.url));
      const doc = await extractPdf(new Uint8Array(bytes), OPTS);
      const t3 = tableWith(doc, "本年新收", "自然人");
      expect(t3.pageEnd ?? 0).toBeGreaterThan(t3.page ?? 0);
      const env = await processBytes(bytes, { fileName: `${name}.pdf` });
      expect(score(expectedOf(name), env).diffs).toEqual([]);
    });
  }
});

describe("extractPdf on hand-made PDFs", () => {
  it("builds a grid from one stroked path of many rectangles, with a colspan", async () => {
    // A 2×3 grid: the first row's first two cells merged (one wide rectangle), all rectangles
    // in a single path, as Word/WPS draw borders.
    const rects = ["100 700 200 30 re", "300 700 100 30 re", "100 670 100 30 re", "200 670 100 30 re", "300 670 100 30 re"];
    const content = [
      `0.5 w ${rects.join(" ")} S`,
      text(110, 710, "Merged label"),
      text(310, 710, "Total"),
      text(110, 680, "12"),
      text(210, 680, "3"),
      text(310, 680, "15"),
    ].join("\n");
    const doc = await extractPdf(buildPdf(content), OPTS);
    const [t] = tables(doc);
    expect(t).toBeDefined();
    expect(t?.rows.map((r) => r.map((c) => [c.text, c.colSpan]))).toEqual([
      [
        ["Merged label", 2],
        ["Total", 1],
      ],
      [
        ["12", 1],
        ["3", 1],
        ["15", 1],
      ],
    ]);
  });

  it("splits text that pdf.js merged across a cell border", async () => {
    // `12` ends 2pt before the border at x=150 and `34` starts 2pt after it: pdf.js returns
    // one item "12 34" for both.
    const content = [
      "0.5 w 100 700 50 30 re 150 700 50 30 re 100 670 50 30 re 150 670 50 30 re S",
      "BT /F1 10 Tf 137 710 Td (12) Tj 15 0 Td (34) Tj ET",
      text(110, 680, "a"),
      text(160, 680, "b"),
    ].join("\n");
    const doc = await extractPdf(buildPdf(content), OPTS);
    expect(tables(doc).map((t) => t.rows.map((r) => r.map((c) => c.text)))).toEqual([
      [
        ["12", "34"],
        ["a", "b"],
      ],
    ]);
  });

  it("does not glue a blank first row on the next page to the header above it", async () => {
    // Page 1 ends with the header row, page 2 starts with a row whose values are blank.
    const page1 = [
      "0.5 w 100 100 100 30 re 200 100 100 30 re 300 100 100 30 re S",
      text(110, 110, "Info"),
      text(210, 110, "Issued"),
      text(310, 110, "Repealed"),
    ];
    const page2 = [
      "0.5 w 100 712 100 30 re 200 712 100 30 re 300 712 100 30 re 100 682 100 30 re 200 682 100 30 re 300 682 100 30 re S",
      text(110, 722, "Rules"),
      text(110, 692, "Docs"),
      text(210, 692, "1"),
      text(310, 692, "2"),
    ];
    const doc = await extractPdf(buildPdf([page1.join("\n"), page2.join("\n")]), OPTS);
    expect(tables(doc).map((t) => [t.page, t.pageEnd, t.rows.map((r) => r.map((c) => c.text))])).toEqual([
      [
        1,
        2,
        [
          ["Info", "Issued", "Repealed"],
          ["Rules", "", ""],
          ["Docs", "1", "2"],
        ],
      ],
    ]);
  });

  it("separates the cells of a table drawn without lines by tabs", async () => {
    const content = [text(72, 700, "Label"), text(300, 700, "12"), text(400, 700, "3"), text(72, 680, "Two words")].join("\n");
    const doc = await extractPdf(buildPdf(content), OPTS);
    expect(texts(doc).map((b) => b.text)).toEqual(["Label\t12\t3", "Two words"]);
  });

  it("keeps separate numbers of one cell apart", async () => {
    const content = ["0.5 w 100 650 200 60 re S", text(110, 690, "12"), text(110, 670, "34")].join("\n");
    const doc = await extractPdf(buildPdf(content), OPTS);
    // A 1×1 "table" (a box around text) is not a table: its lines stay text lines.
    expect(tables(doc)).toEqual([]);
    expect(texts(doc).map((b) => b.text)).toEqual(["12", "34"]);
  });

  it("drops fake-bold overprints but keeps repeated narrow letters", async () => {
    // `Bold` painted twice 0.3pt apart (fake bold); two `l` glyphs one advance (2.2pt) apart.
    const content = [text(72, 700, "Bold"), text(72.3, 700.2, "Bold"), text(72, 650, "l"), text(74.22, 650, "l")].join("\n");
    const doc = await extractPdf(buildPdf(content), OPTS);
    expect(texts(doc).map((b) => b.text)).toEqual(["Bold", "ll"]);
  });

  it("drops a bare page number in the footer but keeps numbers in the body", async () => {
    const content = [text(72, 700, "Body line"), text(72, 600, "7"), text(290, 30, "3")].join("\n");
    const doc = await extractPdf(buildPdf(content), OPTS);
    expect(texts(doc).map((b) => b.text)).toEqual(["Body line", "7"]);
  });
});

describe("extractPdf on a non-embedded Chinese font", () => {
  it("decodes UniGB-UCS2-H text through pdf.js's packed CMaps", async () => {
    // A Type0 font with a predefined CMap, no font file and no ToUnicode, as in many 公文 PDFs:
    // without CMaps pdf.js returns no text at all.
    const font =
      "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [" +
      "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light " +
      "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> " +
      "/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [0 -200 1000 900] " +
      "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >> >>] >>";
    // 政府信息公开 as UCS-2 code units.
    const content = "BT /F1 12 Tf 72 700 Td <653F5E9C4FE1606F516C5F00> Tj ET";
    const doc = await extractPdf(buildPdf(content, { font }), OPTS);
    expect(texts(doc).map((b) => b.text)).toEqual(["政府信息公开"]);
  });
});

describe("extractPdf refusals", () => {
  it("refuses a truncated PDF as corrupt", async () => {
    const bytes = fixture("s021.pdf");
    const e = await refusal(bytes.slice(0, Math.floor(bytes.length / 2)));
    expect(e.code).toBe("corrupt");
    expect(e.message).not.toContain("\n");
  });

  it("refuses bytes that are not a PDF as corrupt", async () => {
    const e = await refusal(new TextEncoder().encode("<html><body>not a pdf</body></html>"));
    expect(e.code).toBe("corrupt");
  });

  it("refuses an encrypted PDF", async () => {
    // test/fixtures/pdf/encrypted.pdf: made with `qpdf --encrypt secret-user secret-owner 256`.
    const e = await refusal(fixture("encrypted.pdf"));
    expect(e.code).toBe("encrypted");
    expect(e.message).toMatch(/encrypted/);
  });

  it("refuses a scan (an image, no text) as no-text-layer", async () => {
    const content = "q 500 0 0 700 50 70 cm /Im1 Do Q";
    const e = await refusal(buildPdf(content, { xobjects: { Im1: [40, 56] } }));
    expect(e.code).toBe("no-text-layer");
    expect(e.message).not.toContain("\n");
  });

  it("refuses more pages than maxPages as too-large", async () => {
    const e = await refusal(fixture("s021.pdf"), { ...OPTS, maxPages: 3 });
    expect(e.code).toBe("too-large");
    expect(e.message).toContain("5 pages");
  });
});

describe("extractPdf side effects", () => {
  it("leaves the caller's bytes intact and the process's built-ins native", async () => {
    const bytes = fixture("s021.pdf");
    const length = bytes.length;
    await extractPdf(bytes, OPTS);
    expect(bytes.length).toBe(length);
    // pdf.js's bundled core-js replaces these on Node 20; the extractor puts them back.
    expect(Function.prototype.toString.call(Array.prototype.push)).toContain("[native code]");
    expect(Function.prototype.toString.call(JSON.parse)).toContain("[native code]");
  });
});
