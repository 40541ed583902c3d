/**
 * Counting what compressed data inflates to, in bounded memory: the data is inflated by a
 * streaming zlib inflater and each output chunk is counted and dropped, so a bomb that
 * claims (or hides) gigabytes costs one chunk of memory, and the count stops just past the
 * cap. The zip guard (docx.ts) and the PDF stream guard (pdf/streams.ts) both use it.
 */
import { createInflate, createInflateRaw, inflateRawSync, inflateSync } from "node:zlib";

/** Output chunk of the counting inflater. */
const CHUNK = 64 * 1024;
/**
 * Data this short is inflated in one synchronous call instead: deflate expands at most about
 * 1032:1, so its output (held whole for a moment) is at most 1032 × this, 8 MiB, and a
 * streaming inflater's set-up and event-loop turns would cost more than the inflating.
 */
const SYNC_MAX_INPUT = 8 * 1024;

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
 * FlateDecode). With `layers` > 1 the output is inflated again (a PDF stream filtered twice),
 * each layer piped into the next with backpressure, and every layer's output counts.
 * Damaged data is not an error here: the count up to the damage is returned.
 */
export async function inflatedSize(data: Uint8Array, format: "raw" | "zlib", cap: number, layers = 1): Promise<InflatedSize> {
  if (layers === 1 && data.length <= SYNC_MAX_INPUT) {
    try {
      const out = (format === "raw" ? inflateRawSync : inflateSync)(data, { maxOutputLength: Math.max(1, cap + 1) });
      return { bytes: out.length, over: out.length > cap, error: null };
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") return { bytes: cap + 1, over: true, error: null };
      // Damaged or cut short: the streaming count says how much came out before the damage.
    }
  }
  return inflatedSizeStreaming(data, format, cap, layers);
}

function inflatedSizeStreaming(data: Uint8Array, format: "raw" | "zlib", cap: number, layers: number): Promise<InflatedSize> {
  return new Promise((resolve) => {
    const make = () => (format === "raw" ? createInflateRaw({ chunkSize: CHUNK }) : createInflate({ chunkSize: CHUNK }));
    const chain = Array.from({ length: Math.max(1, layers) }, make);
    const last = chain[chain.length - 1] as ReturnType<typeof make>;
    let bytes = 0;
    let settled = false;
    const settle = (over: boolean, error: Error | null) => {
      if (settled) return;
      settled = true;
      for (const z of chain) z.destroy();
      resolve({ bytes, over, error });
    };
    chain.forEach((z, k) => {
      z.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > cap) settle(true, null);
      });
      z.on("error", (e: Error) => settle(false, e));
      const next = chain[k + 1];
      if (next) z.pipe(next);
    });
    last.on("end", () => settle(false, null));
    last.on("close", () => settle(bytes > cap, null));
    (chain[0] as ReturnType<typeof make>).end(data);
  });
}
