/**
 * Extraction: bytes → IntermediateDocument, one module per input format.
 * The media type comes from sniffing the bytes (src/sniff.ts), never from the file name.
 */
import { EXTRACTOR_VERSION, type DocumentContent, type IntermediateDocument, type MediaType } from "../document.js";
import { extractPdf } from "./pdf.js";
import { extractDocx } from "./docx.js";
import { extractDoc } from "./doc.js";
import { extractHtml } from "./html.js";
import { extractText } from "./text.js";

export interface ExtractOptions {
  /** Upper bound on the bytes a docx's zip entries, or a PDF's streams, may decompress to (zip and flate bombs). */
  maxExpandedBytes?: number;
  /** Upper bound on PDF pages read. */
  maxPages?: number;
}

export const DEFAULT_EXTRACT_OPTIONS: Required<ExtractOptions> = {
  maxExpandedBytes: 200 * 1024 * 1024,
  maxPages: 500,
};

/** The document of the bytes, stamped with the EXTRACTOR_VERSION that produced it. */
export async function extract(
  bytes: Uint8Array,
  mediaType: MediaType,
  options: ExtractOptions = {},
): Promise<IntermediateDocument> {
  return { extractor: EXTRACTOR_VERSION, ...(await extractContent(bytes, mediaType, options)) };
}

function extractContent(bytes: Uint8Array, mediaType: MediaType, options: ExtractOptions): Promise<DocumentContent> {
  const opts = { ...DEFAULT_EXTRACT_OPTIONS, ...options };
  switch (mediaType) {
    case "application/pdf":
      return extractPdf(bytes, opts);
    case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
      return extractDocx(bytes, opts);
    case "application/msword":
      return extractDoc(bytes, opts);
    case "text/html":
      return extractHtml(bytes, opts);
    case "text/plain":
      return extractText(bytes, opts);
  }
}
