/**
 * What nianbao changes in pdf.js: its worker code (src/extract/pdf/worker-patches.ts), each
 * patch of which must apply to the pdf.js that is installed, or an upgrade would silently make
 * PDFs slower; and the port between its two halves (src/extract/pdf/in-thread-port.ts), which
 * must deliver what was sent although pdf.js reuses what it sends. That neither changes any
 * extraction is checked by the PDF corpus tests.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { extractRulings } from "../src/extract/pdf/lines.js";
import { pdfjsReady, PositionedPdfParse, type PdfOperatorList, type PdfPage } from "../src/extract/pdf/pdfjs.js";
import { pdfjsBuildFile } from "../src/extract/pdf/pdfjs-dist.js";
import { applyPatches, WORKER_PATCHES, type SourcePatch } from "../src/extract/pdf/worker-patches.js";
import { InThreadPort } from "../src/extract/pdf/in-thread-port.js";

describe("pdf.js worker patches", () => {
  it("every patch applies to the installed pdf.js, each edit once", () => {
    const source = readFileSync(pdfjsBuildFile("pdf.worker.mjs"), "utf8");
    const patched = applyPatches(source, WORKER_PATCHES);
    expect(patched.missed).toEqual([]);
    expect(patched.applied).toEqual(WORKER_PATCHES.map((p) => p.id));
    const edits = WORKER_PATCHES.flatMap((p) => p.edits);
    for (const e of edits) expect(patched.source).toContain(e.replace);
    expect(patched.source.length).toBe(source.length + edits.reduce((n, e) => n + e.replace.length - e.find.length, 0));
  });

  it("a patch is applied whole or not at all: one missing or ambiguous edit leaves the patch out", () => {
    const patches: SourcePatch[] = [
      { id: "absent", why: "", edits: [{ find: "a", replace: "A!" }, { find: "nowhere", replace: "X" }] },
      { id: "twice", why: "", edits: [{ find: "b", replace: "X" }] },
      { id: "once", why: "", edits: [{ find: "c", replace: "C!" }, { find: "d", replace: "D!" }] },
    ];
    expect(applyPatches("a b c b d", patches)).toEqual({ source: "a b C! b D!", applied: ["once"], missed: ["absent", "twice"] });
  });

  it("leaves out a patch whose edit overlaps an edit already taken, or one of its own", () => {
    const patches: SourcePatch[] = [
      { id: "first", why: "", edits: [{ find: "bc", replace: "BC" }] },
      { id: "overlapping", why: "", edits: [{ find: "cd", replace: "CD" }] },
      { id: "self-overlapping", why: "", edits: [{ find: "de", replace: "DE" }, { find: "ef", replace: "EF" }] },
      { id: "after", why: "", edits: [{ find: "g", replace: "G" }] },
    ];
    expect(applyPatches("abcdefg", patches)).toEqual({ source: "aBCdefG", applied: ["first", "after"], missed: ["overlapping", "self-overlapping"] });
  });
});

/** A PDF of the given objects (numbered from 1; the first is the catalogue), with its cross-reference table. */
function pdfOf(objects: (string | { dict: string; data: Uint8Array })[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n", "latin1")];
  let length = parts[0]?.length ?? 0;
  const push = (b: Buffer) => {
    parts.push(b);
    length += b.length;
  };
  const offsets = objects.map((o, i) => {
    const at = length;
    push(Buffer.from(`${i + 1} 0 obj\n`, "latin1"));
    if (typeof o === "string") push(Buffer.from(o, "latin1"));
    else {
      push(Buffer.from(`${o.dict}\nstream\n`, "latin1"));
      push(Buffer.from(o.data));
      push(Buffer.from("\nendstream", "latin1"));
    }
    push(Buffer.from("\nendobj\n", "latin1"));
    return at;
  });
  const xref = length;
  const rows = offsets.map((at) => `${String(at).padStart(10, "0")} 00000 n \n`).join("");
  push(Buffer.from(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${rows}`, "latin1"));
  push(Buffer.from(`trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`, "latin1"));
  return Buffer.concat(parts);
}

/** What `read` makes of page 1 of the PDF, read by pdf.js as nianbao loads it; the document is closed after. */
async function onFirstPage<T>(bytes: Uint8Array, read: (page: PdfPage) => Promise<T>): Promise<T> {
  await pdfjsReady();
  const parser = new PositionedPdfParse(bytes);
  try {
    return await read(await (await parser.document()).getPage(1));
  } finally {
    await parser.destroy();
  }
}

/** Every text-layer PDF among the test fixtures (the scans have no drawing to compare). */
function fixturePdfs(): string[] {
  const root = path.join(import.meta.dirname, "fixtures");
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".pdf") && !f.includes("scanned") && !f.includes("encrypted"))
    .map((f) => path.join(root, f))
    .sort();
}

describe("drawing-in-text-pass: the text pass records what the operator list draws", () => {
  it("gives every page of every fixture PDF the same ruling lines as its operator list", async () => {
    const OPS = await pdfjsReady();
    const files = fixturePdfs();
    expect(files.length).toBeGreaterThanOrEqual(15);
    let pages = 0;
    let lines = 0;
    for (const file of files) {
      const parser = new PositionedPdfParse(new Uint8Array(readFileSync(file)));
      try {
        const doc = await parser.document();
        for (let n = 1; n <= doc.numPages; n++) {
          const page = await doc.getPage(n);
          const viewport = page.getViewport({ scale: 1 }).transform;
          const last = (await page.getTextContent()).items.at(-1) as { type?: string } & PdfOperatorList;
          expect(last.type, `${path.basename(file)} page ${n}`).toBe("nianbaoDrawing");
          const recorded = extractRulings(last, OPS, viewport);
          const listed = extractRulings(await page.getOperatorList(), OPS, viewport);
          expect(recorded, `${path.basename(file)} page ${n}`).toEqual(listed);
          pages++;
          lines += listed.h.length + listed.v.length;
        }
      } finally {
        await parser.destroy();
      }
    }
    // The comparison is only worth something if the pages draw tables.
    expect(pages).toBeGreaterThan(60);
    expect(lines).toBeGreaterThan(2000);
  });

  it("closes a form whose reading fails, so that the lines drawn after it stay where they are", async () => {
    // Form 5 is moved by (100, 100) and paints itself: pdf.js reads it once, refuses the
    // circular second reading and goes on. The line after it is drawn on the page itself.
    const form = Buffer.from("/Fm Do", "latin1");
    const page = Buffer.from("/Fm Do 1 w 50 500 m 550 500 l S", "latin1");
    const bytes = pdfOf([
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Fm 5 0 R >> >> /Contents 4 0 R >>",
      { dict: `<< /Length ${page.length} >>`, data: page },
      { dict: `<< /Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [1 0 0 1 100 100] /Resources << /XObject << /Fm 5 0 R >> >> /Length ${form.length} >>`, data: form },
    ]);
    const OPS = await pdfjsReady();
    await onFirstPage(bytes, async (p) => {
      const last = (await p.getTextContent()).items.at(-1) as { type?: string } & PdfOperatorList;
      expect(last.type).toBe("nianbaoDrawing");
      expect(extractRulings(last, OPS, p.getViewport({ scale: 1 }).transform)).toEqual({ h: [{ y: 292, x0: 50, x1: 550 }], v: [] });
    });
  });
});

describe("InThreadPort (pdf.js's two halves in one thread)", () => {
  /** Posts `message`, lets the sender do `after` at once (as pdf.js does), and returns what arrives. */
  async function received(message: unknown, after: () => void): Promise<unknown> {
    const port = new InThreadPort();
    const got = new Promise<unknown>((resolve) => port.addEventListener("message", (e) => resolve(e.data)));
    port.postMessage(message);
    after();
    return got;
  }

  it("hands a text chunk over whole although the sender then gives it new items", async () => {
    const chunk: { items: unknown[]; styles: Record<string, unknown>; lang: null } = { items: [{ str: "公开" }], styles: { f1: { vertical: false } }, lang: null };
    const got = await received({ stream: 3, streamId: 1, chunk }, () => {
      chunk.items = [];
      chunk.styles = {};
    });
    expect(got).toEqual({ stream: 3, streamId: 1, chunk: { items: [{ str: "公开" }], styles: { f1: { vertical: false } }, lang: null } });
  });

  it("hands an operator-list chunk over whole although the sender then empties its arrays", async () => {
    const fnArray = [91, 44];
    const argsArray: unknown[] = [[1, 2], null];
    const got = await received({ stream: 3, chunk: { fnArray, argsArray, length: 2, lastChunk: true } }, () => {
      fnArray.length = 0;
      argsArray.length = 0;
    });
    expect(got).toEqual({ stream: 3, chunk: { fnArray: [91, 44], argsArray: [[1, 2], null], length: 2, lastChunk: true } });
  });

  it("copies a message of primitive values, so that the sender may change its object after", async () => {
    const pull: Record<string, unknown> = { sourceName: "main", targetName: "worker", stream: 6, streamId: 3, desiredSize: 1 };
    const got = await received(pull, () => {
      pull.desiredSize = 0;
    });
    expect(got).toEqual({ sourceName: "main", targetName: "worker", stream: 6, streamId: 3, desiredSize: 1 });
  });

  it("clones any other message, as a real port would", async () => {
    const data = { pageIndex: 0, view: [0, 0, 595, 842] };
    const got = await received({ action: "GetPage", data }, () => {
      data.view[2] = 0;
    });
    expect(got).toEqual({ action: "GetPage", data: { pageIndex: 0, view: [0, 0, 595, 842] } });
  });
});

describe("InThreadPort listeners", () => {
  it("drops a listener when the signal it came with is aborted, as pdf.js ends a document's handler", async () => {
    const port = new InThreadPort();
    const heard: unknown[] = [];
    const ac = new AbortController();
    port.addEventListener("message", (e) => heard.push(e.data), { signal: ac.signal });
    port.postMessage({ action: "one" });
    await new Promise((r) => setTimeout(r, 0));
    ac.abort();
    port.postMessage({ action: "two" });
    await new Promise((r) => setTimeout(r, 0));
    expect(heard).toEqual([{ action: "one" }]);
  });
});

describe("type3-without-glyph-programs: a Type3 font's box comes out as pdf.js makes it", () => {
  /** The text items of page 1, as [text, height, transform]. */
  async function textItems(file: string): Promise<unknown[]> {
    const bytes = new Uint8Array(readFileSync(path.join(import.meta.dirname, "fixtures/pdf/type3", file)));
    return onFirstPage(bytes, async (page) => {
      const items = (await page.getTextContent()).items as { str?: string; height?: number; transform?: number[] }[];
      return items.filter((i) => typeof i.str === "string").map((i) => [i.str, i.height, i.transform]);
    });
  }

  it("takes the glyph boxes as the font's box when they are far larger (read from each glyph's first operator)", async () => {
    expect(await textItems("big-glyph-box.pdf")).toEqual([["AB", 90, [100, 0, 0, 90, 72, 700]]]);
  });

  it("keeps the font's own box when the glyph boxes fit in it", async () => {
    expect(await textItems("normal.pdf")).toEqual([["AB", 100, [100, 0, 0, 100, 72, 700]]]);
  });

  it("keeps the font, and its text, when one glyph program cannot be fetched (pdf.js without the patch gives no text)", async () => {
    expect(await textItems("broken-glyph.pdf")).toEqual([["AB", 100, [100, 0, 0, 100, 72, 700]]]);
  });
});

describe("native-inflate: Flate streams inflated by Node's zlib, and by pdf.js's own inflater when that fails", () => {
  /** A one-page PDF whose content stream is `stream`, Flate-encoded (as given: it may be damaged). */
  function pdfWithContent(stream: Uint8Array): Uint8Array {
    return pdfOf([
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
      { dict: `<< /Length ${stream.length} /Filter /FlateDecode >>`, data: stream },
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]);
  }

  async function pageText(bytes: Uint8Array): Promise<string> {
    return onFirstPage(bytes, async (page) => {
      const items = (await page.getTextContent()).items as { str?: string }[];
      return items.map((i) => i.str ?? "").join("");
    });
  }

  const content = Buffer.from("BT /F1 24 Tf 72 700 Td (Hello, inflated) Tj ET", "latin1");
  const good = deflateSync(content);

  it("reads a well-formed stream", async () => {
    expect(await pageText(pdfWithContent(good))).toBe("Hello, inflated");
  });

  it("reads a stream without its checksum, which zlib refuses, through pdf.js's inflater", async () => {
    expect(await pageText(pdfWithContent(good.subarray(0, good.length - 4)))).toBe("Hello, inflated");
  });

  it("reads a stream with a wrong checksum, which zlib refuses, through pdf.js's inflater", async () => {
    const bad = Buffer.from(good);
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
    expect(await pageText(pdfWithContent(bad))).toBe("Hello, inflated");
  });
});

describe("no-canvas: pdf.js loads without its canvas library", () => {
  it("maps no native addon into the process, prints no polyfill warning, and still reads a PDF", () => {
    const pdfjs = new URL("../dist/src/extract/pdf/pdfjs.js", import.meta.url).href;
    const extract = new URL("../dist/src/extract/index.js", import.meta.url).href;
    const pdf = path.join(import.meta.dirname, "fixtures", "corpus", "synthetic", "s004.pdf");
    const script = `
      const { pdfjsReady } = await import(${JSON.stringify(pdfjs)});
      await pdfjsReady();
      const { extract } = await import(${JSON.stringify(extract)});
      const { readFileSync } = await import("node:fs");
      const doc = await extract(new Uint8Array(readFileSync(${JSON.stringify(pdf)})), "application/pdf");
      const addons = readFileSync("/proc/self/maps", "utf8").split("\\n").filter((l) => l.endsWith(".node"));
      console.log(JSON.stringify({ addons, pages: doc.pages, tables: doc.blocks.filter((b) => b.kind === "table").length }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ addons: [], pages: 5, tables: 3 });
  });
});
