/**
 * PDF → DocumentContent.
 *
 * One pdf.js parse per file (pdf-parse's loader, see pdf/pdfjs.ts). For every page:
 * positioned text items (pdf/text.ts) and the drawn ruling lines (pdf/lines.ts) give tables
 * as grids with spans (pdf/grid.ts); the text outside tables becomes one TextBlock per line.
 * Tables continued on the next page are stitched into one (pdf/stitch.ts). Blocks come in
 * reading order: top to bottom, page after page.
 *
 * A table drawn without ruling lines has no grid: its rows come out as text lines whose
 * cells are separated by tabs wherever there is a clear horizontal gap.
 *
 * Before pdf.js sees the file, its compressed streams are measured (pdf/streams.ts): a file
 * whose streams inflate past `maxExpandedBytes` (a flate bomb) is refused as `too-large`.
 */
import { extractScanned, ocrAvailable, ocrSwitchedOff, readScannedPages } from "./ocr/index.js";
import { RefusalError, type Block, type DocumentContent, type TextBlock } from "../document.js";
import { compose, toBBox, type Rect } from "./pdf/geometry.js";
import { findTables, type TableFragment } from "./pdf/grid.js";
import { extractRulings } from "./pdf/lines.js";
import { guardPdfStreams } from "./pdf/streams.js";
import {
  PositionedPdfParse,
  isTextItem,
  pdfjsReady,
  saveCodeCache,
  type OpsTable,
  type PdfDocument,
  type PdfOperatorList,
  type PdfPage,
  type PdfTextContent,
  type PdfViewport,
} from "./pdf/pdfjs.js";
import { appendFragment, continues, draftFromFragment, toTableBlock, type DraftTable } from "./pdf/stitch.js";
import { groupLines, isPageNumberText, lineText, textPieces } from "./pdf/text.js";
import { verticalTextPieces } from "./pdf/vertical.js";

export interface PdfExtractOptions {
  maxPages: number;
  maxExpandedBytes: number;
  /** ExtractOptions.deadline: the OCR's programs get no time past it. */
  deadline: number;
}

/** Outside tables, a gap wider than this many ems between two pieces of a line is a cell break. */
const TAB_GAP_EM = 1.5;
/** Page numbers are only looked for in this share of the page height at the top and bottom. */
const MARGIN_BAND = 0.12;

interface PageText {
  text: string;
  rect: Rect;
}

interface PageLayout {
  page: number;
  height: number;
  tables: TableFragment[];
  lines: PageText[];
  /** Text items with visible text on the page (before anything was dropped). */
  pieceCount: number;
}

export async function extractPdf(bytes: Uint8Array, opts: PdfExtractOptions): Promise<DocumentContent> {
  await guardPdfStreams(bytes, opts.maxExpandedBytes);
  const OPS = await pdfjsReady();
  const parser = new PositionedPdfParse(bytes);
  try {
    const doc = await openDocument(parser);
    if (doc.numPages > opts.maxPages) {
      throw new RefusalError("too-large", `PDF has ${doc.numPages} pages, more than the limit of ${opts.maxPages}`);
    }
    const pages: PageLayout[] = [];
    for (let n = 1; n <= doc.numPages; n++) pages.push(await readPage(doc, n, OPS));

    const withText = pages.filter((p) => p.pieceCount > 0).length;
    if (withText === 0) {
      // A scan: read by OCR where Tesseract and poppler are installed (extract/ocr).
      if (ocrAvailable()) return await extractScanned(bytes, doc.numPages, opts.deadline);
      throw new RefusalError(
        "no-text-layer",
        ocrSwitchedOff()
          ? `PDF has no text layer on any of its ${doc.numPages} page(s): a scan or image-only PDF needs OCR, which NIANBAO_OCR=0 switches off`
          : `PDF has no text layer on any of its ${doc.numPages} page(s): a scan or image-only PDF needs OCR, with the Debian packages tesseract-ocr, tesseract-ocr-chi-sim and poppler-utils installed`,
      );
    }
    const warnings: string[] = [];
    const empty = pages.filter((p) => p.pieceCount === 0).map((p) => p.page);
    const blocks = assemble(pages);
    if (empty.length > 0 && ocrAvailable()) {
      // A mixed PDF (typed text, scanned pages): the scanned pages are read by OCR, in place.
      const scanned = await readScannedPages(bytes, empty, opts.deadline);
      warnings.push(`PDF pages without a text layer read by OCR: ${empty.join(", ")} (${scanned.cells} table cells)`);
      return { mediaType: "application/pdf", pages: doc.numPages, blocks: inPageOrder(blocks, scanned.blocks), warnings };
    }
    if (empty.length > 0) warnings.push(`PDF pages without a text layer (scanned?): ${empty.join(", ")}`);

    return { mediaType: "application/pdf", pages: doc.numPages, blocks, warnings };
  } finally {
    await parser.destroy();
    saveCodeCache();
  }
}

/** Blocks of OCR'd pages put among the text layer's blocks, each before the first block of a later page. */
function inPageOrder(blocks: readonly Block[], scanned: readonly Block[]): Block[] {
  const out = [...blocks];
  for (const b of scanned) {
    const at = out.findIndex((x) => (x.page ?? 0) > (b.page ?? 0));
    out.splice(at < 0 ? out.length : at, 0, b);
  }
  return out;
}

/** Load the document, turning pdf.js's load errors into refusals. */
async function openDocument(parser: PositionedPdfParse): Promise<PdfDocument> {
  try {
    return await parser.document();
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    const detail = e instanceof Error ? e.message.split("\n")[0] : String(e);
    if (name === "PasswordException") {
      throw new RefusalError("encrypted", "PDF is encrypted: it needs a password to open", { cause: e });
    }
    throw new RefusalError("corrupt", `PDF cannot be parsed (damaged or truncated): ${detail}`, { cause: e });
  }
}

async function readPage(doc: PdfDocument, n: number, OPS: OpsTable): Promise<PageLayout> {
  let page: PdfPage;
  let content: PdfTextContent;
  let ops: PdfOperatorList;
  let vertical: Set<string>;
  try {
    page = await doc.getPage(n);
    content = await page.getTextContent();
    // Vertical-writing fonts: pdf.js's text content loses glyphs, see pdf/vertical.ts, which
    // reads them from the operator list; so does a page whose text pass did not record the drawing.
    vertical = new Set(Object.keys(content.styles).filter((f) => content.styles[f]?.vertical));
    const drawn = takeDrawing(content);
    ops = drawn && vertical.size === 0 ? drawn : await page.getOperatorList();
  } catch (e) {
    const detail = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new RefusalError("corrupt", `PDF page ${n} cannot be read: ${detail}`, { cause: e });
  }
  try {
    const items = vertical.size === 0 ? content.items : content.items.filter((it) => !isVerticalItem(it, vertical));
    const viewport = uprightViewport(page, items);
    const pieces = textPieces(items, viewport.transform);
    if (vertical.size > 0) pieces.push(...verticalTextPieces(ops, OPS, viewport.transform, vertical));
    const rulings = extractRulings(ops, OPS, viewport.transform);
    const { tables, rest } = findTables(rulings, pieces, n);
    const lines = groupLines(rest)
      .map((l) => ({ text: lineText(l, TAB_GAP_EM), rect: l as Rect }))
      .filter((l) => !isPageNumberLine(l, viewport.height));
    return { page: n, height: viewport.height, tables, lines, pieceCount: pieces.length };
  } finally {
    page.cleanup();
  }
}

/**
 * The page's viewport turned so that its text reads left to right. Usually that is the page
 * as displayed (/Rotate applied: landscape pages whose content is drawn turned). But a page
 * can also carry a /Rotate its content does not share (a portrait page turned for display),
 * and then rows and columns are only right in the unturned frame. The dominant direction of
 * the text items (weighted by length) decides.
 */
function uprightViewport(page: PdfPage, items: readonly unknown[]): PdfViewport {
  const shown = page.getViewport({ scale: 1 });
  const votes = [0, 0, 0, 0]; // text running right, down, left, up on the displayed page
  for (const item of items) {
    if (!isTextItem(item) || item.str.trim() === "") continue;
    const m = compose(shown.transform, item.transform);
    const quarter = Math.round(Math.atan2(m[1], m[0]) / (Math.PI / 2));
    votes[(quarter + 4) % 4] = (votes[(quarter + 4) % 4] as number) + item.str.length;
  }
  const dominant = votes.indexOf(Math.max(...votes));
  if (dominant === 0) return shown;
  // Text running down on the display: turn the view back by 90°, and so on.
  return page.getViewport({ scale: 1, rotation: (page.rotate + 360 - 90 * dominant) % 360 });
}

/**
 * The page's drawing operators as its text pass recorded them (the "drawing-in-text-pass" patch
 * of pdf/worker-patches.ts), taken out of the text items; undefined when there is no recording.
 */
function takeDrawing(content: PdfTextContent): PdfOperatorList | undefined {
  const last = content.items.at(-1) as { type?: unknown; fnArray?: unknown; argsArray?: unknown } | undefined;
  if (last?.type !== "nianbaoDrawing" || !Array.isArray(last.fnArray) || !Array.isArray(last.argsArray)) return undefined;
  content.items.pop();
  return { fnArray: last.fnArray as number[], argsArray: last.argsArray };
}

function isVerticalItem(item: unknown, verticalFonts: ReadonlySet<string>): boolean {
  return isTextItem(item) && item.fontName !== undefined && verticalFonts.has(item.fontName);
}

function isPageNumberLine(line: PageText, pageHeight: number): boolean {
  const centre = (line.rect.top + line.rect.bottom) / 2;
  const inMargin = centre < MARGIN_BAND * pageHeight || centre > (1 - MARGIN_BAND) * pageHeight;
  return inMargin && isPageNumberText(line.text);
}

/**
 * Blocks in reading order. A table that is the last block of its page continues into the
 * first block of the next page when that is a table with the same left and right edges.
 */
function assemble(pages: readonly PageLayout[]): Block[] {
  const heights = new Map(pages.map((p) => [p.page, p.height]));
  const pageHeight = (n: number) => heights.get(n) ?? 0;
  const out: (TextBlock | DraftTable)[] = [];
  let open: DraftTable | undefined; // the table that ended the previous page
  for (const p of pages) {
    const items = [
      ...p.tables.map((t) => ({ top: t.rect.top, table: t })),
      ...p.lines.map((l) => ({ top: l.rect.top, line: l })),
    ].sort((a, b) => a.top - b.top);
    let last: DraftTable | undefined;
    items.forEach((item, i) => {
      last = undefined;
      if ("table" in item) {
        if (i === 0 && open && continues(open, item.table)) {
          appendFragment(open, item.table);
          last = open;
        } else {
          last = draftFromFragment(item.table);
          out.push(last);
        }
      } else {
        out.push({ kind: "text", text: item.line.text, page: p.page, bbox: toBBox(item.line.rect, p.height) });
      }
    });
    open = last;
  }
  return out.map((b) => ("kind" in b ? b : toTableBlock(b, pageHeight)));
}
