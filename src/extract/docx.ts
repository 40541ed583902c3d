/**
 * .docx → DocumentContent, through mammoth's HTML.
 *
 * mammoth's `convertToHtml` keeps Word's merged cells as exact colspan/rowspan and keeps
 * empty cells, so the HTML path (htmlToBlocks) gives the tables with their spans. Its raw-text
 * mode would flatten tables into one paragraph per cell, losing rows.
 *
 * mammoth does not defend against hostile archives, so the ZIP is checked first: the
 * central directory's declared sizes against `maxExpandedBytes` and a sane compression
 * ratio, then every entry, whatever its name (`_rels/.rels` can make any part the document),
 * is inflated by a counting inflater with its declared size as a hard cap, so an entry that
 * lies about its size is refused as `too-large` before jszip inflates it, in memory of one
 * chunk. (Running mammoth under a time limit, as its README advises for untrusted input, is
 * the parser thread's job.)
 */
import mammoth from "mammoth";
import { RefusalError, type DocumentContent } from "../document.js";
import { readZipDirectory, zipEntryDataOffset, type ZipEntry } from "../sniff.js";
import { htmlToBlocks } from "./html.js";
import { inflatedSize } from "./inflate.js";

/** Above this ratio an entry is refused when it is also larger than RATIO_MIN_BYTES. Word
 * XML compresses 5–30×; deflate cannot exceed ~1032×. */
const MAX_RATIO = 200;
const RATIO_MIN_BYTES = 16 * 1024 * 1024;

export async function extractDocx(
  bytes: Uint8Array,
  opts: { maxPages: number; maxExpandedBytes: number },
): Promise<DocumentContent> {
  await guardArchive(bytes, opts.maxExpandedBytes);

  let result: { value: string; messages: Array<{ type: string; message: string }> };
  try {
    result = await mammoth.convertToHtml(
      { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
      {
        // Images are irrelevant to the statistics; not reading them saves inflating and
        // base64-encoding every picture into the HTML.
        convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: "" })),
      },
    );
  } catch (e) {
    if (e instanceof RefusalError) throw e;
    throw new RefusalError("corrupt", `cannot read the Word document: ${errorMessage(e)}`, { cause: e });
  }

  const { blocks, warnings } = htmlToBlocks(result.value);
  return {
    mediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    pages: null,
    blocks,
    warnings: [...mammothWarnings(result.messages), ...warnings],
  };
}

/**
 * Refuses archives that are damaged, lack the Word part, are encrypted, or would expand past
 * `maxExpandedBytes`. Exported for tests and for callers that want the check alone.
 */
export async function guardArchive(bytes: Uint8Array, maxExpandedBytes: number): Promise<void> {
  const entries = readZipDirectory(bytes);
  if (!entries.some((e) => e.name === "word/document.xml")) {
    throw new RefusalError("corrupt", "Word package without its main part: word/document.xml is missing");
  }
  if (entries.some((e) => (e.flags & 0x1) !== 0)) {
    throw new RefusalError("encrypted", "the archive's entries are encrypted");
  }

  const declaredTotal = entries.reduce((n, e) => n + e.uncompressedSize, 0);
  if (declaredTotal > maxExpandedBytes) {
    throw new RefusalError(
      "too-large",
      `archive expands to ${declaredTotal} bytes, more than the limit of ${maxExpandedBytes}`,
    );
  }
  for (const e of entries) {
    const ratio = e.uncompressedSize / Math.max(1, e.compressedSize);
    if (e.uncompressedSize > RATIO_MIN_BYTES && ratio > MAX_RATIO) {
      throw new RefusalError(
        "too-large",
        `archive entry ${e.name} has an implausible compression ratio (${Math.round(ratio)}:1)`,
      );
    }
  }
  // Declared sizes can lie (jszip, which mammoth uses, inflates whatever is there): every
  // entry is inflated with its declared size as the cap, so nothing jszip inflates can pass
  // the limit above, whichever parts the package's relationships make it read.
  for (const e of entries) await verifyEntrySize(bytes, e);
}

async function verifyEntrySize(bytes: Uint8Array, e: ZipEntry): Promise<void> {
  if (e.compressedSize === 0) return;
  const start = zipEntryDataOffset(bytes, e);
  if (e.method === 0) {
    if (e.compressedSize > e.uncompressedSize) {
      throw new RefusalError("too-large", `archive entry ${e.name} is larger than it declares`);
    }
    return;
  }
  if (e.method !== 8) return; // jszip refuses other methods itself; mammoth's error says so
  // Damaged data in an entry mammoth may never read (a thumbnail, a font) is not ours to
  // judge: mammoth fails on the entries it needs. Only the size is.
  const inflated = await inflatedSize(bytes.subarray(start, start + e.compressedSize), "raw", e.uncompressedSize);
  if (inflated.over) {
    throw new RefusalError("too-large", `archive entry ${e.name} inflates past its declared ${e.uncompressedSize} bytes`);
  }
}

/** mammoth's messages, each distinct one once, with a count when repeated. */
function mammothWarnings(messages: ReadonlyArray<{ type: string; message: string }>): string[] {
  const counts = new Map<string, number>();
  for (const m of messages) {
    const key = `mammoth ${m.type}: ${m.message}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([text, n]) => (n > 1 ? `${text} (×${n})` : text));
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
