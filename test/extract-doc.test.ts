/**
 * .doc extraction with word-extractor: one text block per line, table cells separated by
 * tabs exactly as Word's cell marks give them, curly quotes kept; encrypted and corrupt files
 * refused. The LibreOffice path is off unless asked for, and falls back when soffice is absent.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { corpusFile } from "./support/corpus.js";
import type { DocumentContent } from "../src/document.js";
import { RefusalError } from "../src/document.js";
import { extractDoc } from "../src/extract/doc.js";
import { rejection } from "./support/refusal.js";

const OPTS = { maxPages: 500, maxExpandedBytes: 200 * 1024 * 1024, deadline: Infinity };

function fixture(name: string): Buffer {
  return readFileSync(corpusFile(name));
}
interface Expected {
  report: { proactive: Record<string, unknown>; applications: Record<string, unknown> };
}
function expected(name: string): Expected {
  return JSON.parse(readFileSync(corpusFile(`${name}.expected.json`), "utf8")) as Expected;
}
function leaves(x: unknown): Array<number | null> {
  if (x === null || typeof x === "number") return [x];
  return Object.values(x as Record<string, unknown>).flatMap(leaves);
}
function lines(doc: DocumentContent): string[] {
  return doc.blocks.map((b) => (b.kind === "text" ? b.text : "<table>"));
}
/** The tab-separated cells that follow `label` in the text (rows may run together). */
function cellsAfter(all: string, label: string, n: number): string[] {
  const at = all.indexOf(`${label}\t`);
  if (at < 0) throw new Error(`no cell ${label}`);
  return all.slice(at + label.length + 1).split("\t").slice(0, n);
}

/** Where the WordDocument stream's FIB starts (first sector of the stream). */
function fibOffset(bytes: Buffer): number {
  const needle = Buffer.from("WordDocument\0", "utf16le");
  let pos = bytes.indexOf(needle, 512);
  while (pos % 128 !== 0) pos = bytes.indexOf(needle, pos + 2);
  const sectorSize = 1 << bytes.readUInt16LE(0x1e);
  return (bytes.readUInt32LE(pos + 116) + 1) * sectorSize;
}

describe("extractDoc with word-extractor", () => {
  it("s020: paragraphs as lines, table 二 rows as tab-separated lines with the expected numbers", async () => {
    const doc = await extractDoc(fixture("s020.doc"), OPTS);
    const exp = expected("s020").report;
    expect(doc.mediaType).toBe("application/msword");
    expect(doc.pages).toBeNull();
    expect(doc.blocks.every((b) => b.kind === "text" && b.text.trim() !== "" && !b.text.includes("\r"))).toBe(true);

    const l = lines(doc);
    expect(l[0]).toBe("2024年桐岭市桐河区人民政府政府信息公开工作年度报告");
    expect(l).toContain("二、主动公开政府信息情况");
    // Cell marks are tabs, including the one ending the row.
    expect(l).toContain("规章\t0\t0\t0\t");
    const normative = leaves(exp.proactive["normativeDocuments"]).join("\t");
    expect(l).toContain(`规范性文件\t${normative}\t`);
    expect(l).toContain(`行政许可\t${leaves(exp.proactive["licensing"]).join("\t")}\t`);
  });

  it("s020: table 三 values follow their labels, even where rows run together", async () => {
    const doc = await extractDoc(fixture("s020.doc"), OPTS);
    const apps = expected("s020").report.applications;
    const all = lines(doc).join("\n");
    const asNumbers = (cells: string[]) => cells.map((c) => (c === "" ? null : Number(c)));
    expect(asNumbers(cellsAfter(all, "一、本年新收政府信息公开申请数量", 7))).toEqual(leaves(apps["newReceived"]));
    expect(asNumbers(cellsAfter(all, "二、上年结转政府信息公开申请数量", 7))).toEqual(leaves(apps["carriedOver"]));
    expect(asNumbers(cellsAfter(all, "(七)总计", 7))).toEqual(leaves(apps["totalProcessed"]));
    expect(asNumbers(cellsAfter(all, "四、结转下年度继续办理", 7))).toEqual(leaves(apps["carriedForward"]));
    // The vertically merged continuation cells are empty cells: two tabs in a row.
    expect(all).toContain("\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t");
    // The rows of table 三 from its third row on share one line (see src/extract/doc.ts).
    const runTogether = lines(doc).find((s) => s.includes("一、本年新收政府信息公开申请数量"))!;
    expect(runTogether).toContain("(七)总计");
  });

  it("keeps curly quotes (filterUnicode: false)", async () => {
    const all = lines(await extractDoc(fixture("s020.doc"), OPTS)).join("\n");
    expect(all).toContain("危及“三安全一稳定”");
    expect(all).toContain("“三审三校”");
  });

  it("s022 (2019 format, repeated header rows): the header appears once, table 二 rows intact", async () => {
    const doc = await extractDoc(fixture("s022.doc"), OPTS);
    const exp = expected("s022").report;
    const l = lines(doc);
    expect(l.filter((s) => s.startsWith("行政复议\t"))).toHaveLength(1);
    expect(l).toContain(`行政处罚\t${leaves(exp.proactive["punishment"]).join("\t")}\t`);
    expect(l).toContain(`政府集中采购\t135\t45843356.21\t`);
  });
});

describe("extractDoc refusals", () => {
  it("refuses a password-protected document (FIB fEncrypted) as encrypted", async () => {
    const bytes = Buffer.from(fixture("s020.doc"));
    const fib = fibOffset(bytes);
    expect(bytes.readUInt16LE(fib)).toBe(0xa5ec); // the helper found the FIB
    bytes.writeUInt16LE(bytes.readUInt16LE(fib + 0x0a) | 0x0100, fib + 0x0a);
    const e = await rejection(extractDoc(bytes, OPTS));
    expect(e.code).toBe("encrypted");
  });

  it("refuses a Word 6/95 document as unsupported-type", async () => {
    const bytes = Buffer.from(fixture("s020.doc"));
    bytes.writeUInt16LE(104, fibOffset(bytes) + 2); // nFib of Word 95
    const e = await rejection(extractDoc(bytes, OPTS));
    expect(e.code).toBe("unsupported-type");
    expect(e.message).toMatch(/Word 6\.0\/95/);
  });

  it("refuses damaged OLE structures as corrupt", async () => {
    const original = fixture("s020.doc");
    const damagedStream = Buffer.from(original);
    damagedStream.fill(0xff, 4096, 30000); // the WordDocument stream's content
    expect((await rejection(extractDoc(damagedStream, OPTS))).code).toBe("corrupt");

    const damagedFat = Buffer.from(original);
    damagedFat.fill(0xff, 0x4c, 512); // the header's FAT sector list
    expect((await rejection(extractDoc(damagedFat, OPTS))).code).toBe("corrupt");

    // Truncation loses the directory (at the end of this file).
    expect((await rejection(extractDoc(original.subarray(0, 20_000), OPTS))).code).toBe("corrupt");
  });
});

describe("extractDoc with NIANBAO_DOC_LIBREOFFICE", () => {
  const saved = { flag: process.env["NIANBAO_DOC_LIBREOFFICE"], path: process.env["PATH"] };
  afterEach(() => {
    if (saved.flag === undefined) delete process.env["NIANBAO_DOC_LIBREOFFICE"];
    else process.env["NIANBAO_DOC_LIBREOFFICE"] = saved.flag;
    process.env["PATH"] = saved.path;
  });

  it("falls back to word-extractor with a warning when soffice is not on PATH", async () => {
    const empty = mkdtempSync(join(tmpdir(), "nianbao-nopath-"));
    try {
      process.env["NIANBAO_DOC_LIBREOFFICE"] = "1";
      process.env["PATH"] = empty;
      const doc = await extractDoc(fixture("s020.doc"), OPTS);
      expect(doc.warnings).toEqual(["NIANBAO_DOC_LIBREOFFICE=1 but no soffice on PATH; used word-extractor"]);
      expect(lines(doc)).toContain("规章\t0\t0\t0\t");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("is off by default: no warning", async () => {
    delete process.env["NIANBAO_DOC_LIBREOFFICE"];
    expect((await extractDoc(fixture("s020.doc"), OPTS)).warnings).toEqual([]);
  });
});

describe("a .doc whose sector chains are damaged", () => {
  /** s020.doc with the FAT link after the WordDocument stream's third sector pointed back at its first. */
  function loopedDoc(): Buffer {
    const b = Buffer.from(readFileSync(corpusFile("s020.doc")));
    const size = 1 << b.readUInt16LE(0x1e);
    const needle = Buffer.from("WordDocument\0", "utf16le");
    let pos = b.indexOf(needle, 512);
    while (pos % 128 !== 0) pos = b.indexOf(needle, pos + 2);
    const start = b.readUInt32LE(pos + 116);
    const fatAt = (s: number) => (b.readUInt32LE(0x4c) + 1) * size + 4 * s;
    let s = start;
    for (let i = 0; i < 3; i++) s = b.readUInt32LE(fatAt(s));
    b.writeUInt32LE(start, fatAt(s));
    return b;
  }

  it("is refused as corrupt before any parser walks a chain that loops (it once aborted the process)", async () => {
    const e = await extractDoc(loopedDoc(), { maxPages: 500, maxExpandedBytes: 200 * 1024 * 1024, deadline: Infinity }).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(RefusalError);
    expect((e as RefusalError).code).toBe("corrupt");
    expect((e as RefusalError).message).toMatch(/chain loops/);
  });

  it("leaves a sound .doc alone", async () => {
    const doc = await extractDoc(readFileSync(corpusFile("s020.doc")), { maxPages: 500, maxExpandedBytes: 200 * 1024 * 1024, deadline: Infinity });
    expect(doc.blocks.length).toBeGreaterThan(10);
  });
});
