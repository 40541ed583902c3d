/** src/complete.ts: does an upload look cut short, from its first and last bytes. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HEAD_BYTES, TAIL_BYTES, truncation } from "../src/complete.js";
import { CORPUS } from "./support/corpus.js";

const ask = (bytes: Buffer, name: string) =>
  truncation(bytes.subarray(0, HEAD_BYTES), bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)), bytes.length, name);
const corpus = (name: string) => readFileSync(join(CORPUS, "synthetic", name));

describe("truncation", () => {
  it("takes whole corpus files as whole", () => {
    for (const name of ["s021.pdf", "s008.docx", "s020.doc", "s007.txt", "s019.html"]) expect(ask(corpus(name), name), name).toBeNull();
  });

  it("tells each kind cut short, and why", () => {
    const pdf = corpus("s021.pdf");
    expect(ask(pdf.subarray(0, pdf.length >> 1), "x.pdf")).toBe("a PDF without %%EOF at its end");
    const docx = corpus("s008.docx");
    expect(ask(docx.subarray(0, docx.length - 30), "x.docx")).toMatch(/end-of-central-directory/);
    const doc = corpus("s020.doc");
    expect(ask(doc.subarray(0, doc.length >> 1), "x.doc")).toMatch(/^a Word \.doc whose header names sector \d+, past its end$/);
    // bytes after the last sector are not a cut
    expect(ask(Buffer.concat([doc, Buffer.from("trailing tag")]), "x.doc")).toBeNull();
    const txt = corpus("s007.txt");
    const cut = Buffer.concat([txt, Buffer.from("报", "utf8").subarray(0, 2)]);
    expect(ask(cut, "x.txt")).toBe("text that ends in the middle of a UTF-8 character");
  });

  it("does not take a GBK text, or a text ending on a whole character, for a cut one", () => {
    // 报告 in GBK is B1 A8 B8 E6: ends on a byte that would start a UTF-8 sequence
    const gbk = Buffer.concat([Buffer.from([0xb1, 0xa8, 0xb8, 0xe6]).fill(0xb1, 0, 1), Buffer.from([0xc4, 0xea, 0xb6, 0xc8, 0xe6])]);
    expect(ask(gbk, "gbk.txt")).toBeNull();
    expect(ask(Buffer.from("年度报告", "utf8"), "ok.txt")).toBeNull();
    expect(ask(Buffer.alloc(0), "empty.txt")).toBeNull();
  });
});

describe("truncation of a ZIP with a comment", () => {
  it("wants the whole comment: a ZIP cut inside it is cut short", () => {
    const docx = corpus("s008.docx");
    const eocd = docx.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const comment = Buffer.from("a comment of some length");
    const withComment = Buffer.concat([docx.subarray(0, eocd + 22), comment]);
    withComment.writeUInt16LE(comment.length, eocd + 20);
    expect(ask(withComment, "c.docx")).toBeNull();
    expect(ask(withComment.subarray(0, withComment.length - 5), "c.docx")).toMatch(/end-of-central-directory/);
  });
});
