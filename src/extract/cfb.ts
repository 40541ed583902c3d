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

export function checkCompoundFile(bytes: Uint8Array): void {
  if (bytes.length < 512) throw corrupt("shorter than its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shift = view.getUint16(0x1e, true);
  if (shift !== 9 && shift !== 12) throw corrupt("bad sector size");
  const size = 1 << shift;
  const sectors = Math.floor((bytes.length - size) / size) + (bytes.length % size === 0 ? 0 : 1);
  const offset = (s: number) => (s + 1) * size;
  const u32 = (at: number) => (at + 4 <= bytes.length ? view.getUint32(at, true) : FREE);

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
