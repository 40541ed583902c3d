/**
 * The intermediate document: what every extractor produces and the reconstructor reads.
 *
 * It is also a stored contract: the pipeline keeps it as the artifact `extract/<sha256>` and
 * reprocessing starts from it. So it carries the version of the extractors that wrote it
 * (EXTRACTOR_VERSION), and every read of a stored one checks it against a zod schema
 * (readStoredDocument); a stored one that fails the schema or is older is extracted again.
 *
 * One model for every input format (PDF, DOCX, DOC, HTML, plain text), in the spirit of
 * mammoth's document model or Unstructured's elements: text blocks in reading order, plus
 * tables as grids of cells with row/column spans. Page and position are filled in where the
 * format has them (PDF), and left undefined elsewhere.
 */

import { z } from "zod";

/**
 * The version of the extractors' output. **Bump it by hand (1, 2, 3, …) whenever any extractor
 * (src/extract/*, or what it depends on: pdf.js settings, mammoth options, the HTML or text
 * readers) would give a different IntermediateDocument for the same bytes**: a stored
 * extraction with an older version is then not reused by `nianbao reprocess --from reconstruct`
 * (nor by any reconstruct job); the reconstruct stage extracts the original again instead.
 * It is independent of the package version, which covers the whole pipeline's output.
 * 2: scanned PDFs and scanned pages of mixed PDFs are read by OCR (with NIANBAO_OCR=1).
 * 3: OCR grids: skew from the rules' pixels, tables cut by a page break closed, cells read a
 *    second time (src/extract/ocr).
 * 4: OCR prose read with the paper's grain whitened (no lines of made-up characters), and a
 *    page without rules straightened by its text lines (the fallback measured 0° always).
 */
export const EXTRACTOR_VERSION = 4;

/**
 * Whether a cell's text is a label rather than a number: two or more Han characters. The OCR
 * reader decides with it which cells to read as labels, and the reconstructor which cells
 * below the confidence floor (GridCell.confidence) are numbers it could not read.
 */
export function isLabelText(text: string): boolean {
  return (text.match(/[\u4e00-\u9fff]/g) ?? []).length >= 2;
}

/** A rectangle in PDF user space (points), origin bottom-left as in pdf.js: x0 < x1, y0 < y1. */
export interface BBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * One cell of a grid, at its origin position. A cell spanning several rows or columns is
 * listed once, in the row where it starts; the positions it covers further down or to the
 * right have no cell of their own.
 */
export interface GridCell {
  /** Grid row index of the cell's top-left corner (0-based, within the table). */
  row: number;
  /** Grid column index of the cell's top-left corner (0-based). */
  col: number;
  rowSpan: number;
  colSpan: number;
  /**
   * The cell's text. Lines inside one cell are joined: without a separator between CJK
   * characters, with one space between Latin words. Empty string for an empty cell.
   */
  text: string;
  /**
   * How sure the reader is of the text, in [0, 1], where it can say (an OCR reader); absent
   * where the text was read from the file's own text layer.
   */
  confidence?: number;
  page?: number;
  bbox?: BBox;
}

export interface TextBlock {
  kind: "text";
  /**
   * One paragraph or line of text. Extractors that know cell boundaries in a text line
   * (e.g. a PDF table drawn without ruling lines) separate cells with a tab.
   */
  text: string;
  page?: number;
  bbox?: BBox;
}

export interface TableBlock {
  kind: "table";
  /** Number of grid rows and columns after span expansion. */
  nRows: number;
  nCols: number;
  /** Origin cells grouped by grid row: `rows[r]` lists the cells whose `row === r`, by column. */
  rows: GridCell[][];
  /** First and last page the table is on (a table stitched across pages spans several). */
  page?: number;
  pageEnd?: number;
  bbox?: BBox;
}

export type Block = TextBlock | TableBlock;

/** What an extractor of one format produces: the document without its version stamp. */
export interface DocumentContent {
  /** The media type sniffed from the bytes. */
  mediaType: MediaType;
  /** Page count where the format has pages (PDF), else null. */
  pages: number | null;
  /** Blocks in reading order. */
  blocks: Block[];
  /** Things the extractor noticed that a user may want to know (e.g. mammoth's messages). */
  warnings: string[];
}

export interface IntermediateDocument extends DocumentContent {
  /** EXTRACTOR_VERSION of the extractors that produced it (stamped by extract()). */
  extractor: number;
}

export const MEDIA_TYPES = [
  "application/pdf",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/msword",
  "text/html",
  "text/plain",
] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

// ------------------------------------------------------------------------------- the schema
const BBoxSchema = z.object({ x0: z.number(), y0: z.number(), x1: z.number(), y1: z.number() });
const page = z.number().int().positive().optional();
const GridCellSchema = z.object({
  row: z.number().int().nonnegative(),
  col: z.number().int().nonnegative(),
  rowSpan: z.number().int().positive(),
  colSpan: z.number().int().positive(),
  text: z.string(),
  confidence: z.number().min(0).max(1).optional(),
  page,
  bbox: BBoxSchema.optional(),
});
const TextBlockSchema = z.object({ kind: z.literal("text"), text: z.string(), page, bbox: BBoxSchema.optional() });
const TableBlockSchema = z.object({
  kind: z.literal("table"),
  nRows: z.number().int().nonnegative(),
  nCols: z.number().int().nonnegative(),
  rows: z.array(z.array(GridCellSchema)),
  page,
  pageEnd: page,
  bbox: BBoxSchema.optional(),
});

/** The stored form of an IntermediateDocument, checked on every read (readStoredDocument). */
export const IntermediateDocumentSchema = z.object({
  // An artifact stored before extractions carried a version reads as version 0: older.
  extractor: z.number().int().nonnegative().default(0),
  mediaType: z.enum(MEDIA_TYPES),
  pages: z.number().int().nonnegative().nullable(),
  blocks: z.array(z.discriminatedUnion("kind", [TextBlockSchema, TableBlockSchema])),
  warnings: z.array(z.string()),
});

// The schema and the interfaces above describe the same thing (a compile-time check).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameShape: Same<z.infer<typeof IntermediateDocumentSchema>, IntermediateDocument> = true;
void _sameShape;

/**
 * A stored extraction, read back: the document when it can be reused, else why it must be
 * extracted again (it does not match the schema, or an older extractor wrote it). One written
 * by a newer extractor that matches the schema is used as it is.
 */
export type StoredDocument = { ok: true; document: IntermediateDocument } | { ok: false; reason: string };

export function readStoredDocument(json: string): StoredDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    return { ok: false, reason: `the stored extraction is not JSON (${(e as Error).message})` };
  }
  const parsed = IntermediateDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "";
    return { ok: false, reason: `the stored extraction does not match the schema (${where})` };
  }
  if (parsed.data.extractor < EXTRACTOR_VERSION)
    return { ok: false, reason: `the stored extraction is from extractor version ${parsed.data.extractor}, older than ${EXTRACTOR_VERSION}` };
  return { ok: true, document: parsed.data };
}

// Refusals (the file itself is the problem) are failures like any other: src/failures.ts.
export { isRefusal, RefusalError, type RefusalCode } from "./failures.js";

/** The id of a document in jobs, runs and summaries: `sha256-<hex>` of its bytes. */
export const documentIdOf = (sha256: string) => `sha256-${sha256}`;
