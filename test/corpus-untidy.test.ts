/**
 * The text reader on text nobody tidied: `pdftotext` output of every PDF of the corpus in its
 * three modes, Word's raw text and a flattened web page (test/fixtures/untidy/README.md). Such
 * text loses the grid, and often the cell order. What it cannot read must come back null with
 * a finding: no cell may hold a number other than the right one. The exact share per kind is
 * a floor, not the target.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { processBytes } from "../src/process.js";
import { expectedOf, score } from "./support/corpus.js";

const DIR = new URL("./fixtures/untidy/", import.meta.url).pathname;

/** Files and the share of their cells read exactly (a floor), per kind; measured 2026-12-01 (cairo 2026-12-02). */
const KINDS: Record<string, { files: number; floor: number }> = {
  "pdftotext-reading": { files: 17, floor: 0.75 },
  "pdftotext-reading-cairo": { files: 17, floor: 0.64 },
  "pdftotext-layout": { files: 17, floor: 0.98 },
  "pdftotext-raw": { files: 17, floor: 0.98 },
  "pdftotext-layout-printed": { files: 7, floor: 0.99 },
  "docx-rawtext": { files: 7, floor: 0.99 },
  "html-text": { files: 7, floor: 0.99 },
};

for (const [mode, kind] of Object.entries(KINDS)) {
  describe(mode, () => {
    const files = readdirSync(join(DIR, mode)).filter((f) => f.endsWith(".txt")).sort();
    let cells = 0;
    let exact = 0;
    for (const f of files) {
      it(`${f}: no cell holds a wrong number`, async () => {
        const env = await processBytes(readFileSync(join(DIR, mode, f)), { fileName: f });
        const s = score(expectedOf(basename(f, ".txt")), env);
        cells += s.cells;
        exact += s.exact;
        expect(s.wrongValues).toEqual([]);
      });
    }
    it(`reads at least ${kind.floor * 100}% of the cells exactly`, () => {
      expect(files.length).toBe(kind.files);
      expect(exact / cells).toBeGreaterThanOrEqual(kind.floor);
    });
  });
}
