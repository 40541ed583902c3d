/**
 * Plain-text extraction: decoding (UTF-8 or GBK), line endings, one block per non-empty line,
 * and the text otherwise untouched (the reconstructor splits ` | `, tabs and space runs).
 */
import { readFileSync } from "node:fs";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { corpusFile } from "./support/corpus.js";
import type { DocumentContent } from "../src/document.js";
import { extractText } from "../src/extract/text.js";

const OPTS = { maxPages: 500, maxExpandedBytes: 200 * 1024 * 1024, deadline: Infinity };

function fixture(name: string): Buffer {
  return readFileSync(corpusFile(name));
}
function texts(doc: DocumentContent): string[] {
  return doc.blocks.map((b) => (b.kind === "text" ? b.text : "<table>"));
}

describe("extractText", () => {
  it("seed jingzhouqu-2021: one block per non-empty line, text unchanged", async () => {
    const raw = fixture("jingzhouqu-2021.txt").toString("utf8");
    const doc = await extractText(fixture("jingzhouqu-2021.txt"), OPTS);
    expect(doc).toMatchObject({ mediaType: "text/plain", pages: null, warnings: [] });
    const nonEmpty = raw.split("\n").filter((l) => l.trim() !== "");
    expect(texts(doc)).toEqual(nonEmpty);
    expect(texts(doc)).toContain("一、本年新收政府信息公开申请数量 | 12 | 0 | 0 | 0 | 0 | 0 | 12 | ||");
    expect(doc.blocks.every((b) => b.kind === "text" && b.page === undefined)).toBe(true);
  });

  it("s007: rows opened with '| ' and page-number lines are kept as printed", async () => {
    const doc = await extractText(fixture("s007.txt"), OPTS);
    const t = texts(doc);
    expect(t).toContain("| 一、本年新收政府信息公开申请数量 | 48 | 11 | 1 | 1 | 1 | 0 | 62 | ||");
    expect(t[0]).toBe("青川市退役军人事务局2022年政府信息公开工作年度报告");
  });

  it("pdftotext output: form feeds end lines, runs of spaces are kept", async () => {
    const bytes = fixture("10_hongze_2023.txt");
    const raw = bytes.toString("utf8");
    expect(raw).toContain("\f");
    const t = texts(await extractText(bytes, OPTS));
    expect(t.some((l) => l.includes("\f"))).toBe(false);
    const row = raw.split("\n").find((l) => l.includes("一、本年新收政府信息公开申请数量"))!;
    expect(t).toContain(row);
    expect(row).toMatch(/数量 {10,}21 {2,}0/);
  });

  it("normalises CRLF and CR, drops blank and whitespace-only lines", async () => {
    const bytes = Buffer.from("第一行\r\n\r\n  \r\n第二行 | 1 |\r第三行\n\t\n第四行\u3000\n");
    expect(texts(await extractText(bytes, OPTS))).toEqual(["第一行", "第二行 | 1 |", "第三行", "第四行\u3000"]);
  });

  it("decodes GBK and UTF-8 with BOM to the same blocks as UTF-8", async () => {
    const utf8 = fixture("jingzhouqu-2021.txt");
    const expected = texts(await extractText(utf8, OPTS));
    const gbk = iconv.encode(utf8.toString("utf8"), "gbk");
    expect(gbk.equals(utf8)).toBe(false);
    expect(texts(await extractText(gbk, OPTS))).toEqual(expected);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
    expect(texts(await extractText(bom, OPTS))).toEqual(expected);
  });
});
