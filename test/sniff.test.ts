/**
 * Sniffing from bytes alone, each refusal class with its code, and text decoding.
 */
import { readFileSync } from "node:fs";
import iconv from "iconv-lite";
import JSZip from "jszip";
import { describe, expect, it } from "vitest";
import { corpusFile } from "./support/corpus.js";
import { RefusalError } from "../src/document.js";
import { decodeText, readZipDirectory, sniff } from "../src/sniff.js";

/** A corpus file, named as "<kind>/<file>" for readability; the kind folder is not used. */
const fixture = (path: string) => readFileSync(corpusFile(path.split("/").pop() as string));

function refusal(bytes: Uint8Array): RefusalError {
  try {
    sniff(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(RefusalError);
    return e as RefusalError;
  }
  throw new Error("expected sniff to refuse");
}

async function zip(files: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const z = new JSZip();
  for (const [name, data] of Object.entries(files)) z.file(name, data, { createFolders: false });
  return z.generateAsync({ type: "uint8array", compression: "DEFLATE" });
}

/** Deterministic pseudo-random bytes (xorshift32). */
function randomBytes(n: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Renames the first OLE directory entry called `from` (UTF-16LE, 128-byte aligned). */
function renameOleEntry(bytes: Buffer, from: string, to: string): Buffer {
  const out = Buffer.from(bytes);
  const needle = Buffer.from(`${from}\0`, "utf16le");
  let pos = out.indexOf(needle, 512);
  while (pos >= 0 && pos % 128 !== 0) pos = out.indexOf(needle, pos + 2);
  if (pos < 0) throw new Error(`no OLE entry ${from}`);
  out.fill(0, pos, pos + 64);
  Buffer.from(`${to}\0`, "utf16le").copy(out, pos);
  out.writeUInt16LE((to.length + 1) * 2, pos + 64);
  return out;
}

describe("sniff: supported formats", () => {
  it("recognises the corpus fixtures from their bytes", () => {
    expect(sniff(fixture("docx/s038.docx"))).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    expect(sniff(fixture("doc/s020.doc"))).toBe("application/msword");
    expect(sniff(fixture("html/s019.html"))).toBe("text/html");
    expect(sniff(fixture("html/s037.html"))).toBe("text/html");
    expect(sniff(fixture("txt/s007.txt"))).toBe("text/plain");
    expect(sniff(fixture("txt/jingzhouqu-2021.txt"))).toBe("text/plain");
    expect(sniff(fixture("txt/10_hongze_2023.txt"))).toBe("text/plain"); // pdftotext output with form feeds
  });

  it("finds %PDF- at the start or after leading junk within 1 KB, not beyond", () => {
    expect(sniff(Buffer.from("%PDF-1.7\n%âãÏÓ\n"))).toBe("application/pdf");
    expect(sniff(Buffer.concat([Buffer.from("\r\n<!-- junk -->\x00\x01"), Buffer.alloc(900, 0x20), Buffer.from("%PDF-1.4")]))).toBe(
      "application/pdf",
    );
    const tooLate = Buffer.concat([Buffer.alloc(2000, 0x01), Buffer.from("%PDF-1.4")]);
    expect(refusal(tooLate).code).toBe("unsupported-type");
  });

  it("does not take a ZIP that stores a PDF for a PDF", async () => {
    const z = new JSZip();
    z.file("report.pdf", "%PDF-1.4\n%%EOF\n", { compression: "STORE" });
    const bytes = await z.generateAsync({ type: "uint8array" });
    expect(Buffer.from(bytes).indexOf("%PDF-")).toBeLessThan(100);
    expect(refusal(bytes).message).toMatch(/^ZIP archive/);
  });

  it("recognises HTML by its first markup, whatever the case, after BOM, whitespace, comments or an XML declaration", () => {
    for (const s of [
      "<!DOCTYPE html><html><body>x</body></html>",
      "\ufeff\n  <HTML><BODY>x",
      "<!-- saved from url=(0042)http://example.gov.cn/ -->\n<html>",
      '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">\n<html xmlns="http://www.w3.org/1999/xhtml">',
      "<meta charset=gbk><p>年度报告</p>",
      "<Table border=1><tr><td>1</td></tr></Table>",
      "<div class=x>正文</div>",
      "<p>正文</p>",
    ]) {
      expect(sniff(Buffer.from(s)), s).toBe("text/html");
    }
    const gbkPage = Buffer.concat([Buffer.from('<html><head><meta charset="gb2312"></head><body>'), iconv.encode("<p>年度报告</p>", "gbk")]);
    expect(sniff(gbkPage)).toBe("text/html");
  });

  it("accepts UTF-8 text and GBK text that decodes to Chinese", () => {
    const text = fixture("txt/jingzhouqu-2021.txt").toString("utf8");
    expect(sniff(iconv.encode(text, "gbk"))).toBe("text/plain");
    expect(sniff(iconv.encode(text, "gb18030"))).toBe("text/plain");
    expect(sniff(Buffer.from("plain ASCII report\n"))).toBe("text/plain");
    expect(sniff(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("年度报告\r\n", "utf16le")]))).toBe("text/plain");
  });
});

describe("sniff: refusals", () => {
  it("empty file → corrupt", () => {
    const e = refusal(new Uint8Array(0));
    expect(e.code).toBe("corrupt");
    expect(e.message).toBe("empty file");
  });

  it("images and other binaries → unsupported-type naming what they are", () => {
    const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex");
    expect(refusal(png)).toMatchObject({ code: "unsupported-type", message: expect.stringMatching(/^PNG image/) as unknown });
    expect(refusal(Buffer.from("ffd8ffe000104a46494600", "hex")).message).toMatch(/^JPEG image/);
    expect(refusal(Buffer.from("GIF89a\x01\x00\x01\x00", "latin1")).message).toMatch(/^GIF image/);
    expect(refusal(Buffer.from("{\\rtf1\\ansi\\deff0 年度报告}")).message).toMatch(/^RTF document/);
    expect(refusal(Buffer.from("7f454c4602010100", "hex")).message).toMatch(/^ELF executable/);
    expect(refusal(Buffer.from("1f8b0800000000000003", "hex")).message).toMatch(/^gzip/);
    expect(refusal(Buffer.from('<?xml version="1.0"?><w:wordDocument xmlns:w="x"/>')).message).toMatch(/Word 2003 XML/);
  });

  it("random bytes → unsupported-type", () => {
    for (const seed of [1, 2, 3]) {
      const e = refusal(randomBytes(8192, seed));
      expect(e.code).toBe("unsupported-type");
      expect(e.message).toMatch(/unrecognised binary data/);
    }
    expect(refusal(Buffer.from("text with a NUL\0 byte")).code).toBe("unsupported-type");
  });

  it("a Word-like zip without word/document.xml → corrupt, saying the Word part is missing", async () => {
    const bytes = await zip({ "[Content_Types].xml": "<Types/>", "word/styles.xml": "<w:styles/>" });
    const e = refusal(bytes);
    expect(e.code).toBe("corrupt");
    expect(e.message).toMatch(/word\/document\.xml is missing/);
  });

  it("other zips → unsupported-type, named when recognisable", async () => {
    expect(refusal(await zip({ "readme.txt": "hello" }))).toMatchObject({
      code: "unsupported-type",
      message: expect.stringMatching(/^ZIP archive \(1 entries\)/) as unknown,
    });
    expect(refusal(await zip({ "[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>" })).message).toMatch(/Excel/);
    expect(refusal(await zip({ "OFD.xml": "<ofd:OFD/>" })).message).toMatch(/OFD/);
  });

  it("a truncated docx → corrupt", () => {
    const docx = fixture("docx/s038.docx");
    const e = refusal(docx.subarray(0, docx.length >> 1));
    expect(e.code).toBe("corrupt");
    expect(e.message).toMatch(/damaged ZIP archive/);
  });

  it("a truncated .doc → corrupt, saying where it was cut (not unsupported-type)", () => {
    const doc = fixture("doc/s020.doc"); // 67,584 bytes; FAT sector 128, directory sector 129
    expect(refusal(doc.subarray(0, 100))).toMatchObject({ code: "corrupt", message: expect.stringMatching(/shorter than its header$/) as unknown });
    expect(refusal(doc.subarray(0, 30_000))).toMatchObject({
      code: "corrupt",
      message: "truncated or damaged OLE compound file (.doc, .xls, .ppt): FAT sector 128 lies past the end of the file (30000 bytes)",
    });
    expect(refusal(doc.subarray(0, doc.length - 600)).message).toMatch(/: directory sector 129 lies past the end of the file \(66984 bytes\)$/);
    expect(sniff(doc)).toBe("application/msword");
  });

  it("OLE files that are not Word documents → unsupported-type; encrypted OOXML → encrypted", () => {
    const doc = fixture("doc/s020.doc");
    const notWord = renameOleEntry(doc, "WordDocument", "Workbook");
    expect(refusal(notWord)).toMatchObject({ code: "unsupported-type", message: expect.stringMatching(/Excel/) as unknown });
    const other = renameOleEntry(doc, "WordDocument", "Contents");
    expect(refusal(other).message).toMatch(/not a Word document/);
    const encrypted = renameOleEntry(doc, "WordDocument", "EncryptedPackage");
    expect(refusal(encrypted).code).toBe("encrypted");
  });
});

describe("readZipDirectory", () => {
  it("lists entries with their declared sizes", async () => {
    const bytes = await zip({ "a.txt": "hello", "dir/b.bin": new Uint8Array(1000) });
    const entries = readZipDirectory(bytes);
    expect(entries.map((e) => [e.name, e.uncompressedSize, e.method])).toEqual([
      ["a.txt", 5, 8],
      ["dir/b.bin", 1000, 8],
    ]);
    expect(entries[1]!.compressedSize).toBeLessThan(100);
  });

  it("copes with bytes prepended to the archive", async () => {
    const bytes = await zip({ "word/document.xml": "<w:document/>" });
    const prefixed = Buffer.concat([Buffer.from("MZ-self-extractor-stub".repeat(10)), bytes]);
    expect(readZipDirectory(prefixed).map((e) => e.name)).toEqual(["word/document.xml"]);
    expect(readZipDirectory(prefixed)[0]!.localHeaderOffset).toBe(220);
  });
});

describe("decodeText", () => {
  const sample = "二、主动公开政府信息情况 | 规章 | 0 |\n危及“三安全一稳定”";

  it("decodes UTF-8, with or without BOM (the BOM is dropped)", () => {
    expect(decodeText(Buffer.from(sample))).toBe(sample);
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sample)]))).toBe(sample);
  });

  it("decodes GBK / GB2312 / GB18030 bytes, declared or not", () => {
    const gbk = iconv.encode(sample, "gbk");
    expect(decodeText(gbk)).toBe(sample);
    expect(decodeText(gbk, "gb2312")).toBe(sample);
    expect(decodeText(gbk, "GBK")).toBe(sample);
    expect(decodeText(iconv.encode("𠀀字", "gb18030"))).toBe("𠀀字"); // a 4-byte GB18030 sequence
  });

  it("prefers valid UTF-8 over a wrong gb2312 declaration, and GBK over a wrong utf-8 one", () => {
    expect(decodeText(Buffer.from(sample), "gb2312")).toBe(sample);
    expect(decodeText(iconv.encode(sample, "gbk"), "utf-8")).toBe(sample);
  });

  it("honours another declared charset when the bytes are not UTF-8", () => {
    expect(decodeText(iconv.encode("年度報告", "big5"), "big5")).toBe("年度報告");
  });
});
