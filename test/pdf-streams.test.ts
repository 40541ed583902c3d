/**
 * The PDF stream guard (src/extract/pdf/streams.ts): a flate bomb is refused as too-large
 * before pdf.js sees it, in bounded memory, whatever filters wrap it; ordinary PDFs pass.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createDeflate, deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { extractPdf } from "../src/extract/pdf.js";
import { guardPdfStreams } from "../src/extract/pdf/streams.js";
import { buildPdf, pdfText } from "./support/pdf.js";
import { rejection } from "./support/refusal.js";

const MiB = 1024 * 1024;
const TEXT = `${pdfText(72, 720, "bomb")}\n`;
const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
/** A page whose text is followed by `mib` MiB of spaces, deflated (zlib format). */
const bombContent = (mib: number) => deflateSync(Buffer.concat([Buffer.from(TEXT), Buffer.alloc(mib * MiB, 0x20)]), { level: 9 });

/** ASCII85 encoding (PDF's ASCII85Decode reverses it), with `z` for zero groups. */
function ascii85(b: Uint8Array): string {
  let out = "";
  for (let i = 0; i < b.length; i += 4) {
    const n = Math.min(4, b.length - i);
    let v = 0;
    for (let k = 0; k < 4; k++) v = v * 256 + (k < n ? (b[i + k] as number) : 0);
    if (v === 0 && n === 4) {
      out += "z";
      continue;
    }
    const digits: string[] = [];
    for (let k = 0; k < 5; k++) {
      digits.unshift(String.fromCharCode(33 + (v % 85)));
      v = Math.floor(v / 85);
    }
    out += digits.slice(0, n + 1).join("");
  }
  return `${out}~>`;
}

/** LZW encoding as PDF's LZWDecode reads it (9–12-bit codes, MSB first, EarlyChange 1), starting with a clear code. */
function lzw(data: Uint8Array): string {
  const out: number[] = [];
  let acc = 0;
  let nbits = 0;
  let emitted = 0; // codes since the clear code, which set the decoder's table size
  const put = (code: number) => {
    const next = 258 + Math.max(0, emitted - 1);
    let width = 9;
    while (next + 1 >= 1 << width && width < 12) width++;
    acc = (acc << width) | code;
    nbits += width;
    while (nbits >= 8) {
      out.push((acc >>> (nbits - 8)) & 0xff);
      nbits -= 8;
    }
    acc &= (1 << nbits) - 1;
    emitted++;
  };
  put(256);
  emitted = 0;
  const table = new Map<number, number>();
  let next = 258;
  let w = data[0] as number;
  for (let i = 1; i < data.length; i++) {
    const k = data[i] as number;
    const found = table.get(w * 256 + k);
    if (found !== undefined) {
      w = found;
      continue;
    }
    put(w);
    if (next < 4096) table.set(w * 256 + k, next++);
    w = k;
  }
  put(w);
  put(257);
  if (nbits > 0) out.push((acc << (8 - nbits)) & 0xff);
  return Buffer.from(out).toString("latin1");
}

const OPTS = { maxPages: 500, maxExpandedBytes: 4 * MiB, deadline: Infinity };

describe("PDF stream guard", () => {
  it("refuses a content stream that inflates past MAX_EXPANDED_BYTES, naming the object; reads it under a larger limit", async () => {
    const pdf = buildPdf([latin1(bombContent(16))], { filter: "FlateDecode" });
    expect(pdf.length).toBeLessThan(64 * 1024);
    const e = await rejection(extractPdf(pdf, OPTS));
    expect(e.code).toBe("too-large");
    expect(e.message).toBe(`PDF streams inflate past the limit of ${4 * MiB} bytes (object 4 0)`);
    // The same file is a readable PDF: under a limit it fits, pdf.js reads its text.
    const doc = await extractPdf(pdf, { ...OPTS, maxExpandedBytes: 32 * MiB });
    expect(doc.blocks.map((b) => (b.kind === "text" ? b.text : ""))).toContain("bomb");
  });

  it("counts every page's streams against one budget", async () => {
    const page = latin1(bombContent(1.5)); // 1.5 MiB each: one fits 4 MiB, three do not
    await expect(guardPdfStreams(buildPdf([page], { filter: "FlateDecode" }), 4 * MiB)).resolves.toMatchObject({ streams: 1 });
    const e = await rejection(guardPdfStreams(buildPdf([page, page, page], { filter: "FlateDecode" }), 4 * MiB));
    expect(e.message).toMatch(/^PDF streams inflate past the limit of 4194304 bytes \(object \d+ 0\)$/);
  });

  it("follows the filters a bomb hides behind: deflated twice, ASCII85 around deflate, abbreviations", async () => {
    const twice = buildPdf([latin1(deflateSync(bombContent(16)))], { filter: "[/FlateDecode /FlateDecode]" });
    expect((await rejection(guardPdfStreams(twice, 4 * MiB))).code).toBe("too-large");
    const a85 = buildPdf([ascii85(bombContent(16))], { filter: "[/A85 /Fl]" });
    expect((await rejection(guardPdfStreams(a85, 4 * MiB))).message).toMatch(/^PDF streams inflate past the limit/);
    // …and the same encodings of a small page pass, measured.
    const small = buildPdf([ascii85(deflateSync(TEXT))], { filter: "[/ASCII85Decode /FlateDecode]" });
    await expect(guardPdfStreams(small, 4 * MiB)).resolves.toMatchObject({ streams: 1, measured: 1, expanded: TEXT.length });
  });

  it("counts LZWDecode from its codes, as pdf.js decodes it", async () => {
    const page = Buffer.concat([Buffer.from(TEXT), Buffer.alloc(3 * MiB)]);
    const pdf = buildPdf([lzw(page)], { filter: "LZWDecode" });
    expect(pdf.length).toBeLessThan(64 * 1024);
    expect((await rejection(guardPdfStreams(pdf, MiB))).message).toBe(`PDF streams inflate past the limit of ${MiB} bytes (object 4 0)`);
    await expect(guardPdfStreams(pdf, 4 * MiB)).resolves.toMatchObject({ streams: 1, measured: 1, expanded: page.length });
    const doc = await extractPdf(pdf, OPTS);
    expect(doc.blocks.map((b) => (b.kind === "text" ? b.text : ""))).toContain("bomb");
  });

  it("holds an image stream to its raster: a 10×10 image may not inflate to 1 MiB", async () => {
    const pdf = buildPdf([TEXT], { xobjects: { Im1: { width: 10, height: 10, data: new Uint8Array(MiB) } } });
    const e = await rejection(guardPdfStreams(pdf, 200 * MiB));
    expect(e.message).toBe("PDF image stream inflates past its 1434-byte raster (object 4 0)");
    const honest = buildPdf([TEXT], { xobjects: { Im1: { width: 10, height: 10, data: new Uint8Array(100) } } });
    await expect(guardPdfStreams(honest, 200 * MiB)).resolves.toMatchObject({ streams: 1 });
  });

  it("refuses a 400 MiB bomb in bounded memory", async () => {
    // 400 MiB of zeros, deflated a MiB at a time: about 400 KB, never 400 MiB in memory here.
    const z = createDeflate({ level: 9 });
    const chunks: Buffer[] = [];
    z.on("data", (c: Buffer) => chunks.push(c));
    const zero = Buffer.alloc(MiB);
    for (let i = 0; i < 400; i++) if (!z.write(zero)) await new Promise((r) => z.once("drain", r));
    await new Promise<void>((r) => z.end(() => r()));
    const pdf = buildPdf([latin1(Buffer.concat(chunks))], { filter: "FlateDecode" });
    const before = process.memoryUsage();
    const e = await rejection(guardPdfStreams(pdf, 200 * MiB));
    const after = process.memoryUsage();
    expect(e.message).toBe(`PDF streams inflate past the limit of ${200 * MiB} bytes (object 4 0)`);
    // 200 MiB were inflated and counted; chunks not yet collected are all that may remain.
    expect(after.rss - before.rss).toBeLessThan(64 * MiB);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
  });

  it("passes every PDF fixture under the default limit, inflating few of their streams", async () => {
    const dirs = ["fixtures/corpus/synthetic", "fixtures/corpus/real", "fixtures/pdf/cairo", "fixtures/pdf/chromium-print"];
    let streams = 0;
    let measured = 0;
    for (const dir of dirs) {
      const abs = new URL(`./${dir}/`, import.meta.url).pathname;
      for (const f of readdirSync(abs).filter((n) => n.endsWith(".pdf"))) {
        const t = await guardPdfStreams(readFileSync(join(abs, f)), 200 * MiB);
        expect(t.expanded).toBeLessThanOrEqual(200 * MiB);
        streams += t.streams;
        measured += t.measured;
      }
    }
    expect(streams).toBeGreaterThan(5000);
    expect(measured).toBeLessThan(streams / 4);
  });
});
