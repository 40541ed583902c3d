/**
 * .docx extraction: mammoth's HTML → TableBlocks with Word's merged cells as spans, and the
 * zip-bomb guard in front of mammoth. Fixtures are copies of corpus cases with their
 * expected answers, so the numbers asserted here are the corpus's own.
 */
import { readFileSync } from "node:fs";
import { deflateRawSync } from "node:zlib";
import JSZip from "jszip";
import { describe, expect, it } from "vitest";
import { corpusFile } from "./support/corpus.js";
import type { GridCell, DocumentContent, TableBlock } from "../src/document.js";
import { extractDocx, guardArchive } from "../src/extract/docx.js";
import { rejection } from "./support/refusal.js";

const OPTS = { maxPages: 500, maxExpandedBytes: 200 * 1024 * 1024, deadline: Infinity };

function fixture(name: string): Buffer {
  return readFileSync(corpusFile(name));
}
function expected(name: string): { report: Record<string, unknown> } {
  return JSON.parse(readFileSync(corpusFile(`${name}.expected.json`), "utf8")) as { report: Record<string, unknown> };
}
/** The numbers of an expected-answer subtree, in document order (null for blanks). */
function leaves(x: unknown): Array<number | null> {
  if (x === null || typeof x === "number") return [x];
  return Object.values(x as Record<string, unknown>).flatMap(leaves);
}
function tables(doc: DocumentContent): TableBlock[] {
  return doc.blocks.filter((b): b is TableBlock => b.kind === "table");
}
function rowWith(t: TableBlock, label: string): GridCell[] {
  const row = t.rows.find((r) => r.some((c) => c.text.includes(label)));
  if (!row) throw new Error(`no row with ${label}`);
  return row;
}
/** Printed numbers as the expected files hold them: blank → null. */
function num(text: string): number | null {
  return text === "" ? null : Number(text.normalize("NFKC"));
}

describe("extractDocx on corpus documents", () => {
  it("s038 (2021 format): three tables with the official spans and the expected numbers", async () => {
    const doc = await extractDocx(fixture("s038.docx"), OPTS);
    const exp = expected("s038").report as { applications: Record<string, unknown>; reviewLitigation: unknown };
    expect(doc.mediaType).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    expect(doc.pages).toBeNull();

    const [t2, t3, t4] = tables(doc);
    expect(tables(doc)).toHaveLength(3);
    expect([t2!.nRows, t2!.nCols]).toEqual([14, 4]);
    expect([t3!.nRows, t3!.nCols]).toEqual([28, 10]);
    expect([t4!.nRows, t4!.nCols]).toEqual([4, 15]);

    // Table 三: the row of 本年新收 carries the expected numbers in its last 7 cells.
    const newRow = rowWith(t3!, "本年新收");
    expect(newRow[0]).toMatchObject({ col: 0, colSpan: 3, text: "一、本年新收政府信息公开申请数量" });
    expect(newRow.slice(-7).map((c) => c.col)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(newRow.slice(-7).map((c) => num(c.text))).toEqual(leaves(exp.applications["newReceived"]));
    expect(newRow.slice(-7).map((c) => num(c.text))).toEqual([7, 0, 0, 0, 0, 1, 8]);

    // The merged header and label blocks.
    expect(t3!.rows[0]![0]).toMatchObject({ row: 0, col: 0, rowSpan: 3, colSpan: 3 });
    expect(t3!.rows[0]![1]).toMatchObject({ col: 3, colSpan: 7, text: "申请人情况" });
    expect(t3!.rows[1]!.map((c) => [c.col, c.rowSpan, c.colSpan, c.text])).toEqual([
      [3, 2, 1, "自然人"],
      [4, 1, 5, "法人或其他组织"],
      [9, 2, 1, "总计"],
    ]);
    const withheld = t3!.rows.flat().find((c) => c.text === "（三）不予公开");
    expect(withheld).toMatchObject({ col: 1, rowSpan: 8, colSpan: 1 });
    const outcome = t3!.rows.flat().find((c) => c.text === "三、本年度办理结果");
    expect(outcome).toMatchObject({ col: 0, rowSpan: 22, colSpan: 1 });
    // The second row of the 不予公开 block starts at column 2: columns 0–1 are taken by rowspans.
    expect(rowWith(t3!, "禁止公开")[0]).toMatchObject({ col: 2, text: "2.其他法律行政法规禁止公开" });
    expect(rowWith(t3!, "属于国家秘密").slice(-7).map((c) => num(c.text))).toEqual([1, 0, 0, 0, 0, 0, 1]);

    // Table 四: the data row holds the 15 expected values.
    expect(t4!.rows[3]!.map((c) => num(c.text))).toEqual(leaves(exp.reviewLitigation));

    // Blank cells of the 规章 row are empty strings, not missing cells.
    expect(rowWith(t2!, "规章").map((c) => c.text)).toEqual(["规章", "", "", ""]);
    // Table text is not repeated as text blocks.
    const texts = doc.blocks.filter((b) => b.kind === "text").map((b) => b.text);
    expect(texts.some((t) => t.includes("本年新收政府信息公开申请数量"))).toBe(false);
    expect(texts).toContain("二、主动公开政府信息情况");
  });

  it("s001 (2019 format): 26-row table 三 with the expected totals", async () => {
    const doc = await extractDocx(fixture("s001.docx"), OPTS);
    const exp = expected("s001").report as { applications: Record<string, unknown> };
    const t3 = tables(doc).find((t) => t.nCols === 10)!;
    expect(t3.nRows).toBe(26);
    expect(t3.rows.flat().find((c) => c.text === "三、本年度办理结果")).toMatchObject({ rowSpan: 20 });
    expect(rowWith(t3, "（七）总计").slice(-7).map((c) => num(c.text))).toEqual(leaves(exp.applications["totalProcessed"]));
    // The title printed on two lines comes out as two text blocks, in order, before the tables.
    const texts = doc.blocks.filter((b) => b.kind === "text").map((b) => b.text);
    expect(texts.slice(0, 2)).toEqual(["2022年松泉市发展和改革委员会", "政府信息公开工作年度报告"]);
    // ASCII quotes kept as printed.
    expect(t3.rows.flat().some((c) => c.text === '3.危及"三安全一稳定"')).toBe(true);
  });

  it('s029: cells written "/" keep their text', async () => {
    const doc = await extractDocx(fixture("s029.docx"), OPTS);
    const t4 = tables(doc).find((t) => t.nCols === 15)!;
    expect(t4.rows[3]!.map((c) => c.text)).toEqual(new Array(15).fill("/"));
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-made packages

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const RELS =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const cell = (text: string, props = "") => `<w:tc><w:tcPr>${props}</w:tcPr><w:p><w:r><w:t>${text}</w:t></w:r></w:p></w:tc>`;
const DOCUMENT =
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${W}><w:body>` +
  '<w:p><w:pPr><w:pStyle w:val="NoSuchStyle"/></w:pPr><w:r><w:t>标题</w:t></w:r></w:p>' +
  '<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>' +
  `<w:tr>${cell("A", '<w:vMerge w:val="restart"/>')}${cell("B", '<w:gridSpan w:val="2"/>')}</w:tr>` +
  `<w:tr>${cell("", "<w:vMerge/>")}${cell("C")}${cell("D")}</w:tr>` +
  "</w:tbl></w:body></w:document>";

async function makeDocx(extra: Record<string, Uint8Array | string> = {}, withDocument = true): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file("[Content_Types].xml", CONTENT_TYPES);
  zip.file("_rels/.rels", RELS);
  if (withDocument) zip.file("word/document.xml", DOCUMENT);
  for (const [name, data] of Object.entries(extra)) zip.file(name, data);
  return zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
}

/** Rewrites the uncompressed size an archive declares for `name`, in the local header and
 * the central directory: how a zip bomb hides its size. */
function lieAboutSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const out = Buffer.from(zip);
  const nameBytes = Buffer.from(name);
  for (let p = 0; p + 46 < out.length; p++) {
    const sig = out.readUInt32LE(p);
    if (sig === 0x04034b50 && out.subarray(p + 30, p + 30 + nameBytes.length).equals(nameBytes)) out.writeUInt32LE(size, p + 22);
    if (sig === 0x02014b50 && out.subarray(p + 46, p + 46 + nameBytes.length).equals(nameBytes)) out.writeUInt32LE(size, p + 24);
  }
  return out;
}

describe("extractDocx on hand-made packages", () => {
  it("reads gridSpan and vMerge from Word XML and passes mammoth's messages on as warnings", async () => {
    const doc = await extractDocx(await makeDocx(), OPTS);
    expect(doc.blocks[0]).toEqual({ kind: "text", text: "标题" });
    const [t] = tables(doc);
    expect([t!.nRows, t!.nCols]).toEqual([2, 3]);
    expect(t!.rows.map((r) => r.map((c) => [c.row, c.col, c.rowSpan, c.colSpan, c.text]))).toEqual([
      [[0, 0, 2, 1, "A"], [0, 1, 1, 2, "B"]],
      [[1, 1, 1, 1, "C"], [1, 2, 1, 1, "D"]],
    ]);
    expect(doc.warnings.some((w) => w.startsWith("mammoth warning:") && w.includes("NoSuchStyle"))).toBe(true);
  });

  it("refuses a package without word/document.xml as corrupt", async () => {
    const e = await rejection(extractDocx(await makeDocx({ "word/styles.xml": "<w:styles/>" }, false), OPTS));
    expect(e.code).toBe("corrupt");
    expect(e.message).toContain("word/document.xml");
  });

  it("refuses bytes that are not a readable zip as corrupt", async () => {
    const good = await makeDocx();
    const e = await rejection(extractDocx(good.subarray(0, good.length - 30), OPTS));
    expect(e.code).toBe("corrupt");
  });

  it("refuses a document.xml mammoth cannot parse as corrupt", async () => {
    const zip = new JSZip();
    zip.file("[Content_Types].xml", CONTENT_TYPES);
    zip.file("_rels/.rels", RELS);
    zip.file("word/document.xml", "this is <<< not xml");
    const e = await rejection(extractDocx(await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" }), OPTS));
    expect(e.code).toBe("corrupt");
  });
});

describe("zip-bomb guard", () => {
  const twoMegabytesOfZeros = new Uint8Array(2 * 1024 * 1024);
  const small = { maxPages: 500, maxExpandedBytes: 1024 * 1024, deadline: Infinity };

  it("refuses an archive whose declared size exceeds maxExpandedBytes, before mammoth", async () => {
    const bomb = await makeDocx({ "word/media/filler.bin": twoMegabytesOfZeros });
    expect(bomb.length).toBeLessThan(64 * 1024); // small on disk…
    const e = await rejection(extractDocx(bomb, small)); // …large inflated
    expect(e.code).toBe("too-large");
    expect(e.message).toMatch(/limit of 1048576/);
    // The same archive is fine under the default limit.
    await expect(extractDocx(bomb, OPTS)).resolves.toMatchObject({ blocks: expect.any(Array) as unknown });
  });

  it("refuses a part that inflates past the size it declares", async () => {
    const padding = " ".repeat(2 * 1024 * 1024);
    const honest = await makeDocx({ "word/padding.xml": padding });
    const lying = lieAboutSize(honest, "word/padding.xml", 1000);
    await expect(guardArchive(honest, small.maxExpandedBytes)).rejects.toThrow(/expands to/);
    await expect(guardArchive(lying, small.maxExpandedBytes)).rejects.toThrow(/padding\.xml inflates past its declared 1000 bytes/);
    const e = await rejection(extractDocx(lying, small));
    expect(e.code).toBe("too-large");
  });

  it("checks every entry, whatever its name: a lying part the relationships point at is too-large, not corrupt", async () => {
    // _rels/.rels can make any part the main document (here word/main.bin): its name says
    // nothing about whether jszip will inflate it.
    const rels =
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
      '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/main.bin"/></Relationships>';
    const zip = new JSZip();
    zip.file("[Content_Types].xml", CONTENT_TYPES);
    zip.file("_rels/.rels", rels);
    zip.file("word/document.xml", "<w:document/>");
    zip.file("word/main.bin", " ".repeat(4 * 1024 * 1024));
    const honest = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    const lying = lieAboutSize(honest, "word/main.bin", 1000);
    const e = await rejection(extractDocx(lying, OPTS));
    expect(e.code).toBe("too-large");
    expect(e.message).toBe("archive entry word/main.bin inflates past its declared 1000 bytes");
    // An image that lies is refused too (before, only .xml and .rels parts were inflated).
    const media = lieAboutSize(await makeDocx({ "word/media/image1.png": twoMegabytesOfZeros }), "word/media/image1.png", 1000);
    await expect(guardArchive(media, small.maxExpandedBytes)).rejects.toThrow(/image1\.png inflates past its declared 1000 bytes/);
    // An honest image is read past as before.
    expect(tables(await extractDocx(await makeDocx({ "word/media/image1.png": new Uint8Array(1000) }), small))).toHaveLength(1);
  });

  it("refuses an absurd compression ratio even under the size limit", async () => {
    const bomb = await makeDocx({ "word/media/filler.bin": new Uint8Array(20 * 1024 * 1024) });
    await expect(guardArchive(bomb, OPTS.maxExpandedBytes)).rejects.toThrow(/compression ratio/);
  });

  it("accepts the corpus documents", async () => {
    for (const name of ["s001.docx", "s029.docx", "s038.docx"]) {
      await expect(guardArchive(fixture(name), OPTS.maxExpandedBytes)).resolves.toBeUndefined();
    }
    // Sanity check of the helper: deflate really does shrink zeros that much.
    expect(deflateRawSync(twoMegabytesOfZeros).length).toBeLessThan(4096);
  });
});
