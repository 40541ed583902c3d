/**
 * Where the pdfjs-dist that pdf-parse itself loads is (hoisted or nested under pdf-parse):
 * resolved from pdf-parse's own location, so that the CMaps, the worker code, the `OPS` table
 * and what pdf.js `require`s (no-canvas.ts) are those of its pdf.js. A module of its own
 * because no-canvas.ts needs it before pdfjs.ts runs.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

export const pdfjsDir: string = (() => {
  const fromPdfParse = createRequire(createRequire(import.meta.url).resolve("pdf-parse"));
  return path.dirname(fromPdfParse.resolve("pdfjs-dist/package.json"));
})();

/** A file of the pdf.js build pdf-parse loads (the "legacy" build, for Node). */
export function pdfjsBuildFile(name: string): string {
  return path.join(pdfjsDir, "legacy", "build", name);
}

let version: string | undefined;

/** That pdf.js's version (its package.json, read once). */
export function pdfjsVersion(): string {
  version ??= String((JSON.parse(readFileSync(path.join(pdfjsDir, "package.json"), "utf8")) as { version?: unknown }).version);
  return version;
}
