/**
 * The changes nianbao makes to pdf.js's worker code (src/extract/pdf/worker-patches.ts): each
 * must apply to the pdf.js that is installed, or an upgrade would silently make PDFs slower.
 * What the patches change in the output (nothing) is checked by the PDF corpus tests.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pdfjsBuildFile } from "../src/extract/pdf/pdfjs.js";
import { applyPatches, WORKER_PATCHES, type SourcePatch } from "../src/extract/pdf/worker-patches.js";

describe("pdf.js worker patches", () => {
  it("every patch applies to the installed pdf.js, once", () => {
    const source = readFileSync(pdfjsBuildFile("pdf.worker.mjs"), "utf8");
    const patched = applyPatches(source, WORKER_PATCHES);
    expect(patched.missed).toEqual([]);
    expect(patched.applied).toEqual(WORKER_PATCHES.map((p) => p.id));
    for (const p of WORKER_PATCHES) expect(patched.source).toContain(p.replace);
    expect(patched.source.length).toBe(
      source.length + WORKER_PATCHES.reduce((n, p) => n + p.replace.length - p.find.length, 0),
    );
  });

  it("a patch whose text is missing or ambiguous is left out, and the others still apply", () => {
    const patches: SourcePatch[] = [
      { id: "absent", why: "", find: "nowhere", replace: "X" },
      { id: "twice", why: "", find: "b", replace: "X" },
      { id: "once", why: "", find: "c", replace: "C!" },
    ];
    expect(applyPatches("a b c b", patches)).toEqual({ source: "a b C! b", applied: ["once"], missed: ["absent", "twice"] });
  });
});
