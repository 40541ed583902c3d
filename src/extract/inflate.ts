/**
 * Counting what compressed data inflates to, in bounded memory: the data is inflated by a
 * streaming zlib inflater and each output chunk is counted and dropped, so a bomb that
 * claims (or hides) gigabytes costs one chunk of memory, and the count stops just past the
 * cap. The zip guard (docx.ts) and the PDF stream guard (pdf/streams.ts) both use it.
 */
import { createInflate, createInflateRaw } from "node:zlib";

/** Output chunk of the counting inflater. */
const CHUNK = 64 * 1024;

export interface InflatedSize {
  /** Bytes of output counted (at most a chunk past `cap` when `over`). */
  bytes: number;
  /** The output went past `cap`; counting stopped there. */
  over: boolean;
  /** The data is damaged (the count is what came out before the damage), else null. */
  error: Error | null;
}

/**
 * How many bytes `data` inflates to, counted up to just past `cap`. `format` is "raw" for
 * deflate without a header (ZIP entries), "zlib" for deflate with its zlib header (PDF's
 * FlateDecode). Damaged data is not an error here: the count up to the damage is returned.
 */
export function inflatedSize(data: Uint8Array, format: "raw" | "zlib", cap: number): Promise<InflatedSize> {
  return new Promise((resolve) => {
    const z = format === "raw" ? createInflateRaw({ chunkSize: CHUNK }) : createInflate({ chunkSize: CHUNK });
    let bytes = 0;
    let settled = false;
    const settle = (over: boolean, error: Error | null) => {
      if (settled) return;
      settled = true;
      resolve({ bytes, over, error });
    };
    z.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > cap) {
        settle(true, null);
        z.destroy();
      }
    });
    z.on("error", (e: Error) => settle(false, e));
    z.on("end", () => settle(false, null));
    z.on("close", () => settle(bytes > cap, null));
    z.end(data);
  });
}
