/**
 * pdf.js's main bundle loads @napi-rs/canvas as it is imported, to give Node the DOMMatrix,
 * ImageData and Path2D that rendering needs. nianbao never renders a page, and loading that
 * native library cost a one-file run about 30 ms of CPU and 20 MB of memory (and started the
 * library's own threads). Like natives.ts, this module must be imported before pdf-parse: it
 * puts a stand-in for @napi-rs/canvas in Node's module cache (documented: `require.cache` entries may be added),
 * so pdf.js's `require("@napi-rs/canvas")` gets it instead, and installs empty stand-ins for the
 * three globals, so that pdf.js does not warn that it cannot polyfill them. pdf.js constructs
 * one DOMMatrix as it loads; anything that did try to render would fail on a missing method.
 *
 * Where @napi-rs/canvas is not installed, nothing is done here (pdf.js then warns, as before).
 */
import { createRequire } from "node:module";
import { pdfjsBuildFile } from "./pdfjs-dist.js";

/** Constructible (pdf.js makes one DOMMatrix as it loads), with none of the methods drawing calls. */
class NoRendering {}

function standIn(): void {
  let resolved: string;
  try {
    // Resolved as pdf.js resolves it: from its main bundle.
    resolved = createRequire(pdfjsBuildFile("pdf.mjs")).resolve("@napi-rs/canvas");
  } catch {
    return;
  }
  const cache = createRequire(import.meta.url).cache;
  if (cache[resolved] === undefined) {
    cache[resolved] = {
      id: resolved,
      filename: resolved,
      loaded: true,
      exports: { DOMMatrix: NoRendering, ImageData: NoRendering, Path2D: NoRendering },
    } as unknown as NodeJS.Module;
  }
  const g = globalThis as Record<string, unknown>;
  for (const name of ["DOMMatrix", "ImageData", "Path2D"]) g[name] ??= NoRendering;
}

standIn();
