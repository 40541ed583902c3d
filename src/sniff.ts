/**
 * Sniffing: which of the supported formats a file is, decided from its bytes alone.
 *
 * Government sites publish reports with misleading names (a `.doc` that is really HTML, a
 * `.pdf` link serving an HTML error page), so the name is never consulted. Everything that is
 * not one of the five supported formats is refused with a message naming what it looks like,
 * so that a user can tell "this is a scan in JPEG" from "this is garbage".
 *
 * Also home to two small readers that sniffing needs and the extractors reuse:
 * - `decodeText`: UTF-8 / GB18030 decoding for HTML and plain text;
 * - `readZipDirectory`: the central directory of a ZIP archive (entry names and sizes),
 *   used here to tell a .docx from other ZIPs and by the docx extractor as a zip-bomb guard.
 */
import iconv from "iconv-lite";
import { RefusalError, type MediaType } from "./document.js";
import { compoundFileTruncation } from "./extract/cfb.js";

const DOCX: MediaType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/** How far into the file `%PDF-` may start (Acrobat tolerates leading junk up to 1 KB). */
const PDF_HEADER_WINDOW = 1024;
/** How many leading bytes are examined for HTML markers. */
const HTML_SNIFF_WINDOW = 8192;

export function sniff(bytes: Uint8Array): MediaType {
  if (bytes.length === 0) throw new RefusalError("corrupt", "empty file");

  if (startsWithAscii(bytes, "%PDF-")) return "application/pdf";
  // Container magics come before the looser PDF search below: a ZIP storing a PDF
  // uncompressed has `%PDF-` a few dozen bytes in.
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) {
    return sniffZip(bytes);
  }
  if (startsWith(bytes, OLE_MAGIC)) return sniffOle(bytes);

  // Binary formats with unambiguous magic numbers, checked before the text heuristics so
  // that e.g. a PNG never reaches the text decoder.
  const binary = strongBinaryKind(bytes);
  if (binary) throw unsupported(binary);

  // PDF readers accept the header after leading junk (a mail header, a BOM, stray bytes).
  if (indexOfAscii(bytes.subarray(0, PDF_HEADER_WINDOW + 5), "%PDF-") >= 0) return "application/pdf";

  const markup = sniffMarkup(bytes);
  if (markup === "html") return "text/html";
  if (markup) throw unsupported(markup);

  if (looksLikePlainText(bytes)) return "text/plain";
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    // UTF-16 text (Notepad's "Unicode"): judge the decoded characters, since the raw bytes are
    // full of NULs.
    if (!hasControlChars(decodeText(bytes))) return "text/plain";
  }

  throw unsupported(weakBinaryKind(bytes) ?? "unrecognised binary data");
}

function unsupported(what: string): RefusalError {
  return new RefusalError(
    "unsupported-type",
    `${what}: not a supported format (PDF, Word .docx/.doc, HTML or plain text)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Text decoding

/** Labels of the GB family: GB2312 and GBK are subsets of GB18030, so decode all as GB18030. */
const GB_LABELS = new Set([
  "gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "windows-936", "csgb2312", "euc-cn",
  "iso-ir-58", "chinese", "gb_2312-80", "csiso58gb231280",
]);

const utf8Fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Lenient = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Decodes text bytes. A BOM wins; then valid UTF-8 wins even over a declared charset (CMS
 * migrations leave many UTF-8 pages still declaring gb2312, while GBK text that happens to be
 * valid UTF-8 is vanishingly rare); then the declared charset; then GB18030, which covers
 * GB2312 and GBK. The BOM is not part of the result.
 */
export function decodeText(bytes: Uint8Array, declaredCharset?: string): string {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) return utf8Lenient.decode(bytes.subarray(3));
  if (startsWith(bytes, [0xff, 0xfe])) return iconv.decode(toBuffer(bytes.subarray(2)), "utf-16le");
  if (startsWith(bytes, [0xfe, 0xff])) return iconv.decode(toBuffer(bytes.subarray(2)), "utf-16be");

  const utf8 = tryUtf8(bytes);
  if (utf8 !== null) return utf8;

  // A meta tag cannot truthfully declare UTF-16 (its own bytes would not be ASCII); browsers
  // read such pages as UTF-8, so the declaration is ignored here too.
  const declared = declaredCharset?.trim().toLowerCase().replace(/^utf-16.*$/, "");
  if (declared && !GB_LABELS.has(declared)) {
    if (declared === "utf-8" || declared === "utf8") {
      // Declared UTF-8 but not valid: a page with a few damaged sequences is still UTF-8; a
      // page full of invalid sequences is really GBK with a wrong declaration.
      const lenient = utf8Lenient.decode(bytes);
      if (countChar(lenient, "\ufffd") <= Math.max(2, lenient.length / 1000)) return lenient;
    } else if (iconv.encodingExists(declared)) {
      // A Western single-byte declaration on a Chinese page is a template default left in
      // place; prefer GB18030 when that reads as Chinese.
      const western = /^(?:iso-?8859-\d+|latin-?1|windows-125\d|cp125\d|(?:us-)?ascii)$/.test(declared);
      if (western) {
        const gb = iconv.decode(toBuffer(bytes), "gb18030");
        if (plausiblyChinese(gb)) return gb;
      }
      return iconv.decode(toBuffer(bytes), declared);
    }
  }
  return iconv.decode(toBuffer(bytes), "gb18030");
}

function tryUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Plain text: no control bytes (other than tab, line feed, vertical tab, form feed — which
 * pdftotext uses between pages — and carriage return; a DOS end-of-file 0x1A at the very end
 * is tolerated), and either valid UTF-8 or GB18030 that decodes cleanly to mostly Chinese.
 * Random binary data fails the control-byte test almost at once.
 */
function looksLikePlainText(bytes: Uint8Array): boolean {
  const end = bytes[bytes.length - 1] === 0x1a ? bytes.length - 1 : bytes.length;
  for (let i = 0; i < end; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && !(b >= 0x09 && b <= 0x0d)) || b === 0x7f) return false;
  }
  const body = bytes.subarray(0, end);
  if (tryUtf8(body) !== null) return true;

  return plausiblyChinese(iconv.decode(toBuffer(body), "gb18030"));
}

/** Decoded text whose non-ASCII characters are (nearly) all Chinese, with no decoding errors. */
function plausiblyChinese(text: string): boolean {
  let nonAscii = 0;
  let cjk = 0;
  let bad = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) continue;
    nonAscii++;
    if (cp === 0xfffd) bad++;
    else if (isCjkCodePoint(cp)) cjk++;
  }
  return nonAscii > 0 && bad <= Math.max(1, nonAscii / 1000) && cjk >= 0.8 * nonAscii;
}

/** Han ideographs, CJK punctuation and symbols, full-width forms, and the general punctuation
 * (“”…—) that Chinese text uses. */
function isCjkCodePoint(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x3000 && cp <= 0x303f) ||
    (cp >= 0xff00 && cp <= 0xffef) ||
    (cp >= 0x2000 && cp <= 0x206f) ||
    (cp >= 0x2460 && cp <= 0x24ff) || // ①…⑳
    (cp >= 0x2e80 && cp <= 0x2fdf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0x20000 && cp <= 0x3134f) ||
    cp === 0x00b7 || cp === 0x00d7 || cp === 0x00b0
  );
}

// ---------------------------------------------------------------------------------------------
// Markup (HTML / XML / MHTML)

const HTML_START = /^<(?:!doctype\s+html|html|head|body|meta|title|table|div|p|span|font|center|h[1-6]|br|link|style|script|base|section|article|header|form|ul|ol|b|strong)(?=[\s>/])/i;

/**
 * Classifies text that starts with markup. Returns "html", a description of another markup
 * format (to refuse), or null when the bytes do not start with markup at all.
 */
function sniffMarkup(bytes: Uint8Array): string | null {
  let head: string;
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    head = decodeText(bytes.subarray(0, HTML_SNIFF_WINDOW));
  } else {
    // Markup names are ASCII in UTF-8 and GBK alike, so latin1 is enough to read them.
    const start = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
    head = latin1(bytes.subarray(start, start + HTML_SNIFF_WINDOW));
  }

  // Skip leading whitespace, comments, and an XML declaration (XHTML pages have one).
  let s = head.replace(/^\ufeff/, "");
  let xmlProlog = false;
  for (;;) {
    const before = s;
    s = s.replace(/^\s+/, "");
    if (s.startsWith("<!--")) {
      const end = s.indexOf("-->");
      s = end < 0 ? "" : s.slice(end + 3);
    } else if (/^<\?xml[\s?]/i.test(s)) {
      xmlProlog = true;
      const end = s.indexOf("?>");
      s = end < 0 ? "" : s.slice(end + 2);
    }
    if (s === before) break;
  }

  if (HTML_START.test(s)) return "html";
  if (/^MIME-Version:/i.test(s) && /multipart\/related/i.test(head)) return "MHTML web archive (.mht)";
  if (/^\{\\rtf/.test(s)) return "RTF document";
  if (xmlProlog || /^<[A-Za-z][\w.-]*:[\w.-]+[\s>]/.test(s)) {
    if (/<w:wordDocument\b/.test(head)) return "Word 2003 XML document";
    if (/<pkg:package\b/.test(head)) return "Word flat XML package";
    if (/<html[\s>]/i.test(head)) return "html";
    return "XML document";
  }
  // Markup we did not recognise at the start, a leading comment longer than the window, or
  // junk before the markup (a stray line, a server banner): accept when an unmistakable html
  // element shows up.
  if (s === "" || s.startsWith("<") || /<html[\s>]|<!doctype\s+html/i.test(head.slice(0, 1024))) {
    if (/<html[\s>]|<!doctype\s+html|<body[\s>]/i.test(head)) return "html";
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Binary magic numbers

const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function strongBinaryKind(b: Uint8Array): string | null {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "PNG image";
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "JPEG image";
  if (startsWithAscii(b, "GIF87a") || startsWithAscii(b, "GIF89a")) return "GIF image";
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return "TIFF image";
  if (startsWithAscii(b, "RIFF") && latin1(b.subarray(8, 12)) === "WEBP") return "WebP image";
  if (latin1(b.subarray(4, 8)) === "ftyp") return "ISO media file (MP4/HEIC)";
  if (startsWith(b, [0x1f, 0x8b])) return "gzip archive";
  if (startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return "7-Zip archive";
  if (startsWithAscii(b, "Rar!\x1a\x07")) return "RAR archive";
  if (startsWith(b, [0x7f, 0x45, 0x4c, 0x46])) return "ELF executable";
  if (startsWithAscii(b, "{\\rtf")) return "RTF document";
  if (startsWithAscii(b, "%!PS")) return "PostScript document";
  if (startsWithAscii(b, "SQLite format 3\0")) return "SQLite database";
  const be32 = b.length >= 4 ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : 0;
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(be32)) return "Mach-O executable";
  return null;
}

/** Two-byte magics that a text file could also start with: only used for the message. */
function weakBinaryKind(b: Uint8Array): string | null {
  if (startsWithAscii(b, "MZ")) return "Windows executable";
  if (startsWithAscii(b, "BM")) return "BMP image";
  return null;
}

// ---------------------------------------------------------------------------------------------
// ZIP

function sniffZip(bytes: Uint8Array): MediaType {
  const entries = readZipDirectory(bytes);
  const names = new Set(entries.map((e) => e.name));
  if (names.has("word/document.xml")) return DOCX;

  const has = (prefix: string) => entries.some((e) => e.name.startsWith(prefix));
  if (names.has("OFD.xml")) throw unsupported("OFD document (ZIP-based fixed-layout format)");
  if (has("xl/")) throw unsupported("Excel workbook (.xlsx)");
  if (has("ppt/")) throw unsupported("PowerPoint presentation (.pptx)");
  if (names.has("mimetype") && names.has("content.xml")) throw unsupported("OpenDocument file (.odt/.ods)");
  if (has("word/") || names.has("[Content_Types].xml")) {
    throw new RefusalError(
      "corrupt",
      "Word package without its main part: word/document.xml is missing from the archive",
    );
  }
  throw unsupported(`ZIP archive (${entries.length} entries)`);
}

export interface ZipEntry {
  name: string;
  /** Compression method: 0 stored, 8 deflate. */
  method: number;
  /** General-purpose flags; bit 0 = encrypted, bit 3 = sizes in a data descriptor. */
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the local file header, already corrected for bytes prepended to the archive. */
  localHeaderOffset: number;
}

/** More entries than any Word document has; a guard against directories built to exhaust us. */
const MAX_ZIP_ENTRIES = 20_000;

/**
 * Reads a ZIP central directory without inflating anything: names, methods and the sizes as
 * declared (which a hostile archive may lie about: the docx extractor verifies them while
 * inflating). Supports ZIP64 records and archives with bytes prepended (self-extractors).
 * Throws RefusalError "corrupt" when the directory cannot be found or read.
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const corrupt = (why: string) => new RefusalError("corrupt", `damaged ZIP archive: ${why}`);

  // End of central directory record: 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corrupt("no end-of-central-directory record (truncated file?)");

  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  let cdEnd = eocd; // where the central directory should end

  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: a locator just before the EOCD points at the ZIP64 end record.
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) throw corrupt("missing ZIP64 locator");
    let z64 = safeNumber(view.getBigUint64(loc + 8, true));
    if (z64 + 56 > bytes.length || view.getUint32(z64, true) !== 0x06064b50) {
      // With prepended data the recorded offset is off; the record sits right before the locator.
      z64 = loc - 56;
      if (z64 < 0 || view.getUint32(z64, true) !== 0x06064b50) throw corrupt("missing ZIP64 end record");
    }
    count = safeNumber(view.getBigUint64(z64 + 32, true));
    cdSize = safeNumber(view.getBigUint64(z64 + 40, true));
    cdOffset = safeNumber(view.getBigUint64(z64 + 48, true));
    cdEnd = z64;
  }
  if (count > MAX_ZIP_ENTRIES) {
    throw new RefusalError("too-large", `ZIP archive has ${count} entries (limit ${MAX_ZIP_ENTRIES})`);
  }
  // Bytes prepended to the archive shift every recorded offset by the same amount.
  const shift = cdEnd - cdSize - cdOffset;
  let p = cdOffset + shift;
  if (p < 0 || cdSize > cdEnd) throw corrupt("central directory out of range");

  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) {
      throw corrupt(`central directory entry ${i} is unreadable`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let uncompressedSize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const nameStart = p + 46;
    const extraStart = nameStart + nameLen;
    const next = extraStart + extraLen + commentLen;
    if (next > bytes.length) throw corrupt(`central directory entry ${i} overruns the file`);
    const name = utf8Lenient.decode(bytes.subarray(nameStart, extraStart));

    // ZIP64 extended information: present for exactly those fields saturated at 0xFFFFFFFF.
    for (let q = extraStart; q + 4 <= extraStart + extraLen; ) {
      const id = view.getUint16(q, true);
      const size = view.getUint16(q + 2, true);
      if (id === 0x0001) {
        let f = q + 4;
        const fieldEnd = Math.min(f + size, extraStart + extraLen);
        const take = () => {
          if (f + 8 > fieldEnd) throw corrupt("truncated ZIP64 field");
          const v = safeNumber(view.getBigUint64(f, true));
          f += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      q += 4 + size;
    }

    entries.push({ name, method, flags, compressedSize, uncompressedSize, localHeaderOffset: localHeaderOffset + shift });
    p = next;
  }
  return entries;
}

/** Where an entry's compressed data starts (after its local header), bounds-checked. */
export function zipEntryDataOffset(bytes: Uint8Array, entry: ZipEntry): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const p = entry.localHeaderOffset;
  if (p < 0 || p + 30 > bytes.length || view.getUint32(p, true) !== 0x04034b50) {
    throw new RefusalError("corrupt", `damaged ZIP archive: bad local header for ${entry.name}`);
  }
  const start = p + 30 + view.getUint16(p + 26, true) + view.getUint16(p + 28, true);
  if (start + entry.compressedSize > bytes.length) {
    throw new RefusalError("corrupt", `damaged ZIP archive: ${entry.name} is truncated`);
  }
  return start;
}

function safeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RefusalError("corrupt", "damaged ZIP archive: impossible size or offset");
  }
  return Number(v);
}

// ---------------------------------------------------------------------------------------------
// OLE compound files (.doc, and also .xls, .ppt, encrypted OOXML)

function sniffOle(bytes: Uint8Array): MediaType {
  if (findOleEntry(bytes, "WordDocument") >= 0) return "application/msword";
  if (findOleEntry(bytes, "EncryptedPackage") >= 0) {
    throw new RefusalError("encrypted", "password-protected Office document (encrypted OOXML package)");
  }
  if (findOleEntry(bytes, "Workbook") >= 0 || findOleEntry(bytes, "Book") >= 0) {
    throw unsupported("Excel 97–2003 workbook (.xls)");
  }
  if (findOleEntry(bytes, "PowerPoint Document") >= 0) throw unsupported("PowerPoint 97–2003 presentation (.ppt)");
  // The directory naming the streams may be what is missing: a truncated file is damaged.
  const truncated = compoundFileTruncation(bytes);
  if (truncated) throw new RefusalError("corrupt", `truncated or damaged OLE compound file (.doc, .xls, .ppt): ${truncated}`);
  throw unsupported("OLE compound file without a WordDocument stream (not a Word document)");
}

/**
 * Finds the directory entry of a stream by name, by scanning for the UTF-16LE name at the
 * 128-byte alignment directory entries have (the header sector and all sectors are multiples
 * of 128 bytes), checking the entry's name length and type. Cheaper than walking the FAT
 * chain of the directory, and exact enough to tell a Word file from an Excel one.
 * Returns the entry's byte offset, or -1.
 */
export function findOleEntry(bytes: Uint8Array, name: string): number {
  const buf = toBuffer(bytes);
  const needle = Buffer.from(`${name}\0`, "utf16le");
  for (let pos = buf.indexOf(needle, 512); pos >= 0; pos = buf.indexOf(needle, pos + 2)) {
    if (pos % 128 !== 0 || pos + 128 > buf.length) continue;
    const nameLength = buf.readUInt16LE(pos + 64);
    const type = buf[pos + 66];
    if (nameLength === needle.length && type === 2) return pos;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Byte helpers

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function latin1(bytes: Uint8Array): string {
  return toBuffer(bytes).toString("latin1");
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  if (bytes.length < prefix.length) return false;
  return prefix.every((b, i) => bytes[i] === b);
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  return latin1(bytes.subarray(0, prefix.length)) === prefix;
}

function indexOfAscii(bytes: Uint8Array, needle: string): number {
  return toBuffer(bytes).indexOf(needle, 0, "latin1");
}

/** Control characters other than tab, LF, VT, FF, CR; and U+FFFD from a failed decode. */
function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && !(c >= 0x09 && c <= 0x0d)) || c === 0x7f || c === 0xfffd) return true;
  }
  return false;
}

function countChar(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
  return n;
}
