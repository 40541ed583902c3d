/**
 * An append-only NDJSON file of the file store (index.ndjson, failures.ndjson). Each record is
 * one line written with one O_APPEND write, so writers in several processes never interleave
 * within a line. A reader folds the file in as it grows: readNew() returns only the complete
 * lines appended since its last call (by this process or another), so keeping an in-memory
 * view up to date costs a stat when nothing changed.
 */
import { appendFile, open, type FileHandle } from "node:fs/promises";
import { errorCode, readText } from "./fs.js";

/** The record of one NDJSON line; undefined for a blank line or one torn by a crash. */
function parseLine<T>(line: string): T | undefined {
  if (line.trim() === "") return undefined;
  try {
    return JSON.parse(line) as T;
  } catch {
    return undefined; // a line torn by a crash
  }
}

/** The records of NDJSON text, leaving out blank lines and lines torn by a crash. */
function parseLines<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split("\n")) {
    const record = parseLine<T>(line);
    if (record !== undefined) out.push(record);
  }
  return out;
}

/** The file opened for reading, or null when there is none. */
async function openIfExists(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, "r");
  } catch (e) {
    if (errorCode(e) === "ENOENT") return null;
    throw e;
  }
}

/** How much of the file readBackward reads at a time. */
const BACKWARD_CHUNK_BYTES = 64 * 1024;

export class AppendLog<T> {
  /** Bytes of the file already returned by readNew. */
  private offset = 0;

  constructor(readonly file: string) {}

  async append(record: T): Promise<void> {
    await appendFile(this.file, `${JSON.stringify(record)}\n`, "utf8");
  }

  /**
   * Appends a newline if the file's last byte is not one (at start): a crash in the middle of
   * an append leaves a line without its end, and the next record would be glued onto the
   * broken line and lost with it.
   */
  async terminateLastLine(): Promise<void> {
    const fh = await openIfExists(this.file);
    if (!fh) return;
    try {
      const { size } = await fh.stat();
      if (size === 0) return;
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] === 0x0a) return;
    } finally {
      await fh.close();
    }
    await appendFile(this.file, "\n", "utf8");
  }

  /**
   * The records of the complete lines appended since the last call. `restarted`: the file was
   * replaced by a shorter one (compacted or restored), and these are its records from the
   * start, so the caller folds them into an empty view.
   */
  async readNew(): Promise<{ restarted: boolean; records: T[] }> {
    const fh = await openIfExists(this.file);
    if (!fh) return { restarted: false, records: [] };
    try {
      const { size } = await fh.stat();
      const restarted = size < this.offset;
      if (restarted) this.offset = 0;
      if (size === this.offset) return { restarted, records: [] };
      const buf = Buffer.alloc(size - this.offset);
      await fh.read(buf, 0, buf.length, this.offset);
      // Only complete lines: a line still being appended is read next time.
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return { restarted, records: [] };
      const records = parseLines<T>(buf.subarray(0, end).toString("utf8"));
      this.offset += end + 1;
      return { restarted, records };
    } finally {
      await fh.close();
    }
  }

  /**
   * The records of the file newest first (torn lines left out, as readAll), read from its end
   * a chunk at a time: a caller that wants the newest few stops early and reads only the tail.
   */
  async *readBackward(chunkBytes = BACKWARD_CHUNK_BYTES): AsyncGenerator<T> {
    const fh = await openIfExists(this.file);
    if (!fh) return;
    try {
      let pos = (await fh.stat()).size;
      /** The start of the file's earliest line read so far, whose beginning lies before `pos`. */
      let carry = Buffer.alloc(0);
      while (pos > 0) {
        const n = Math.min(chunkBytes, pos);
        pos -= n;
        const chunk = Buffer.alloc(n);
        await fh.read(chunk, 0, n, pos);
        const data = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
        let end = data.length;
        for (let nl = data.lastIndexOf(0x0a, end - 1); nl >= 0; nl = end > 0 ? data.lastIndexOf(0x0a, end - 1) : -1) {
          const record = parseLine<T>(data.subarray(nl + 1, end).toString("utf8"));
          if (record !== undefined) yield record;
          end = nl;
        }
        carry = Buffer.from(data.subarray(0, end));
      }
      const first = parseLine<T>(carry.toString("utf8"));
      if (first !== undefined) yield first;
    } finally {
      await fh.close();
    }
  }

  /** Every record of the file, from the start (torn lines left out). */
  async readAll(): Promise<T[]> {
    const text = await readText(this.file);
    return text === null ? [] : parseLines<T>(text);
  }
}
