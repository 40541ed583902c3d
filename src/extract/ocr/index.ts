/**
 * The OCR reader: an image-only PDF → the same intermediate document the PDF reader gives.
 *
 * Per page: poppler's `pdftoppm` renders it (the longest side bounded, so the pixels are
 * bounded), the red channel is kept (a red seal fades), the page is straightened and its
 * ruled tables found (grid.ts). Each table cell is read on its own, inside its rules: numbers
 * with a digits-only Tesseract at three scales, kept only when the reads agree, are
 * confident, and the ink is as wide as that many digits (a dropped digit makes it too wide);
 * a cell left unsure is read at four more scales and settled only by the rules of digits.ts;
 * labels with `chi_sim`. A cell that fails is given with confidence 0 and the text seen, and the
 * reconstructor makes it null with a finding. The prose around the tables is read with
 * `chi_sim` as text lines.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Block, DocumentContent, GridCell, TableBlock } from "../../document.js";
import { isLabelText, RefusalError } from "../../document.js";
import { findPixelTables, ruleInk, ruleSkewDegrees, type PixelCell, type PixelTable } from "./grid.js";
import { cellInside, clearEdgeSpecks, crop, inkBox, otsu, pad, parsePnm, rotate, scale, skewDegrees, type Gray } from "./image.js";
import { agreedNumber, cleanNumber, settledNumber, wideEnough } from "./digits.js";
import { ocrBatch, ocrLines, tesseractAvailable, type OcrRead as OcrReadT } from "./tesseract.js";

export { tesseractAvailable } from "./tesseract.js";

/** The longest side of a rendered page, in pixels (about 200 dpi for A4). */
const PAGE_PIXELS = 2400;
/** Time limit of one page's rendering and of each Tesseract run. */
const PAGE_TIMEOUT_MS = 60_000;
/** Ink heights the first digit reads scale each cell to. */
const DIGIT_HEIGHTS = [22, 30, 40] as const;
/** …and the second read of a cell left unsure: a lone 0 or 1 often reads best small. */
const SECOND_HEIGHTS = [16, 20, 26, 34] as const;
/** Prose is read at this share of the rendered size (faster, still legible). */
const PROSE_SCALE = 0.6;

/**
 * Whether the OCR reader runs: it can run here (Tesseract with chi_sim, and pdftoppm), and it
 * is not switched off (`NIANBAO_OCR=0`). What it reads is right or null with a finding (see
 * README, "Scanned reports").
 */
export function ocrAvailable(): boolean {
  return !ocrSwitchedOff() && tesseractAvailable() && popplerAvailable();
}

/** `NIANBAO_OCR=0`: scans are refused as no-text-layer even where the OCR reader could run. */
export function ocrSwitchedOff(): boolean {
  return process.env["NIANBAO_OCR"] === "0";
}

let poppler: boolean | null = null;
/** Whether poppler's pdftoppm is on the PATH. */
function popplerAvailable(): boolean {
  poppler ??= (process.env["PATH"] ?? "").split(":").some((d) => d !== "" && existsSync(join(d, "pdftoppm")));
  return poppler;
}

function renderPage(pdfPath: string, page: number, dir: string): Promise<Gray> {
  const out = join(dir, `p${page}`);
  return new Promise((resolve, reject) => {
    execFile(
      "pdftoppm",
      ["-f", String(page), "-l", String(page), "-scale-to", String(PAGE_PIXELS), "-singlefile", pdfPath, out],
      { timeout: PAGE_TIMEOUT_MS },
      (err) => {
        if (err) return reject(new RefusalError("corrupt", `page ${page} of the scan cannot be rendered: ${err.message.split("\n")[0]}`));
        try {
          resolve(parsePnm(readFileSync(`${out}.ppm`)));
        } catch (e) {
          reject(e);
        } finally {
          rmSync(`${out}.ppm`, { force: true });
        }
      },
    );
  });
}

interface CellRead {
  text: string;
  confidence: number;
}

/** A crop scaled to an ink height of about `height` pixels, framed in white. */
const scaledTo = (tight: Gray, height: number) => pad(scale(tight, Math.min(3, Math.max(0.4, height / Math.max(1, tight.height)))), 12);

/** Reads every cell of the page's tables. */
async function readCells(img: Gray, ink: number, tables: readonly PixelTable[]): Promise<Map<PixelCell, CellRead>> {
  const out = new Map<PixelCell, CellRead>();
  const inked: { cell: PixelCell; tight: Gray; box: { x0: number; y0: number; x1: number; y1: number } }[] = [];
  const lines = ruleInk(img, ink);
  for (const t of tables) {
    for (const cell of t.cells) {
      const inside = cellInside(img, lines, cell.x0, cell.y0, cell.x1, cell.y1);
      const inner = clearEdgeSpecks(crop(img, inside.x0, inside.y0, inside.x1, inside.y1), ink);
      const box = inkBox(inner, ink);
      if (!box) {
        out.set(cell, { text: "", confidence: 1 });
        continue;
      }
      const w = box.x1 - box.x0;
      const h = box.y1 - box.y0;
      // A flat wide mark: a dash printed as a placeholder.
      if (h <= 6 && w >= 2 * h) {
        out.set(cell, { text: "—", confidence: 1 });
        continue;
      }
      inked.push({ cell, tight: crop(inner, box.x0, box.y0, box.x1, box.y1), box });
    }
  }
  const inkOf = (i: number) => {
    const { box } = inked[i] as (typeof inked)[number];
    return { width: box.x1 - box.x0, height: box.y1 - box.y0 };
  };
  const digitReads = (items: readonly number[], height: number) =>
    ocrBatch(
      items.map((i) => scaledTo((inked[i] as (typeof inked)[number]).tight, height)),
      { lang: "eng", psm: 7, whitelist: "0123456789.-", timeoutMs: PAGE_TIMEOUT_MS },
    );
  // One digit read of every cell, at the middle scale; the other two only of the cells it read
  // as a number the ink is wide enough for, or as nothing (a lone 0, 1 or 7 can come back
  // empty). The rest (labels: their digit reads are garbage) go to chi_sim.
  const [first, ...others] = [DIGIT_HEIGHTS[1], DIGIT_HEIGHTS[0], DIGIT_HEIGHTS[2]];
  const all = inked.map((_, i) => i);
  const middle = await digitReads(all, first);
  const numeric = all.filter((i) => {
    const text = middle[i]?.text ?? "";
    return text === "" || (cleanNumber(text) && wideEnough(text, inkOf(i)));
  });
  const more = await Promise.all(others.map((h) => digitReads(numeric, h)));
  const passes: (OcrReadT | undefined)[][] = [middle, ...more.map((p) => {
    const full: (OcrReadT | undefined)[] = [];
    numeric.forEach((i, k) => (full[i] = p[k]));
    return full;
  })];
  const labels: number[] = [];
  const seen: string[] = [];
  const unsure: number[] = [];
  inked.forEach(({ cell }, i) => {
    const reads = passes.map((p) => p[i]).filter((r): r is OcrReadT => r !== undefined);
    seen[i] = reads.find((r) => r.text !== "")?.text ?? "";
    const number = agreedNumber(reads, inkOf(i));
    if (number) out.set(cell, { text: number.text, confidence: number.confidence / 100 });
    // Read at least once as a number its ink is wide enough for: read again, more ways,
    // before giving up on it. (A label's digit reads are far too narrow for its ink.)
    else if (reads.some((r) => cleanNumber(r.text) && wideEnough(r.text, inkOf(i)))) unsure.push(i);
    else labels.push(i);
  });
  // The second read: each unsure cell at more scales (one Tesseract run).
  const again = await ocrBatch(
    unsure.flatMap((i) => SECOND_HEIGHTS.map((h) => scaledTo((inked[i] as (typeof inked)[number]).tight, h))),
    { lang: "eng", psm: 7, whitelist: "0123456789.-", timeoutMs: PAGE_TIMEOUT_MS },
  );
  unsure.forEach((i, k) => {
    const reads = [
      ...passes.map((p) => p[i]).filter((r): r is OcrReadT => r !== undefined),
      ...again.slice(k * SECOND_HEIGHTS.length, (k + 1) * SECOND_HEIGHTS.length),
    ];
    const number = settledNumber(reads, inkOf(i));
    if (number) out.set((inked[i] as (typeof inked)[number]).cell, { text: number.text, confidence: number.confidence / 100 });
    else labels.push(i);
  });
  const chi = await ocrBatch(
    labels.map((i) => pad((inked[i] as (typeof inked)[number]).tight, 12)),
    { lang: "chi_sim", psm: 6, timeoutMs: PAGE_TIMEOUT_MS },
  );
  labels.forEach((i, k) => {
    const item = inked[i] as (typeof inked)[number];
    const r = chi[k];
    const text = (r?.text ?? "").replace(/\s+/g, "");
    if (isLabelText(text)) out.set(item.cell, { text, confidence: Math.max(0, r?.confidence ?? 0) / 100 });
    // Ink that is neither a clean number nor a label: seen, not read.
    else out.set(item.cell, { text: seen[i] || text, confidence: 0 });
  });
  return out;
}

/** The prose of the page outside its tables, as text lines from top to bottom. */
async function readProse(img: Gray, tables: readonly PixelTable[]): Promise<{ y: number; text: string }[]> {
  const page = { width: img.width, height: img.height, data: img.data.slice() };
  for (const t of tables) {
    for (let y = Math.max(0, t.y0 - 6); y < Math.min(page.height, t.y1 + 6); y++) page.data.fill(255, y * page.width + Math.max(0, t.x0 - 6), y * page.width + Math.min(page.width, t.x1 + 6));
  }
  const lines = await ocrLines(scale(page, PROSE_SCALE), { lang: "chi_sim", psm: 6, timeoutMs: PAGE_TIMEOUT_MS });
  return lines.map((l) => ({ y: l.y / PROSE_SCALE, text: l.text }));
}

function tableBlock(t: PixelTable, reads: Map<PixelCell, CellRead>, page: number): TableBlock {
  const rows: GridCell[][] = Array.from({ length: t.nRows }, () => []);
  for (const c of t.cells) {
    const r = reads.get(c) ?? { text: "", confidence: 0 };
    rows[c.row]?.push({ row: c.row, col: c.col, rowSpan: c.rowSpan, colSpan: c.colSpan, text: r.text, page, confidence: r.confidence });
  }
  for (const r of rows) r.sort((x, y) => x.col - y.col);
  return { kind: "table", nRows: t.nRows, nCols: t.nCols, rows, page };
}

/** Reads an image-only PDF of `pages` pages. */
export async function extractScanned(bytes: Uint8Array, pages: number): Promise<DocumentContent> {
  const { blocks, cells } = await readScannedPages(bytes, Array.from({ length: pages }, (_, i) => i + 1));
  const hasText = blocks.some((b) => (b.kind === "text" ? b.text.trim() !== "" : true));
  if (!hasText) throw new RefusalError("no-text-layer", `PDF has no text layer on any of its ${pages} page(s), and OCR read no text on them`);
  return { mediaType: "application/pdf", pages, blocks, warnings: [`read by OCR (Tesseract chi_sim): ${pages} page(s), ${cells} table cells`] };
}

/** The blocks of the given pages of a PDF, read by OCR, in page order. */
export async function readScannedPages(bytes: Uint8Array, pageNumbers: readonly number[]): Promise<{ blocks: Block[]; cells: number }> {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-scan-"));
  try {
    const pdf = join(dir, "scan.pdf");
    writeFileSync(pdf, bytes);
    const blocks: Block[] = [];
    let cells = 0;
    for (const n of pageNumbers) {
      const raw = await renderPage(pdf, n, dir);
      const ink = otsu(raw);
      // Straighten: rotating by the skew makes the rules horizontal again. The rules give the
      // skew best; a page without them is measured by its text lines.
      const img = rotate(raw, ruleSkewDegrees(raw, ink) ?? skewDegrees(raw, ink));
      const tables = findPixelTables(img, ink);
      const [reads, prose] = await Promise.all([readCells(img, ink, tables), readProse(img, tables)]);
      const items: { y: number; block: Block }[] = [
        ...prose.map((l) => ({ y: l.y, block: { kind: "text", text: l.text, page: n } as Block })),
        ...tables.map((t) => ({ y: t.y0, block: tableBlock(t, reads, n) as Block })),
      ];
      cells += tables.reduce((s, t) => s + t.cells.length, 0);
      items.sort((x, y) => x.y - y.y);
      blocks.push(...items.map((i) => i.block));
    }
    return { blocks, cells };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
