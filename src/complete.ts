/**
 * Does an upload look cut short? Read from its first and last bytes only, so the watcher can
 * ask every time a file has held still, cheaply, before it takes the file:
 *
 *   PDF        no `%%EOF` in the last 1,024 bytes (where readers look for it)
 *   ZIP/.docx  no end-of-central-directory record whose comment ends the file, in the last
 *              65,557 bytes (22 + the longest comment)
 *   .doc (OLE) a sector its header names (the directory's first, the FAT's) beyond the end
 *   text       the last bytes are the start of a UTF-8 character whose continuation is missing,
 *              in a tail that is otherwise valid UTF-8 (so a GBK file is never taken for one)
 *
 * A file that looks cut short is "not complete yet": the watcher waits for it to change, and
 * takes it as it is only once it has looked so for INCOMPLETE_GRACE_MS (README "Limits").
 */

/** How many bytes of the end `truncation()` needs: the longest ZIP comment plus its record. */
export const TAIL_BYTES = 65_535 + 22;
/** How many bytes of the start `truncation()` needs. */
export const HEAD_BYTES = 512;

const PDF = Buffer.from("%PDF-");
const PDF_EOF = Buffer.from("%%EOF");
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const OLE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const TEXT_NAME = /\.(txt|text|html?|xhtml|csv|md)$/i;

/**
 * Why the file looks truncated, or null when it looks whole (or its kind cannot tell).
 * `head` is its first bytes (HEAD_BYTES or all), `tail` its last (TAIL_BYTES or all).
 */
export function truncation(head: Uint8Array, tail: Uint8Array, size: number, name: string): string | null {
  const h = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const t = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength);
  if (size === 0) return null; // empty: nothing to wait for (the parser says `corrupt`)
  // %PDF- may follow a little junk (readers search the first 1,024 bytes); 64 bytes cover the usual cases
  if (h.indexOf(PDF) >= 0 && h.indexOf(PDF) < 64) {
    return t.subarray(Math.max(0, t.length - 1024)).includes(PDF_EOF) ? null : "a PDF without %%EOF at its end";
  }
  if (h.subarray(0, 4).equals(ZIP)) return hasEocd(t) ? null : "a ZIP (.docx) without its end-of-central-directory record";
  if (h.length >= 512 && h.subarray(0, 8).equals(OLE)) {
    const shift = h.readUInt16LE(30);
    const sector = shift === 9 || shift === 12 ? 1 << shift : 512;
    // The header names the directory's first sector and (DIFAT) the FAT's sectors; a sector
    // past the end means the file is cut. (Bytes after the last sector are harmless.)
    const named = [h.readUInt32LE(48), ...Array.from({ length: 109 }, (_, i) => h.readUInt32LE(76 + 4 * i))].filter((n) => n < 0xfffffffa);
    const past = named.find((n) => (n + 1) * sector + sector > size);
    return past === undefined ? null : `a Word .doc whose header names sector ${past}, past its end`;
  }
  if (TEXT_NAME.test(name) && cutUtf8(t)) return "text that ends in the middle of a UTF-8 character";
  return null;
}

/** Whether an end-of-central-directory record, with its whole comment, ends `tail`. */
function hasEocd(tail: Buffer): boolean {
  for (let p = tail.lastIndexOf(ZIP_EOCD); p >= 0; p = p > 0 ? tail.lastIndexOf(ZIP_EOCD, p - 1) : -1) {
    if (p + 22 <= tail.length && p + 22 + tail.readUInt16LE(p + 20) === tail.length) return true;
  }
  return false;
}

/** Whether `tail` ends inside a UTF-8 sequence, and is otherwise valid UTF-8. */
function cutUtf8(tail: Buffer): boolean {
  const end = tail.length;
  // Find the lead byte of the last character (at most 3 continuation bytes back).
  let i = end - 1;
  while (i >= 0 && i > end - 4 && (tail[i]! & 0xc0) === 0x80) i--;
  if (i < 0) return false;
  const lead = tail[i]!;
  const need = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 && lead < 0xe0 ? 2 : 1;
  if (need === 1 || end - i >= need) return false;
  // The rest (from the first lead byte: the tail may start mid-character) must be valid UTF-8.
  let start = 0;
  while (start < i && (tail[start]! & 0xc0) === 0x80) start++;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(tail.subarray(start, i));
  } catch {
    return false;
  }
  return true;
}
