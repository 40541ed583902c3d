/**
 * The intermediate document: what every extractor produces and the reconstructor reads.
 *
 * One model for every input format (PDF, DOCX, DOC, HTML, plain text), in the spirit of
 * mammoth's document model or Unstructured's elements: text blocks in reading order, plus
 * tables as grids of cells with row/column spans. Page and position are filled in where the
 * format has them (PDF), and left undefined elsewhere.
 */

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
  page?: number;
  bbox?: BBox;
  /**
   * How sure the reader is of `text`, 0–1, where it can say (OCR). A numeric cell below the
   * reconstructor's floor is read as null with a finding naming what was seen.
   */
  confidence?: number;
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

export interface IntermediateDocument {
  /** The media type sniffed from the bytes. */
  mediaType: MediaType;
  /** Page count where the format has pages (PDF), else null. */
  pages: number | null;
  /** Blocks in reading order. */
  blocks: Block[];
  /** Things the extractor noticed that a user may want to know (e.g. mammoth's messages). */
  warnings: string[];
}

export type MediaType =
  | "application/pdf"
  | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
  | "application/msword"
  | "text/html"
  | "text/plain";

/** Error codes of a refusal: the file itself is the problem, so retrying will not help. */
export type RefusalCode =
  | "unsupported-type"
  | "corrupt"
  | "encrypted"
  | "no-text-layer"
  | "not-a-report"
  | "too-large";

/**
 * Thrown by sniffing and extraction when the input itself is bad. The queue adapters turn it
 * into an unrecoverable job failure with the code kept on the job; the CLI turns it into a
 * documented exit code and a one-line reason.
 */
export class RefusalError extends Error {
  readonly code: RefusalCode;
  constructor(code: RefusalCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RefusalError";
    this.code = code;
  }
}

export function isRefusal(e: unknown): e is RefusalError {
  return e instanceof RefusalError;
}
