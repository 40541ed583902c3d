/**
 * One file → one envelope. The CLI and the queue workers call these same functions, so a
 * document gives the same result however it arrives.
 *
 *   sniff → extract → reconstruct → validate → envelope
 *
 * `processBytes` does it all; `extractBytes` and `buildEnvelope` are the two halves, so the
 * pipeline can store the extraction as an artifact and later reprocess from it without
 * parsing the file again.
 */
import { createHash } from "node:crypto";
import { RefusalError, type IntermediateDocument } from "./document.js";
import { extract, type ExtractOptions } from "./extract/index.js";
import { Envelope, SCHEMA_VERSION } from "./model.js";
import { reconstruct } from "./reconstruct/index.js";
import { sniff } from "./sniff.js";
import { validate } from "./validate/index.js";
import { PIPELINE_VERSION } from "./version.js";

export { PIPELINE_VERSION };

export interface ProcessOptions extends ExtractOptions {
  /** The name the file was uploaded under, kept in the envelope (may be null). */
  fileName?: string | null;
  /** Files larger than this are refused with "too-large". */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface Extraction {
  sha256: string;
  fileName: string | null;
  document: IntermediateDocument;
}

/** sniff + extract: the expensive, format-specific half. */
export async function extractBytes(bytes: Uint8Array, options: ProcessOptions = {}): Promise<Extraction> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.byteLength > maxBytes)
    throw new RefusalError("too-large", `file is ${bytes.byteLength} bytes, over the limit of ${maxBytes} bytes`);
  const mediaType = sniff(bytes);
  const document = await extract(bytes, mediaType, options);
  return { sha256: sha256(bytes), fileName: options.fileName ?? null, document };
}

/** reconstruct + validate: the cheap half, pure, run again whenever the reconstructor improves. */
export function buildEnvelope(extraction: Extraction): Envelope {
  const { document } = extraction;
  const rec = reconstruct(document);
  if (!rec.looksLikeReport)
    throw new RefusalError(
      "not-a-report",
      "no statistics table, and no report title (or the body's name and year in the first sentences) followed by its sections in order: a text about reports, not one",
    );
  const validation = validate(rec.report, rec.findings, rec.incomplete);
  const envelope = {
    schemaVersion: SCHEMA_VERSION,
    source: { sha256: extraction.sha256, fileName: extraction.fileName, mediaType: document.mediaType, pages: document.pages },
    report: rec.report,
    validation,
    pipeline: { version: PIPELINE_VERSION },
  };
  return Envelope.parse(envelope);
}

export async function processBytes(bytes: Uint8Array, options: ProcessOptions = {}): Promise<Envelope> {
  return buildEnvelope(await extractBytes(bytes, options));
}
