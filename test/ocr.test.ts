/**
 * The OCR reader (src/extract/ocr/) on a scanned copy of a synthetic report: JPEG pages, no
 * text layer. It is a first slice, switched on by NIANBAO_OCR=1: what it reads must be right
 * or null, never another number. Needs Debian's tesseract-ocr, tesseract-ocr-chi-sim and
 * poppler-utils (.ci/services.sh installs them).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRefusal } from "../src/document.js";
import { ocrAvailable } from "../src/extract/ocr/index.js";
import { processBytes } from "../src/process.js";
import { cases, score } from "./support/corpus.js";

const scan = cases("scanned").find((c) => c.name === "c001");
if (!scan) throw new Error("test/fixtures/corpus/scanned/c001 is missing");

describe("a scanned report, read by OCR", () => {
  const before = process.env["NIANBAO_OCR"];
  beforeAll(() => {
    process.env["NIANBAO_OCR"] = "1";
  });
  afterAll(() => {
    if (before === undefined) delete process.env["NIANBAO_OCR"];
    else process.env["NIANBAO_OCR"] = before;
  });

  it("has Tesseract with chi_sim and pdftoppm installed", () => {
    expect(ocrAvailable()).toBe(true);
  });

  it("reads the identity and the cells it is sure of, and nothing else", async () => {
    const env = await processBytes(readFileSync(scan.input), { fileName: "c001.pdf" });
    expect(env.report.agency).toBe(scan.expected.report["agency"]);
    expect(env.report.year).toBe(scan.expected.report["year"]);
    expect(env.report.format).toBe("2021");
    const s = score(scan.expected, env);
    // Every non-null cell is the printed number; the rest are null.
    expect(s.wrongValues).toEqual([]);
    expect(s.exact).toBeGreaterThanOrEqual(120);
    expect(env.validation.status).not.toBe("valid");
    // Cells OCR saw but could not read are named.
    expect(env.validation.findings.some((f) => f.rule === "T12")).toBe(true);
  }, 120_000);
});

describe("a scanned report without OCR switched on", () => {
  it("is refused as no-text-layer, naming the setting and the packages", async () => {
    const before = process.env["NIANBAO_OCR"];
    delete process.env["NIANBAO_OCR"];
    try {
      const e = await processBytes(readFileSync(scan.input)).then(
        () => null,
        (x: unknown) => x,
      );
      expect(isRefusal(e) && e.code).toBe("no-text-layer");
      expect(String((e as Error).message)).toMatch(/NIANBAO_OCR=1.*tesseract-ocr-chi-sim/);
    } finally {
      if (before !== undefined) process.env["NIANBAO_OCR"] = before;
    }
  });
});
