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
 * `chi_sim` as text lines. Up to PAGES_PER_RUN pages are read together: each kind of read is
 * one Tesseract run over all their cells (or prose), not one a page.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Block, DocumentContent, GridCell, TableBlock } from "../../document.js";
import { isLabelText, RefusalError } from "../../document.js";
import { findPixelTables, paperGrey, ruleInk, ruleSkewDegrees, type PixelCell, type PixelTable } from "./grid.js";
import { cellInside, clearEdgeSpecks, crop, inkBox, otsu, pad, parsePnm, rotate, scale, skewDegrees, type Gray } from "./image.js";
import { agreedNumber, cleanNumber, settledNumber, wideEnough } from "./digits.js";
import { execWatched, findOnPath, scratchDir } from "../programs.js";
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
 * Grey levels darker than the paper that are still paper (its grain), for the prose: the
 * sample scans' grain stays within about 12 of the paper's grey; text strokes' edges reach
 * it (whitening up to halfway to the ink misread a title's first character).
 */
const PAPER_GRAIN = 16;
/**
 * Pages read together: each Tesseract pass runs once over all their cells (and once over
 * their prose), so a start-up (about 0.1 s of CPU, more for chi_sim) is paid per pass, not per
 * page; the pages' images wait in memory meanwhile.
 */
const PAGES_PER_RUN = 8;

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
  poppler ??= findOnPath("pdftoppm") !== null;
  return poppler;
}

async function renderPage(pdfPath: string, page: number, dir: string, deadline: number): Promise<Gray> {
  const out = join(dir, `p${page}`);
  const args = ["-f", String(page), "-l", String(page), "-scale-to", String(PAGE_PIXELS), "-singlefile", pdfPath, out];
  try {
    await execWatched("pdftoppm", args, { ms: PAGE_TIMEOUT_MS, deadline });
  } catch (err) {
    throw new RefusalError("corrupt", `page ${page} of the scan cannot be rendered: ${(err as Error).message.split("\n")[0]}`);
  }
  try {
    return parsePnm(readFileSync(`${out}.ppm`));
  } finally {
    rmSync(`${out}.ppm`, { force: true });
  }
}

interface CellRead {
  text: string;
  confidence: number;
}

/** A crop scaled to an ink height of about `height` pixels, framed in white. */
const scaledTo = (tight: Gray, height: number) => pad(scale(tight, Math.min(3, Math.max(0.4, height / Math.max(1, tight.height)))), 12);

/** An inked cell of a table, cropped to its ink, waiting to be read. */
interface InkedCell {
  cell: PixelCell;
  tight: Gray;
  ink: { width: number; height: number };
}

/**
 * The cells of a page's tables (`lines`: the grey level of its rules, see ruleInk): the blank
 * ones and the dashes settled into `out`, the inked ones returned cropped to their ink, to be
 * read (with other pages' cells) by `readCells`.
 */
function inkedCells(img: Gray, ink: number, lines: number, tables: readonly PixelTable[], out: Map<PixelCell, CellRead>): InkedCell[] {
  const inked: InkedCell[] = [];
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
      inked.push({ cell, tight: crop(inner, box.x0, box.y0, box.x1, box.y1), ink: { width: w, height: h } });
    }
  }
  return inked;
}

/**
 * Reads inked cells (of one or more pages: each pass is one Tesseract run over all of them,
 * its time limit `timeoutMs`) into `out`.
 */
async function readCells(inked: readonly InkedCell[], out: Map<PixelCell, CellRead>, timeoutMs: number, deadline: number): Promise<void> {
  const item = (i: number) => inked[i] as InkedCell;
  // Numbers are printed dark on light (a label on a dark fill is read by chi_sim, which does
  // try it inverted).
  const digitOptions = { lang: "eng", psm: 7, whitelist: "0123456789.-", darkOnLight: true, timeoutMs, deadline } as const;
  // One digit read of every cell, at the middle scale; the other two only of the cells it read
  // as a number the ink is wide enough for, or as nothing (a lone 0, 1 or 7 can come back
  // empty). The rest (labels: their digit reads are garbage) go to chi_sim.
  const [first, ...others] = [DIGIT_HEIGHTS[1], DIGIT_HEIGHTS[0], DIGIT_HEIGHTS[2]];
  const all = inked.map((_, i) => i);
  const middle = await ocrBatch(all.map((i) => scaledTo(item(i).tight, first)), digitOptions);
  const numeric = all.filter((i) => {
    const text = middle[i]?.text ?? "";
    return text === "" || (cleanNumber(text) && wideEnough(text, item(i).ink));
  });
  // The other two scales in one run: each numeric cell at both.
  const more = await ocrBatch(
    numeric.flatMap((i) => others.map((h) => scaledTo(item(i).tight, h))),
    digitOptions,
  );
  const reads = all.map((i) => [middle[i]]);
  numeric.forEach((i, k) => reads[i]?.push(...more.slice(k * others.length, (k + 1) * others.length)));
  const readsOf = (i: number) => (reads[i] ?? []).filter((r): r is OcrReadT => r !== undefined);
  const labels: number[] = [];
  const seen: string[] = [];
  const unsure: number[] = [];
  for (const i of all) {
    const rs = readsOf(i);
    seen[i] = rs.find((r) => r.text !== "")?.text ?? "";
    const number = agreedNumber(rs, item(i).ink);
    if (number) out.set(item(i).cell, { text: number.text, confidence: number.confidence / 100 });
    // Read at least once as a number its ink is wide enough for: read again, more ways,
    // before giving up on it. (A label's digit reads are far too narrow for its ink.)
    else if (rs.some((r) => cleanNumber(r.text) && wideEnough(r.text, item(i).ink))) unsure.push(i);
    else labels.push(i);
  }
  // The second read: each unsure cell at more scales (one Tesseract run).
  const again = await ocrBatch(
    unsure.flatMap((i) => SECOND_HEIGHTS.map((h) => scaledTo(item(i).tight, h))),
    digitOptions,
  );
  unsure.forEach((i, k) => {
    const number = settledNumber([...readsOf(i), ...again.slice(k * SECOND_HEIGHTS.length, (k + 1) * SECOND_HEIGHTS.length)], item(i).ink);
    if (number) out.set(item(i).cell, { text: number.text, confidence: number.confidence / 100 });
    else labels.push(i);
  });
  const chi = await ocrBatch(
    labels.map((i) => pad(item(i).tight, 12)),
    { lang: "chi_sim", psm: 6, timeoutMs, deadline },
  );
  labels.forEach((i, k) => {
    const r = chi[k];
    const text = (r?.text ?? "").replace(/\s+/g, "");
    if (isLabelText(text)) out.set(item(i).cell, { text, confidence: Math.max(0, r?.confidence ?? 0) / 100 });
    // Ink that is neither a clean number nor a label: seen, not read.
    else out.set(item(i).cell, { text: seen[i] || text, confidence: 0 });
  });
}

/**
 * The page for reading its prose: its tables whitened, and its paper's grain too (every pixel
 * within PAPER_GRAIN of the paper's grey). Left grey, a scan's grain is read by Tesseract as
 * lines of made-up characters around a table (a page that is all table came back with 30 such
 * lines), which cost more than the page's real text. Scaled to PROSE_SCALE.
 */
function proseImage(img: Gray, tables: readonly PixelTable[], paper: number): Gray {
  const page = { width: img.width, height: img.height, data: img.data.slice() };
  for (const t of tables) {
    for (let y = Math.max(0, t.y0 - 6); y < Math.min(page.height, t.y1 + 6); y++) page.data.fill(255, y * page.width + Math.max(0, t.x0 - 6), y * page.width + Math.min(page.width, t.x1 + 6));
  }
  const { data } = page;
  const grain = paper - PAPER_GRAIN;
  for (let i = 0; i < data.length; i++) if ((data[i] as number) > grain) data[i] = 255;
  return scale(page, PROSE_SCALE);
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
export async function extractScanned(bytes: Uint8Array, pages: number, deadline = Number.POSITIVE_INFINITY): Promise<DocumentContent> {
  const { blocks, cells } = await readScannedPages(bytes, Array.from({ length: pages }, (_, i) => i + 1), deadline);
  const hasText = blocks.some((b) => (b.kind === "text" ? b.text.trim() !== "" : true));
  if (!hasText) throw new RefusalError("no-text-layer", `PDF has no text layer on any of its ${pages} page(s), and OCR read no text on them`);
  return { mediaType: "application/pdf", pages, blocks, warnings: [`read by OCR (Tesseract chi_sim): ${pages} page(s), ${cells} table cells`] };
}

/** The blocks of the given pages of a PDF, read by OCR, in page order. */
export async function readScannedPages(
  bytes: Uint8Array,
  pageNumbers: readonly number[],
  deadline = Number.POSITIVE_INFINITY,
): Promise<{ blocks: Block[]; cells: number }> {
  const dir = scratchDir("scan");
  try {
    const pdf = join(dir, "scan.pdf");
    writeFileSync(pdf, bytes);
    const blocks: Block[] = [];
    let cells = 0;
    for (let from = 0; from < pageNumbers.length; from += PAGES_PER_RUN) {
      const group = pageNumbers.slice(from, from + PAGES_PER_RUN);
      const pages: { n: number; tables: PixelTable[] }[] = [];
      const reads = new Map<PixelCell, CellRead>();
      const inked: InkedCell[] = [];
      const prose: Gray[] = [];
      for (const n of group) {
        const raw = await renderPage(pdf, n, dir, deadline);
        const ink = otsu(raw);
        // Straighten: rotating by the skew makes the rules horizontal again. The rules give the
        // skew best; a page without them is measured by its text lines.
        const img = rotate(raw, ruleSkewDegrees(raw, ink) ?? skewDegrees(raw, ink));
        const tables = findPixelTables(img, ink);
        const paper = paperGrey(img, ink);
        inked.push(...inkedCells(img, ink, ruleInk(img, ink, paper), tables, reads));
        prose.push(proseImage(img, tables, paper));
        pages.push({ n, tables });
      }
      // The group's cells and its prose, each in a few Tesseract runs (a run costs a start-up).
      const timeoutMs = PAGE_TIMEOUT_MS * group.length;
      const [, lines] = await Promise.all([
        readCells(inked, reads, timeoutMs, deadline),
        ocrLines(prose, { lang: "chi_sim", psm: 6, timeoutMs, deadline }),
      ]);
      pages.forEach(({ n, tables }, k) => {
        const items: { y: number; block: Block }[] = [
          ...(lines[k] ?? []).map((l) => ({ y: l.y / PROSE_SCALE, block: { kind: "text", text: l.text, page: n } as Block })),
          ...tables.map((t) => ({ y: t.y0, block: tableBlock(t, reads, n) as Block })),
        ];
        cells += tables.reduce((s, t) => s + t.cells.length, 0);
        items.sort((x, y) => x.y - y.y);
        blocks.push(...items.map((i) => i.block));
      });
    }
    return { blocks, cells };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
