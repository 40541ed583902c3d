/**
 * The text reader on text nobody tidied: `pdftotext` output of every PDF of the corpus, in its
 * three modes (test/fixtures/pdftotext/README.md). Such text loses the grid, and often the
 * cell order. What it cannot read must come back null with a finding: no cell may hold a
 * number other than the right one. The exact share per mode is a floor, not the target.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { processBytes } from "../src/process.js";
import { CORPUS, score, type Expected } from "./support/corpus.js";

const DIR = new URL("./fixtures/pdftotext/", import.meta.url).pathname;

/** Share of the expected cells read exactly, per mode (measured 2026-12-01, pdftotext 22.12). */
const FLOOR: Record<string, number> = { reading: 0.75, layout: 0.98, raw: 0.98 };

function expectedOf(name: string): Expected {
  for (const folder of ["synthetic", "real"]) {
    try {
      return JSON.parse(readFileSync(join(CORPUS, folder, `${name}.expected.json`), "utf8")) as Expected;
    } catch {
      // not in this folder
    }
  }
  throw new Error(`no expected file for ${name}`);
}

for (const mode of Object.keys(FLOOR)) {
  describe(`pdftotext ${mode === "reading" ? "(reading order, the default)" : `-${mode}`}`, () => {
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
    it(`reads at least ${FLOOR[mode]! * 100}% of the cells exactly`, () => {
      expect(files.length).toBe(17);
      expect(exact / cells).toBeGreaterThanOrEqual(FLOOR[mode]!);
    });
  });
}
