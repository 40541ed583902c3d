/**
 * Adds documents to the pipeline. The job id is the content hash (`sha256-<hex>`), so the
 * same bytes dropped twice make one job while it exists; the store's durable ingest record
 * covers the time after the job is removed.
 */
import type { BucketObject } from "../src/bucket/types.js";
import { sha256 } from "../src/process.js";
import type { OutputStore } from "../src/store/types.js";
import { documentIdOf, ExtractJob, jobName } from "./jobs.js";
import type { StageQueues } from "./connection.js";

export type EnqueueOutcome = { status: "enqueued" | "duplicate"; documentId: string };

export class Producer {
  constructor(
    private readonly queues: StageQueues,
    private readonly store: OutputStore,
    private readonly bucketRoot: string,
  ) {}

  /**
   * Enqueues one object whose bytes the caller has read (to hash them). The job is added
   * before the ingest record is written: a crash in between leaves a job and no record (the
   * next drop of the same bytes is deduped by the job id), never a record without a job.
   */
  async enqueue(object: BucketObject, bytes: Uint8Array, options: { priority?: number } = {}): Promise<EnqueueOutcome> {
    const sha = sha256(bytes);
    const documentId = documentIdOf(sha);
    const source = {
      uri: object.uri,
      key: object.key,
      size: object.size,
      versionId: object.versionId ?? null,
      etag: object.etag ?? null,
      mtime: object.mtime ?? null,
    };
    if (await this.store.getIngest(sha)) {
      await this.store.recordIngest(sha, source);
      return { status: "duplicate", documentId };
    }
    const data = ExtractJob.parse({ documentId, bucket: this.bucketRoot, source, fileName: object.key.split("/").pop() ?? null });
    await this.queues.queues.extract.add(jobName("extract", data.fileName), data, { jobId: documentId, ...(options.priority ? { priority: options.priority } : {}) });
    await this.store.recordIngest(sha, source);
    return { status: "enqueued", documentId };
  }
}
