/**
 * A check of an OLE compound file (the container of a .doc) before any parser walks it: every
 * sector chain the file declares must end, stay inside the file, and not run into another.
 * A chain that loops back on itself makes a naive reader allocate without end (a 67 KB file
 * once aborted the process with V8's "invalid size" fatal error), so such a file is refused as
 * `corrupt` here, in time and memory bounded by the file's size.
 */
import { RefusalError } from "../document.js";

const FREE = 0xffffffff;
const END_OF_CHAIN = 0xfffffffe;
const FAT_SECTOR = 0xfffffffd;
const DIFAT_SECTOR = 0xfffffffc;
/** Header DIFAT entries (the first 109 FAT sectors). */
const HEADER_DIFAT = 109;

const corrupt = (why: string) => new RefusalError("corrupt", `damaged Word file: ${why}`);

interface Geometry {
  /** Sector size in bytes. */
  size: number;
  /** Sectors in the file, a last partial one included. */
  sectors: number;
  offset: (sector: number) => number;
  /** A little-endian u32 of the file, FREE past its end. */
  u32: (at: number) => number;
}

/** The header's sector size and the file's sectors, or the reason the header is unusable. */
function geometry(bytes: Uint8Array): Geometry | string {
  if (bytes.length < 512) return "shorter than its header";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shift = view.getUint16(0x1e, true);
  if (shift !== 9 && shift !== 12) return "bad sector size";
  const size = 1 << shift;
  return {
    size,
    sectors: Math.floor((bytes.length - size) / size) + (bytes.length % size === 0 ? 0 : 1),
    offset: (s: number) => (s + 1) * size,
    u32: (at: number) => (at + 4 <= bytes.length ? view.getUint32(at, true) : FREE),
  };
}

/**
 * Why a compound file is cut short, or null: its header is incomplete, or a FAT sector the
 * header lists or a sector of the directory chain ends past the end of the file. Sniffing asks
 * this of a compound file in which it found no stream it knows (the directory that names
 * them may be the part cut off), so that a truncated .doc is `corrupt`, not an unknown type.
 */
export function compoundFileTruncation(bytes: Uint8Array): string | null {
  const g = geometry(bytes);
  if (typeof g === "string") return g;
  const { size, u32 } = g;
  const complete = (s: number) => (s + 2) * size <= bytes.length;
  for (let i = 0; i < HEADER_DIFAT; i++) {
    const s = u32(0x4c + 4 * i);
    if (s === FREE || s === END_OF_CHAIN) continue;
    if (!complete(s)) return `FAT sector ${s} lies past the end of the file (${bytes.length} bytes)`;
  }
  // The FAT entry of a sector (only the header's 109 FAT sectors are looked in: a directory
  // lies well within them in any file this short).
  const fatAt = (s: number): number => {
    const k = Math.floor(s / (size / 4));
    const fatSector = k < HEADER_DIFAT ? u32(0x4c + 4 * k) : FREE;
    return fatSector < g.sectors ? u32(g.offset(fatSector) + 4 * (s % (size / 4))) : END_OF_CHAIN;
  };
  for (let s = u32(0x30), n = 0; s !== END_OF_CHAIN && s !== FREE && n <= g.sectors; s = fatAt(s), n++) {
    if (!complete(s)) return `directory sector ${s} lies past the end of the file (${bytes.length} bytes)`;
  }
  return null;
}

export function checkCompoundFile(bytes: Uint8Array): void {
  const g = geometry(bytes);
  if (typeof g === "string") throw corrupt(g);
  const { size, sectors, offset, u32 } = g;

  // The FAT sectors: the header's DIFAT, then the DIFAT chain (bounded by the file's sectors).
  const fatSectors: number[] = [];
  for (let i = 0; i < HEADER_DIFAT; i++) {
    const s = u32(0x4c + 4 * i);
    if (s === FREE || s === END_OF_CHAIN) continue;
    if (s >= sectors) throw corrupt("a FAT sector lies outside the file");
    fatSectors.push(s);
  }
  const seenDifat = new Set<number>();
  for (let d = u32(0x44); d !== END_OF_CHAIN && d !== FREE; ) {
    if (d >= sectors || seenDifat.has(d)) throw corrupt("the DIFAT chain loops or leaves the file");
    seenDifat.add(d);
    for (let i = 0; i < size / 4 - 1; i++) {
      const s = u32(offset(d) + 4 * i);
      if (s === FREE || s === END_OF_CHAIN) continue;
      if (s >= sectors) throw corrupt("a FAT sector lies outside the file");
      fatSectors.push(s);
    }
    d = u32(offset(d) + size - 4);
  }
  const fat = new Uint32Array(fatSectors.length * (size / 4));
  fatSectors.forEach((s, k) => {
    for (let i = 0; i < size / 4; i++) fat[k * (size / 4) + i] = u32(offset(s) + 4 * i);
  });

  // Every chain must end without meeting a sector another chain (or itself) already took.
  const owner = new Uint8Array(Math.max(sectors, 1));
  const walk = (start: number, what: string) => {
    for (let s = start, n = 0; s !== END_OF_CHAIN; n++) {
      if (s === FREE || s === FAT_SECTOR || s === DIFAT_SECTOR || s >= sectors || s >= fat.length) throw corrupt(`the ${what} chain leaves the file`);
      if (owner[s]) throw corrupt(`the ${what} chain loops or runs into another chain`);
      owner[s] = 1;
      s = fat[s] as number;
      if (n > sectors) throw corrupt(`the ${what} chain is longer than the file`);
    }
  };
  const dirStart = u32(0x30);
  walk(dirStart, "directory");
  const miniFatStart = u32(0x3c);
  if (miniFatStart !== END_OF_CHAIN && miniFatStart !== FREE) walk(miniFatStart, "mini FAT");
  const miniCutoff = u32(0x38);

  // The directory's streams: those at or over the cutoff have chains of their own; the root
  // entry's chain is the mini stream.
  const dir: number[] = [];
  const seenDir = new Set<number>();
  for (let s = dirStart; s !== END_OF_CHAIN && !seenDir.has(s) && s < sectors; s = fat[s] ?? END_OF_CHAIN) {
    seenDir.add(s);
    dir.push(s);
  }
  for (const d of dir) {
    for (let e = 0; e < size / 128; e++) {
      const at = offset(d) + 128 * e;
      const type = bytes[at + 66];
      if (type !== 2 && type !== 5) continue;
      const start = u32(at + 116);
      const length = u32(at + 120);
      if (length > bytes.length * 8 && type === 2) throw corrupt("a stream is declared larger than the file can hold");
      if (type === 2 && length < miniCutoff) continue;
      if (start === END_OF_CHAIN || start === FREE || length === 0) continue;
      walk(start, type === 5 ? "mini stream" : "stream");
    }
  }
}
