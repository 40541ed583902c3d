/**
 * Job data of each stage, validated with zod by the producer and again by the worker. Job
 * data holds references (the document id, the source, artifact keys), never document text.
 */
import { z } from "zod";

export const DocumentId = z.string().regex(/^sha256-[0-9a-f]{64}$/, "sha256-<64 hex>");

export { RunId } from "../src/backfill/selection.js";
import { RunId } from "../src/backfill/selection.js";

export const SourceRefSchema = z.object({
  uri: z.string().min(1),
  key: z.string(),
  size: z.number().int().nonnegative(),
  versionId: z.string().nullable().optional(),
  etag: z.string().nullable().optional(),
  mtime: z.string().nullable().optional(),
});

const base = {
  /** `sha256-<hex>`: also the BullMQ job id, so the same bytes make one job per stage. */
  documentId: DocumentId,
  /** The upload bucket the source is in (a folder or s3://bucket/prefix). */
  bucket: z.string().min(1),
  source: SourceRefSchema,
  fileName: z.string().nullable(),
  /**
   * Set by `nianbao reprocess`: the job ids of the run are `<documentId>-r<runId>`, because the
   * live ids (the document id alone) of jobs kept from earlier runs would swallow the re-add.
   */
  runId: RunId.optional(),
};

export const ExtractJob = z.object(base);
export const ReconstructJob = z.object({ ...base, artifactKey: z.string().min(1) });
export const StoreJob = z.object({ ...base, envelopeKey: z.string().min(1) });

export type ExtractJob = z.infer<typeof ExtractJob>;
export type ReconstructJob = z.infer<typeof ReconstructJob>;
export type StoreJob = z.infer<typeof StoreJob>;

export { documentIdOf } from "../src/document.js";

/** The BullMQ job id of a document at every stage: the document id, plus the run if any. */
export const jobIdOf = (data: { documentId: string; runId?: string | undefined }) =>
  data.runId ? `${data.documentId}-r${data.runId}` : data.documentId;
export const shaOf = (documentId: string) => documentId.slice("sha256-".length);

/** Artifact keys in the output store. */
export const extractionKey = (sha256: string) => `extract/${sha256}`;
/**
 * Envelope artifacts were written by the reconstruct stage before 0.5.0 (one job now runs all
 * three stages); a store job left in Redis from then names one, and the store processor still
 * reads it. Nothing writes them any more but the tests that make such jobs.
 */
export const envelopeKey = (sha256: string, version: string) => `envelope/${sha256}/${version}`;

/**
 * The BullMQ job name: the stage and the file name, so that bull-board's cards (failures
 * above all) say which file, not only a sha256. Control and bidirectional-formatting
 * characters are removed (a name is shown, never interpreted); at most 200 characters.
 */
export function jobName(stage: string, fileName: string | null | undefined): string {
  const name = (fileName ?? "")
    .replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, "")
    .trim()
    .slice(0, 200);
  return name ? `${stage} ${name}` : stage;
}
