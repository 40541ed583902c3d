/**
 * Scanned reports through the OCR reader (on by default; NIANBAO_OCR=0 would switch it off): CPU seconds per page for the whole
 * process tree (this process and the pdftoppm and Tesseract processes it waits for, from
 * /proc/self/stat), against the goal of at most 3 s per page.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ocrAvailable } from "../../src/extract/ocr/index.js";
import { extractBytes } from "../../src/process.js";
import { corpusDir } from "../corpus.js";
import type { Cell, Section, SectionResult } from "../section.js";
import { cpuSeconds } from "../proc.js";
import { median } from "../stats.js";

export const scannedSection: Section = {
  id: "scanned",
  title: "Scanned PDFs through the OCR reader: CPU per page, whole process tree",
  selectors: ["ocr"],
  skip() {
    // The default (on), whatever the calling shell set.
    delete process.env["NIANBAO_OCR"];
    if (!ocrAvailable()) return "tesseract-ocr, tesseract-ocr-chi-sim or poppler-utils is not installed";
    if (!existsSync(join(corpusDir(), "scanned"))) return "no test/fixtures/corpus/scanned";
    return undefined;
  },
  async run(ctx): Promise<SectionResult> {
    delete process.env["NIANBAO_OCR"];
    const dir = join(corpusDir(), "scanned");
    const rows: Record<string, Cell>[] = [];
    const perPage: number[] = [];
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".pdf")).sort()) {
      ctx.log(`scanned: ${f}`);
      const before = cpuSeconds("self", { children: true });
      const t0 = performance.now();
      const e = await extractBytes(readFileSync(join(dir, f)), { fileName: f });
      const cpu = cpuSeconds("self", { children: true }) - before;
      const pages = e.document.pages ?? 1;
      perPage.push(cpu / pages);
      rows.push({ file: f, pages, wall: (performance.now() - t0) / 1000, cpu, perPage: cpu / pages });
    }
    const middle = median(perPage);
    ctx.metrics.set("scanned.cpuPerPageMedian", middle);
    return {
      tables: [
        {
          columns: [
            { key: "file", label: "file" },
            { key: "pages", label: "pages", digits: 0 },
            { key: "wall", label: "wall s", digits: 1 },
            { key: "cpu", label: "CPU s (tree)", digits: 1 },
            { key: "perPage", label: "CPU s/page", digits: 2 },
          ],
          rows,
        },
      ],
      notes: [`median CPU per page: ${middle.toFixed(2)} s (goal ≤ 3 s); extraction only (reconstruct is measured elsewhere)`],
    };
  },
};
