/**
 * Adds documents to the pipeline. The job id is the content hash (`sha256-<hex>`), so the
 * same bytes dropped twice make one job while it exists; the store's durable ingest record
 * covers the time after the job is removed.
 */
import type { BucketObject } from "../src/bucket/types.js";
import { failedReasonOf } from "../src/failures.js";
import type { FailureLog, IngestLedger, SourceRef } from "../src/store/types.js";
import { documentIdOf, ExtractJob, jobName } from "./jobs.js";
import type { StageQueues } from "./connection.js";
import { QueueUnavailableError } from "./unavailable.js";

export type EnqueueOutcome = { status: "enqueued" | "duplicate" | "refused"; documentId: string };

/**
 * The Redis set of the upload bucket roots producers enqueue from: the workers read only from
 * INBOX and these (job data is not trusted: a job naming another root is refused,
 * `outside-bucket`). Only a process with Redis access can add to it, never a job's data.
 */
export const bucketsKey = (prefix: string) => `${prefix}:buckets`;

/** How many objects the watcher hashes, then enqueues in one round trip (enqueueMany). */
export const ENQUEUE_BATCH = 100;

export class Producer {
  private registered = false;
  constructor(
    private readonly queues: StageQueues,
    private readonly store: IngestLedger & FailureLog,
    private readonly bucketRoot: string,
    private readonly prefix: string,
  ) {}

  /**
   * Enqueues one object, by the SHA-256 of its bytes (the caller hashed them, streaming). The
   * job is added before the ingest record is written: a crash in between leaves a job and no
   * record (the next drop of the same bytes is deduped by the job id), never a record without
   * a job.
   */
  async enqueue(object: BucketObject, sha: string, options: { priority?: number } = {}): Promise<EnqueueOutcome> {
    return (await this.enqueueMany([{ object, sha }], options))[0] as EnqueueOutcome;
  }

  /**
   * Enqueues objects as enqueue() does each, in order, with one Redis round trip for all their
   * jobs (addBulk; callers pass batches of ENQUEUE_BATCH). The same bytes twice in one batch
   * make one job, the later one a duplicate. If Redis does not take the jobs
   * (QueueUnavailableError), no ingest record of the batch has been written.
   */
  async enqueueMany(items: readonly { object: BucketObject; sha: string }[], options: { priority?: number } = {}): Promise<EnqueueOutcome[]> {
    const known = await Promise.all(items.map(async ({ sha }) => (await this.store.getIngest(sha)) !== null));
    const seen = new Set<string>();
    const fresh = items.map(({ sha }, i) => {
      if (known[i] || seen.has(sha)) return false;
      seen.add(sha);
      return true;
    });
    const jobs = items
      .filter((_, i) => fresh[i])
      .map(({ object, sha }) => {
        const data = ExtractJob.parse({ documentId: documentIdOf(sha), bucket: this.bucketRoot, source: sourceOf(object), fileName: object.key.split("/").pop() ?? null });
        return { name: jobName("extract", data.fileName), data, opts: { jobId: data.documentId, ...(options.priority ? { priority: options.priority } : {}) } };
      });
    if (jobs.length) {
      try {
        if (!this.registered) {
          await this.queues.connection.sadd(bucketsKey(this.prefix), this.bucketRoot);
          this.registered = true;
        }
        await this.queues.queues.extract.addBulk(jobs);
      } catch (e) {
        // Redis down, or full (maxmemory with noeviction: "OOM command not allowed"): the queue
        // is unavailable, whatever the file.
        throw new QueueUnavailableError(`Redis did not take the job: ${(e as Error).message}`);
      }
    }
    const outcomes: EnqueueOutcome[] = [];
    for (const [i, { object, sha }] of items.entries()) {
      await this.store.recordIngest(sha, sourceOf(object));
      outcomes.push({ status: fresh[i] ? "enqueued" : "duplicate", documentId: documentIdOf(sha) });
    }
    return outcomes;
  }

  /**
   * Records an object over MAX_FILE_BYTES as a `too-large` failure, once: with its ingest
   * record, so that seeing it again (another poll, a restart, the same bytes elsewhere) is a
   * duplicate. No job: the worker would only refuse it.
   */
  async refuseTooLarge(object: BucketObject, sha: string, maxBytes: number): Promise<EnqueueOutcome> {
    const documentId = documentIdOf(sha);
    const source = sourceOf(object);
    if (await this.store.getIngest(sha)) {
      await this.store.recordIngest(sha, source);
      return { status: "duplicate", documentId };
    }
    const message = `${object.key} is ${object.size} bytes, more than MAX_FILE_BYTES (${maxBytes}); not read`;
    await this.store.recordFailure({ sha256: sha, source, code: "too-large", message: failedReasonOf("too-large", message), at: new Date().toISOString() });
    await this.store.recordIngest(sha, source);
    return { status: "refused", documentId };
  }
}

function sourceOf(object: BucketObject): SourceRef {
  return {
    uri: object.uri,
    key: object.key,
    size: object.size,
    versionId: object.versionId ?? null,
    etag: object.etag ?? null,
    mtime: object.mtime ?? null,
  };
}
