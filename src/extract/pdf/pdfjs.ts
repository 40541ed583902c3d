/**
 * Loading a PDF with pdf-parse's bundled pdf.js, configured for Chinese government PDFs,
 * and small typed views of the pdf.js objects the extractor uses.
 *
 * Why each setting matters:
 * - `cMapUrl` + `cMapPacked`: many 公文 PDFs use non-embedded Chinese fonts with the
 *   `GBK-EUC-H` / `UniGB-UCS2-H` encodings and no ToUnicode map. Without CMaps pdf.js returns
 *   *empty text, with no error*.
 * - `standardFontDataUrl`: the font programs pdf.js substitutes for non-embedded standard
 *   fonts (Helvetica, Times …); without them it warns and guesses glyph mappings.
 * - Both are read once per process (the caching factories below), not once per document.
 * - `isEvalSupported: false`: untrusted input (pdf.js CVE-2024-4367, font-program eval).
 * - `maxImageSize: 0`: we never look at images, and decoding a scanned page or a seal image is
 *   the most expensive thing pdf.js does while building an operator list. pdf.js skips
 *   (with a warning, not an error) every image larger than this many pixels.
 * - `disableFontFace: false` with a stand-in `ownerDocument` (FONT_SINK below): see there.
 */
// natives.js must come first: it keeps the built-ins that pdf.js's bundled core-js replaces;
// no-canvas.js next: it keeps pdf.js from loading a canvas library we never draw with.
import { restoreNatives } from "./natives.js";
import "./no-canvas.js";
// pdf.js's main bundle, the copy pdf-parse loads (pdfjsReady() checks that it is): imported by
// name, not by path, so that the parser thread's bundle holds it (scripts/bundle-thread.mjs).
import * as pdfjsMain from "pdfjs-dist/legacy/build/pdf.mjs";
// Not pdf-parse/worker: it loads pdf.js's worker code unpatched (and a second, minified copy
// as a data URL). pdfjsReady() below loads the worker code itself, with worker-patches.ts;
// pdf.js's main bundle would install DOMMatrix and Path2D from @napi-rs/canvas (no-canvas.ts).
import { PDFParse, type LoadParameters } from "pdf-parse";
import { applyPatches, WORKER_PATCHES } from "./worker-patches.js";
import { inThreadWorker, type PdfWorkerClass, type WorkerMessageHandlerClass } from "./in-thread-port.js";
import { scratchDir } from "../programs.js";
import { asScript, codeCacheDir, runCached, type CachedModule } from "./code-cache.js";
import { pdfjsBuildFile, pdfjsDir, pdfjsVersion } from "./pdfjs-dist.js";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/* ------------------------------------------------------------------------------------------ */
/* Typed views of pdf.js objects (only the members we use).                                   */
/* ------------------------------------------------------------------------------------------ */

export type Matrix = [number, number, number, number, number, number];

export interface PdfTextItem {
  str: string;
  /** Text space → user space: [a, b, c, d, e, f]; (e, f) is the baseline origin. */
  transform: number[];
  /** Advance along the text direction, user-space units. */
  width: number;
  /** Font size, user-space units (0 for pdf.js's synthetic space/EOL items). */
  height: number;
  /** pdf.js's id of the font (a key of the text content's `styles`). */
  fontName?: string;
}

export interface PdfTextContent {
  items: unknown[];
  /** Per font id; `vertical` for vertical-writing fonts. */
  styles: Record<string, { vertical?: boolean } | undefined>;
}

export interface PdfOperatorList {
  fnArray: number[];
  argsArray: unknown[];
}

export interface PdfViewport {
  width: number;
  height: number;
  /** User space → display space (y down, origin at the top-left of the page as shown). */
  transform: number[];
}

export interface PdfPage {
  /** The page's /Rotate, degrees clockwise. */
  rotate: number;
  /** `rotation` overrides /Rotate. */
  getViewport(params: { scale: number; rotation?: number }): PdfViewport;
  getTextContent(): Promise<PdfTextContent>;
  getOperatorList(): Promise<PdfOperatorList>;
  cleanup(): boolean | void;
}

export interface PdfDocument {
  numPages: number;
  getPage(pageNumber: number): Promise<PdfPage>;
}

/** pdf.js operator codes (`OPS`), by name. */
export type OpsTable = Readonly<Record<string, number>>;

export function isTextItem(x: unknown): x is PdfTextItem {
  if (typeof x !== "object" || x === null) return false;
  const o = x as Record<string, unknown>;
  return typeof o.str === "string" && Array.isArray(o.transform) && typeof o.width === "number";
}

/* ------------------------------------------------------------------------------------------ */
/* pdf.js's data files (pdfjs-dist.ts finds pdf.js).                                           */
/* ------------------------------------------------------------------------------------------ */

/** pdf.js wants a directory string with a trailing separator; a plain path works in Node. */
const CMAP_DIR = path.join(pdfjsDir, "cmaps") + path.sep;
const STANDARD_FONT_DIR = path.join(pdfjsDir, "standard_fonts") + path.sep;

let ready: Promise<OpsTable> | undefined;
/** pdf.js's worker half, in this thread (in-thread-port.ts); set by pdfjsReady(). */
let worker: object | undefined;
/** pdf.js's log level: errors only (its warnings are about the PDF, and nianbao reports what matters). */
const VERBOSITY = 0;

/**
 * Once per thread: load pdf.js's worker code with worker-patches.ts applied, load the main
 * bundle, put back the built-ins their core-js replaced, join the two halves through an
 * InThreadPort (in-thread-port.ts), and return pdf.js's `OPS` table (from the same module
 * instance pdf-parse uses).
 *
 * The patched source is run through V8's code cache (code-cache.ts); should a later pdf.js
 * not be a bundle of the shape that takes, it is imported from a private temporary copy.
 */
export function pdfjsReady(): Promise<OpsTable> {
  ready ??= (async () => {
    const { source, missed } = applyPatches(readFileSync(pdfjsBuildFile("pdf.worker.mjs"), "utf8"), WORKER_PATCHES);
    if (missed.length > 0) {
      process.emitWarning(`pdf.js ${pdfjsVersion()} does not take these patches, so PDFs are read more slowly: ${missed.join(", ")}`);
    }
    const half = (await loadWorkerCode(source)) as { WorkerMessageHandler: WorkerMessageHandlerClass };
    const mod = pdfjsMain as unknown as { OPS: OpsTable; PDFWorker: PdfWorkerClass; version: string };
    if (mod.version !== pdfjsVersion()) {
      throw new Error(`pdf.js ${mod.version} is not the ${pdfjsVersion()} that pdf-parse loads: install one pdfjs-dist (npm dedupe)`);
    }
    restoreNatives();
    worker = inThreadWorker(half.WorkerMessageHandler, mod.PDFWorker, VERBOSITY);
    return mod.OPS;
  })();
  return ready;
}

/** pdf.js's worker code, when it was run through the code cache. */
let workerCode: CachedModule | undefined;

/** Writes the code cache of pdf.js's worker code if it was missing: called after a document. */
export function saveCodeCache(): void {
  workerCode?.save();
}

async function loadWorkerCode(source: string): Promise<unknown> {
  const script = asScript(source);
  const url = pathToFileURL(pdfjsBuildFile("pdf.worker.mjs")).href;
  const cached = script === null ? null : runCached(script, `pdf.worker-${pdfjsVersion()}`, url, codeCacheDir());
  if (cached !== null) {
    workerCode = cached;
    return cached.exports;
  }
  // Without its source-map comment: the map does not fit the patched copy, and is not beside it.
  return importSource(source.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, "\n"), "pdf.worker.mjs");
}

/**
 * Import a module from its source text. Written to a fresh private scratch folder (mkdtemp,
 * mode 0700; a parser thread stopped mid-import has it removed by the pool) and imported from
 * there, then removed: a data: URL would need no file, but Node takes about 80 ms longer to
 * load 2 MB that way.
 */
async function importSource(source: string, name: string): Promise<unknown> {
  const dir = scratchDir("pdfjs");
  try {
    const file = path.join(dir, name);
    writeFileSync(file, source, { mode: 0o600 });
    return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as unknown;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Process-wide caches for CMaps and standard fonts.                                            */
/* ------------------------------------------------------------------------------------------ */

/*
 * pdf.js asks the main thread for every CMap / standard font a document needs, per document.
 * These factories read each file from disk once per process. pdf.js may transfer the bytes
 * it gets to its worker (detaching the buffer), so each request gets its own copy.
 */
const fileCache = new Map<string, Uint8Array>();

function cachedRead(file: string): Uint8Array {
  let bytes = fileCache.get(file);
  if (!bytes) {
    bytes = new Uint8Array(readFileSync(file));
    fileCache.set(file, bytes);
  }
  return bytes.slice();
}

class CachedCMapReaderFactory {
  async fetch({ name }: { name: string }): Promise<{ cMapData: Uint8Array; isCompressed: boolean }> {
    // CMap names come from the PDF: keep them to plain file names inside the cmaps folder.
    if (!/^[\w.-]+$/.test(name)) throw new Error(`Unexpected CMap name: ${name}`);
    return { cMapData: cachedRead(`${CMAP_DIR}${name}.bcmap`), isCompressed: true };
  }
}

class CachedStandardFontDataFactory {
  async fetch({ filename }: { filename: string }): Promise<Uint8Array> {
    if (!/^[\w.-]+$/.test(filename)) throw new Error(`Unexpected font file name: ${filename}`);
    return cachedRead(`${STANDARD_FONT_DIR}${filename}`);
  }
}

/*
 * With `disableFontFace` (its default in Node), pdf.js turns every glyph a page uses into a
 * path while building the operator list, in case it is rendered: ~20% of the extraction time
 * of a WPS report. With font faces enabled, it instead hands each font to the document as a
 * font face, and then a page has nothing more to do for its fonts. Node has no document, so
 * this stand-in takes the font faces and drops them (we never render).
 *
 * It offers the Font Loading API (`document.fonts` and a `FontFace` class), because without it
 * pdf.js writes each font program out as a base64 `@font-face` rule, through core-js's
 * JavaScript base64: ~10% of the CPU of a one-file run. `FontFace` is installed on globalThis
 * only where there is none (pdf.js calls it by its global name); it keeps nothing.
 * If pdf.js used more of either, font loading would fail and pdf.js would fall back to glyph
 * paths: slower, never wrong.
 */
class DroppedFontFace {
  readonly loaded: Promise<DroppedFontFace>;
  constructor(readonly family: string) {
    this.loaded = Promise.resolve(this);
  }
}
const globals = globalThis as { FontFace?: unknown };
globals.FontFace ??= DroppedFontFace;

const FONT_SINK = {
  fonts: { add: () => undefined, delete: () => undefined },
  createElement: () => ({ sheet: { cssRules: { length: 0 }, insertRule: () => 0 }, remove: () => undefined }),
  documentElement: { getElementsByTagName: () => [{ append: () => undefined }] },
};

/* ------------------------------------------------------------------------------------------ */
/* The parser.                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/**
 * pdf-parse's PDFParse, exposing the pdf.js document it loads, so that one parse of the file
 * serves both positioned text (`getTextContent`) and drawn lines (recorded by the same text
 * pass, worker-patches.ts; `getOperatorList` where that recording is missing).
 *
 * `load()` and `doc` are declared `private` in pdf-parse's typings (plain fields at run time);
 * the cast below is the one place that relies on them.
 */
export class PositionedPdfParse extends PDFParse {
  /** Call pdfjsReady() first. */
  constructor(bytes: Uint8Array) {
    if (!worker) throw new Error("pdf.js is not loaded: await pdfjsReady() first");
    super({
      worker: worker as LoadParameters["worker"],
      // pdf.js may detach the buffer it is given: never hand it the caller's bytes.
      data: bytes.slice(),
      cMapUrl: CMAP_DIR,
      cMapPacked: true,
      standardFontDataUrl: STANDARD_FONT_DIR,
      CMapReaderFactory: CachedCMapReaderFactory,
      StandardFontDataFactory: CachedStandardFontDataFactory,
      isEvalSupported: false,
      disableFontFace: false,
      ownerDocument: FONT_SINK as unknown as LoadParameters["ownerDocument"],
      useSystemFonts: false,
      maxImageSize: 0,
      verbosity: VERBOSITY,
    });
  }

  /** The loaded pdf.js document (loads it on first call). Errors come from pdf-parse's load(). */
  async document(): Promise<PdfDocument> {
    const self = this as unknown as { load(): Promise<PdfDocument> };
    return self.load();
  }
}
