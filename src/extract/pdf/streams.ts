/**
 * A PDF's compressed streams, measured before pdf.js sees the file: a flate bomb (a small
 * content stream that inflates to gigabytes) is refused as `too-large` with a reason, in
 * memory of one chunk, where the bytes are. pdf.js decodes a stream into one growing buffer
 * outside the thread's heap (its limit does not cover it), so a bomb must not reach it.
 *
 * One pass over the file finds every `stream … endstream` (its dictionary is the text after
 * the last `N G obj` before it). For each stream whose filters pdf.js would decode:
 *
 * - ASCIIHexDecode and ASCII85Decode layers in front are decoded in memory (they shrink);
 * - FlateDecode layers are inflated by counting inflaters (../inflate.ts), chained, output
 *   dropped: every layer's output counts;
 * - RunLengthDecode is counted by walking its length bytes, and LZWDecode by walking its codes
 *   with the length of each table entry, both without decoding.
 *
 * Streams that are not images share one budget, `maxExpandedBytes` (MAX_EXPANDED_BYTES):
 * content streams, fonts, object streams, cross-reference streams. pdf.js never decodes an
 * image (maxImageSize 0, see pdfjs.ts), but a page may name an image stream as its content,
 * so an image is inflated too, with a cap of its own: its raster (width × height × 4 channels
 * at its bits per component, plus a predictor byte a row), and never more than the budget.
 *
 * Not measured: the streams of an encrypted PDF (their bytes are ciphertext here; pdf.js
 * decrypts them), and a filter after Flate, RunLength or LZW (no real PDF chains those). They
 * still run under the thread's time limit.
 */
import { RefusalError } from "../../document.js";
import { inflatedSize } from "../inflate.js";

/** How far before `stream` its dictionary may start. */
const DICT_WINDOW = 8192;

/** Deflate's largest expansion (zlib's figure), plus room for a predictor. */
const DEFLATE_MAX_RATIO = 1032;

export interface StreamTotals {
  /** Streams with filters pdf.js decodes. */
  streams: number;
  /** How many of them were inflated (or decoded) to be measured. */
  measured: number;
  /** An upper bound on what the streams other than images decode to: measured, or deflate's worst case. */
  expanded: number;
}

interface Found extends StreamSpan {
  filters: string[];
  image: boolean;
}

/**
 * Refuses a PDF whose streams decode past the limits above; returns what was measured.
 *
 * Only as much is inflated as it takes to prove the limits hold: a single FlateDecode layer of
 * n bytes decodes to at most 1032 × n, so once what was measured plus that worst case of every
 * stream not yet measured is within the budget, the rest need not be inflated. The largest
 * streams are measured first; in a typical report most small streams are never inflated here.
 */
export async function guardPdfStreams(bytes: Uint8Array, maxExpandedBytes: number): Promise<StreamTotals> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = findStreams(buf);
  const totals: StreamTotals = { streams: found.length, measured: 0, expanded: 0 };
  const plain = (f: Found) => f.filters.length === 1 && f.filters[0] === "FlateDecode";
  const worst = (f: Found) => (f.end - f.start) * DEFLATE_MAX_RATIO + 64;
  const measure = async (f: Found, cap: number, what: string) => {
    totals.measured++;
    const produced = await decodedSize(buf.subarray(f.start, f.end), f.filters, f.dict, cap);
    if (produced > cap) throw new RefusalError("too-large", `PDF ${what} (${f.ref})`);
    return produced;
  };
  // Images: each within its own raster (see above).
  for (const f of found.filter((x) => x.image)) {
    const cap = Math.min(rasterBound(f.dict), maxExpandedBytes);
    if (!plain(f) || worst(f) > cap) await measure(f, cap, `image stream inflates past its ${cap}-byte raster`);
  }
  // Everything else: one budget.
  const over = `streams inflate past the limit of ${maxExpandedBytes} bytes`;
  const others = found.filter((x) => !x.image);
  for (const f of others.filter((x) => !plain(x))) totals.expanded += await measure(f, maxExpandedBytes - totals.expanded, over);
  const rest = others.filter(plain).sort((a, b) => b.end - b.start - (a.end - a.start));
  let unmeasured = rest.reduce((n, f) => n + worst(f), 0);
  for (const f of rest) {
    if (totals.expanded + unmeasured <= maxExpandedBytes) break;
    unmeasured -= worst(f);
    totals.expanded += await measure(f, maxExpandedBytes - totals.expanded, over);
  }
  totals.expanded += unmeasured;
  return totals;
}

/** Every stream with filters, in file order. */
function findStreams(buf: Buffer): Found[] {
  const out: Found[] = [];
  for (let at = buf.indexOf("stream", 0, "latin1"); at >= 0; ) {
    const s = streamAt(buf, at);
    if (!s) {
      at = buf.indexOf("stream", at + 6, "latin1");
      continue;
    }
    at = buf.indexOf("stream", Math.max(s.end, at + 6), "latin1");
    const filters = filtersOf(s.dict);
    if (filters.length > 0) out.push({ ...s, filters, image: /\/Subtype\s*\/Image\b/.test(s.dict) });
  }
  return out;
}

/**
 * What `data` decodes to through `filters`, counted up to just past `cap`: ASCIIHex and
 * ASCII85 layers in front decoded, then FlateDecode layers inflated (each layer's output
 * counted), or RunLengthDecode or LZWDecode counted; a filter after those is not followed.
 */
async function decodedSize(raw: Uint8Array, filters: readonly string[], dict: string, cap: number): Promise<number> {
  let data: Uint8Array | null = raw;
  let i = 0;
  for (; data && (filters[i] === "ASCIIHexDecode" || filters[i] === "ASCII85Decode"); i++) {
    data = filters[i] === "ASCIIHexDecode" ? asciiHex(data) : ascii85(data, cap);
  }
  if (data === null) return cap + 1; // an ASCII85 layer already went past the cap
  let flates = 0;
  while (filters[i + flates] === "FlateDecode") flates++;
  if (flates > 0) return (await inflatedSize(data, "zlib", cap, flates)).bytes;
  if (filters[i] === "RunLengthDecode") return runLengthSize(data);
  if (filters[i] === "LZWDecode") return lzwSize(data, /\/EarlyChange\s+0\b/.test(dict) ? 0 : 1);
  return data.length;
}

/**
 * LZWDecode's output size, from its codes alone: each table entry's length is its prefix's
 * plus one, so the output is counted without being made (9 to 12 bits a code, 256 clears the
 * table, 257 ends the data; `early` is the stream's EarlyChange).
 */
function lzwSize(data: Uint8Array, early: 0 | 1): number {
  const lengths = new Uint16Array(4096).fill(1, 0, 256);
  let next = 258;
  let width = 9;
  let prev = -1;
  let total = 0;
  let bits = 0;
  let buffer = 0;
  for (let i = 0; ; ) {
    while (bits < width && i < data.length) {
      buffer = ((buffer << 8) | (data[i++] as number)) >>> 0;
      bits += 8;
    }
    if (bits < width) return total;
    const code = (buffer >>> (bits - width)) & ((1 << width) - 1);
    bits -= width;
    buffer &= (1 << bits) - 1;
    if (code === 256) {
      next = 258;
      width = 9;
      prev = -1;
      continue;
    }
    if (code === 257) return total;
    let length: number;
    if (code < 256 || (code >= 258 && code < next)) length = lengths[code] as number;
    else if (code === next && prev >= 0) length = (lengths[prev] as number) + 1;
    else return total; // damaged: pdf.js stops here too
    total += length;
    if (prev >= 0 && next < 4096) lengths[next++] = (lengths[prev] as number) + 1;
    prev = code;
    if (next + early >= 1 << width && width < 12) width++;
  }
}

interface StreamSpan {
  dict: string;
  /** `N G obj` of the stream, or "offset N" when there is none. */
  ref: string;
  start: number;
  end: number;
}

/** The stream whose `stream` keyword is at `at`, or null when it is not a stream keyword. */
function streamAt(buf: Buffer, at: number): StreamSpan | null {
  // `endstream`, or `stream` inside a word, is not the keyword.
  const before = at > 0 ? (buf[at - 1] as number) : 0x20;
  if (/[A-Za-z]/.test(String.fromCharCode(before))) return null;
  // The keyword follows the dictionary's `>>` (whitespace between).
  let k = at - 1;
  while (k >= 0 && isWhite(buf[k] as number)) k--;
  if (k < 1 || buf[k] !== 0x3e || buf[k - 1] !== 0x3e) return null;
  let start = at + 6;
  if (buf[start] === 0x0d) start++;
  if (buf[start] === 0x0a) start++;
  // The dictionary: from the last `obj` keyword before it (within DICT_WINDOW).
  const from = Math.max(0, at - DICT_WINDOW);
  let obj = buf.lastIndexOf("obj", k, "latin1");
  while (obj >= from && /[A-Za-z]/.test(String.fromCharCode(buf[obj - 1] ?? 0x20))) obj = buf.lastIndexOf("obj", obj - 1, "latin1");
  const dict = buf.toString("latin1", obj >= from ? obj + 3 : from, at);
  const head = obj >= from ? /(\d+)\s+(\d+)\s+$/.exec(buf.toString("latin1", Math.max(0, obj - 24), obj)) : null;
  const ref = head ? `object ${head[1]} ${head[2]}` : `offset ${at}`;
  const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
  let end = -1;
  if (length) {
    const e = start + Number(length[1]);
    let j = e;
    while (j < buf.length && isWhite(buf[j] as number)) j++;
    if (buf.toString("latin1", j, j + 9) === "endstream") end = e;
  }
  if (end < 0) {
    const e = buf.indexOf("endstream", start, "latin1");
    end = e < 0 ? buf.length : e;
  }
  return { dict, ref, start, end };
}

const ABBREVIATIONS: Record<string, string> = { Fl: "FlateDecode", AHx: "ASCIIHexDecode", A85: "ASCII85Decode", RL: "RunLengthDecode", LZW: "LZWDecode" };

/** The stream's filters, in order, with abbreviations spelled out. */
function filtersOf(dict: string): string[] {
  const m = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(dict);
  if (!m) return [];
  return [...(m[1] as string).matchAll(/\/([A-Za-z0-9]+)/g)].map((f) => ABBREVIATIONS[f[1] as string] ?? (f[1] as string));
}

/** An upper bound on an image's decoded bytes: 4 channels at its bits per component, a predictor byte a row. */
function rasterBound(dict: string): number {
  const int = (key: string) => {
    const m = new RegExp(`/${key}\\s+(\\d+)(?!\\s+\\d+\\s+R)`).exec(dict);
    return m ? Number(m[1]) : null;
  };
  const w = int("Width") ?? int("W");
  const h = int("Height") ?? int("H");
  if (w === null || h === null) return 0;
  const bpc = Math.min(int("BitsPerComponent") ?? int("BPC") ?? 8, 16);
  return h * (Math.ceil((w * 4 * bpc) / 8) + 1) + 1024;
}

/** RunLengthDecode's output size, from its length bytes alone. */
function runLengthSize(data: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < data.length; ) {
    const len = data[i] as number;
    if (len === 128) break;
    if (len < 128) {
      n += len + 1;
      i += len + 2;
    } else {
      n += 257 - len;
      i += 2;
    }
  }
  return n;
}

function asciiHex(data: Uint8Array): Uint8Array {
  const text = Buffer.from(data).toString("latin1");
  const end = text.indexOf(">");
  const hex = (end < 0 ? text : text.slice(0, end)).replace(/[^0-9A-Fa-f]/g, "");
  return Buffer.from(hex.length % 2 ? `${hex}0` : hex, "hex");
}

/** ASCII85Decode's output, or null once it passes `cap` (`z` makes 4 bytes of 1). */
function ascii85(data: Uint8Array, cap: number): Uint8Array | null {
  // (allocUnsafe: the pages of the buffer that are never written are never touched)
  const out = Buffer.allocUnsafe(Math.min(cap + 4, data.length * 4));
  let n = 0;
  let group: number[] = [];
  const put = (b: number) => {
    if (n >= out.length) return false;
    out[n++] = b;
    return true;
  };
  const flush = (count: number) => {
    while (group.length < 5) group.push(84);
    let v = 0;
    for (const c of group) v = v * 85 + c;
    group = [];
    for (let k = 0; k < count - 1; k++) if (!put(Math.floor(v / 2 ** (24 - 8 * k)) & 0xff)) return false;
    return true;
  };
  for (const b of data) {
    if (b === 0x7e) break; // ~>
    if (b === 0x7a && group.length === 0) {
      if (!(put(0) && put(0) && put(0) && put(0))) return null;
      continue;
    }
    if (b < 0x21 || b > 0x75) continue; // whitespace, or junk pdf.js skips too
    group.push(b - 0x21);
    if (group.length === 5 && !flush(5)) return null;
  }
  if (group.length > 0 && !flush(group.length)) return null;
  return n > cap ? null : out.subarray(0, n);
}

function isWhite(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || b === 0x0c || b === 0x00;
}
