/**
 * Extraction: bytes → IntermediateDocument, one module per input format.
 * The media type comes from sniffing the bytes (src/sniff.ts), never from the file name.
 */
import { EXTRACTOR_VERSION, type DocumentContent, type IntermediateDocument, type MediaType } from "../document.js";

export interface ExtractOptions {
  /** Upper bound on the bytes a docx's zip entries, or a PDF's streams, may decompress to (zip and flate bombs). */
  maxExpandedBytes?: number;
  /** Upper bound on PDF pages read. */
  maxPages?: number;
  /**
   * When the caller stops this read (epoch ms: a parser thread's JOB_TIMEOUT_MS). The programs
   * a reader starts (OCR's pdftoppm and Tesseract) are given no time past it, so none outlives
   * a thread that was stopped.
   */
  deadline?: number;
}

export const DEFAULT_EXTRACT_OPTIONS: Required<ExtractOptions> = {
  maxExpandedBytes: 200 * 1024 * 1024,
  maxPages: 500,
  deadline: Number.POSITIVE_INFINITY,
};

/** The document of the bytes, stamped with the EXTRACTOR_VERSION that produced it. */
export async function extract(
  bytes: Uint8Array,
  mediaType: MediaType,
  options: ExtractOptions = {},
): Promise<IntermediateDocument> {
  return { extractor: EXTRACTOR_VERSION, ...(await extractContent(bytes, mediaType, options)) };
}

/**
 * Each reader is loaded when a file of its format first comes: a one-file run loads pdf.js, or
 * mammoth, or neither, not all of them.
 */
async function extractContent(bytes: Uint8Array, mediaType: MediaType, options: ExtractOptions): Promise<DocumentContent> {
  const opts = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  switch (mediaType) {
    case "application/pdf":
      return (await import("./pdf.js")).extractPdf(bytes, opts);
    case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
      return (await import("./docx.js")).extractDocx(bytes, opts);
    case "application/msword":
      return (await import("./doc.js")).extractDoc(bytes, opts);
    case "text/html":
      return (await import("./html.js")).extractHtml(bytes, opts);
    case "text/plain":
      return (await import("./text.js")).extractText(bytes, opts);
  }
}
