/**
 * Plain text → DocumentContent: one TextBlock per non-empty line.
 *
 * The text is otherwise left as it is: the reconstructor knows the layouts extracted text
 * comes in (cells joined by ` | `, by tabs, or aligned with runs of spaces) and splits them
 * itself, so nothing here may merge or trim away those separators.
 */
import type { DocumentContent } from "../document.js";
import { decodeText } from "../sniff.js";

export async function extractText(
  bytes: Uint8Array,
  _opts: { maxPages: number; maxExpandedBytes: number },
): Promise<DocumentContent> {
  return { mediaType: "text/plain", pages: null, blocks: textToBlocks(decodeText(bytes)), warnings: [] };
}

/** Splits on CRLF, CR, LF and form feed (pdftotext's page separator); drops blank lines. */
export function textToBlocks(text: string): DocumentContent["blocks"] {
  return text
    .split(/\r\n|[\r\n\f\u2028\u2029]/)
    .filter((line) => line.trim() !== "")
    .map((line) => ({ kind: "text" as const, text: line }));
}
