/**
 * The stage processors: thin adapters that call the core and hand on to the next stage.
 *
 *   extract      read the original from the bucket, check its hash, parse it in a parser
 *                thread, store the intermediate document as an artifact
 *   reconstruct  rebuild and validate the report from that artifact (buildEnvelope, the same
 *                function as `nianbao extract`) in a parser thread, under the same time and
 *                heap limits as parsing, store the envelope as an artifact; an
 *                artifact that fails the schema or is from an older EXTRACTOR_VERSION is not
 *                reused: the original is extracted again first (logged "re-extracting")
 *   store        upsert the result into the output store (rule R6 runs there)
 *
 * Every stage hands on with the same job id (jobIdOf: the document id, plus the run of a
 * reprocessing run) and the same priority: backfill jobs carry one, live jobs none, and
 * BullMQ runs jobs without a priority first, so a backfill never holds up a live upload at
 * any stage.
 *
 * Before a stage hands on (or the store stage stores), it checks that the job is still its
 * own: its lock is extended with this worker's token, which fails when the lock was lost (a
 * job taken for stalled, then failed or given to another worker), and then the stage stops
 * there, storing nothing. So a document is never both failed and stored.
 *
 * Bad input (a file fault of src/failures.ts: corrupt, encrypted, unsupported, not a report,
 * too large, a parser timeout or crash, the original changed or gone) throws FileFault, an
 * UnrecoverableError carrying the code, at once; its message, which BullMQ keeps as the job's
 * failedReason, is `<code>: <message>` (failedReasonOf). Any other error is retried with
 * exponential backoff and jitter.
 */
import { UnrecoverableError, type Job, type Queue } from "bullmq";
import type { Logger } from "pino";
import { ObjectGoneError, ObjectOutsideBucketError, ObjectTooLargeError } from "../src/bucket/index.js";
import type { UploadBucket } from "../src/bucket/types.js";
import type { Config } from "../src/config.js";
import { EXTRACTOR_VERSION, readStoredDocument, type IntermediateDocument } from "../src/document.js";
import { codeOf, failedReasonOf, isFileFault, type FailureCode, type FileFaultCode } from "../src/failures.js";
import { Envelope } from "../src/model.js";
import { PIPELINE_VERSION, sha256 } from "../src/process.js";
import type { ArtifactStore, FailureLog, ResultStore } from "../src/store/types.js";
import { documentIdOf, envelopeKey, ExtractJob, extractionKey, jobIdOf, jobName, ReconstructJob, shaOf, StoreJob } from "../queues/jobs.js";
import { STAGES, type Stage } from "../queues/names.js";
import type { RunState } from "../queues/runs.js";
import { ExtractFailure, fileLimits, type ExtractPool } from "./extract-pool.js";

/** The parts of the output store the stages use: artifacts between stages, results, and the failures a result supersedes. */
export type WorkerStore = ArtifactStore & ResultStore & FailureLog;

export interface Deps {
  config: Config;
  store: WorkerStore;
  /**
   * The upload bucket of a job: only INBOX and the roots producers registered (bucketsKey)
   * are opened; any other throws ObjectOutsideBucketError (job data is not trusted).
   */
  bucket: (root: string) => Promise<UploadBucket>;
  pool: ExtractPool;
  queues: Record<Stage, Queue>;
  /** The state of a reprocessing run, which the store stage marks documents done in. */
  runs: (runId: string) => RunState;
  log: Logger;
}

/** A job whose original was replaced after it was enqueued: it ends here, completed, with this. */
type Superseded = { superseded: string };

/** Options of the next stage's job: the same id scheme and the same priority as this one. */
function nextJobOptions(job: Job, data: { documentId: string; runId?: string | undefined }): { jobId: string; priority?: number } {
  return { jobId: jobIdOf(data), ...(job.priority > 0 ? { priority: job.priority } : {}) };
}

/** A fault of the file: the job fails at once (unrecoverable), the code travelling with it. */
export class FileFault extends UnrecoverableError {
  constructor(
    readonly code: FileFaultCode,
    message: string,
  ) {
    super(failedReasonOf(code, message));
    // BullMQ (and the runner) also know an unrecoverable error by its name.
    this.name = "UnrecoverableError";
  }
}

/** The code of an error a processor threw: a file fault's, a FailureError's, else "internal". */
export function jobErrorCode(e: unknown): FailureCode {
  return e instanceof FileFault ? e.code : codeOf(e);
}

function fileFault(code: FileFaultCode, message: string): FileFault {
  return new FileFault(code, message);
}

/** Thrown when a job's lock was lost before it could hand on: nothing more is done for it here. */
export class LostLockError extends Error {
  constructor(job: Job) {
    super(`job ${String(job.id)} is no longer this worker's (its lock was lost): not handing on`);
    this.name = "LostLockError";
  }
}

/** A parser pool failure as the job's failure: a file fault fails at once, with its code. */
function poolFault(e: unknown): unknown {
  return e instanceof ExtractFailure && isFileFault(e.code) ? fileFault(e.code, e.message) : e;
}

export function processors(deps: Deps): Record<Stage, (job: Job, token?: string) => Promise<unknown>> {
  const { config, store, pool, queues } = deps;
  const logFor = (job: Job, stage: Stage, documentId: string) => deps.log.child({ stage, jobId: job.id, documentId });

  /** Throws LostLockError unless this worker still holds the job's lock (and extends it). */
  async function stillOurs(job: Job, token: string | undefined): Promise<void> {
    const ours = token === undefined ? await job.isActive() : (await job.extendLock(token, config.LOCK_DURATION_MS)) === 1;
    if (!ours) throw new LostLockError(job);
  }

  /**
   * Reads the original from the bucket, checks its hash, parses it in a parser thread and
   * stores the intermediate document as the artifact `extract/<sha256>`.
   */
  async function extractOriginal(data: ExtractJob, log: Logger): Promise<{ document: IntermediateDocument; artifactKey: string; bytes: number } | Superseded> {
    const sha = shaOf(data.documentId);
    let bytes: Buffer;
    try {
      bytes = await (await deps.bucket(data.bucket)).read(data.source);
    } catch (e) {
      if (e instanceof ObjectOutsideBucketError) throw fileFault("outside-bucket", e.message);
      if (e instanceof ObjectGoneError || (e as { name?: string }).name === "NoSuchKey") throw fileFault("missing", `the original is gone: ${data.source.uri}`);
      if (e instanceof ObjectTooLargeError) throw fileFault("too-large", e.message);
      throw e;
    }
    if (sha256(bytes) !== sha) {
      // Replaced since it was enqueued. A live job is superseded: the watcher takes the new
      // content (a new job, once it is complete), and this one ends without a failure, so no
      // stale one stays beside the new result. A reprocessing run's job fails: the run counts it.
      if (data.runId) throw fileFault("changed", `the original changed since it was enqueued: ${data.source.uri}`);
      log.warn({ key: data.source.key }, "the original was replaced since it was enqueued: superseded by the new content");
      return { superseded: `the original was replaced since it was enqueued: ${data.source.uri}` };
    }
    log.info({ bytes: bytes.byteLength, key: data.source.key }, "extracting");
    let document: IntermediateDocument;
    try {
      const extraction = await pool.run(
        { bytes, fileName: data.fileName, ...fileLimits(config) },
        config.JOB_TIMEOUT_MS,
      );
      document = extraction.document;
    } catch (e) {
      throw poolFault(e);
    }
    const artifactKey = extractionKey(sha);
    await store.putArtifact(artifactKey, JSON.stringify(document));
    return { document, artifactKey, bytes: bytes.byteLength };
  }

  /**
   * A result from new content at a source supersedes the failures of the content it held
   * before (a truncated upload that failed, then completed; a replaced file): their records
   * in the store, and their failed jobs in the queues, so that `status` shows no stale failure
   * beside the result. Not for a reprocessing run (the same content, only a newer pipeline).
   */
  async function supersedeOldFailures(data: StoreJob, log: Logger): Promise<void> {
    if (data.runId) return;
    const stale = await store.supersedeFailures(data.source.uri, shaOf(data.documentId));
    for (const sha of stale) {
      for (const stage of STAGES) {
        const old = await queues[stage].getJob(documentIdOf(sha));
        if (old && (await old.isFailed())) await old.remove();
      }
    }
    if (stale.length) log.info({ key: data.source.key, superseded: stale.length }, "superseded the failures of the content this file held before");
  }

  return {
    async extract(job, token) {
      const data = ExtractJob.parse(job.data);
      const log = logFor(job, "extract", data.documentId);
      const extracted = await extractOriginal(data, log);
      if ("superseded" in extracted) return extracted;
      const { document, artifactKey, bytes } = extracted;
      await stillOurs(job, token);
      await queues.reconstruct.add(jobName("reconstruct", data.fileName), ReconstructJob.parse({ ...data, artifactKey }), nextJobOptions(job, data));
      log.info({ pages: document.pages, blocks: document.blocks.length }, "extracted");
      return { artifactKey, pages: document.pages, bytes, mediaType: document.mediaType };
    },

    async reconstruct(job, token) {
      const data = ReconstructJob.parse(job.data);
      const log = logFor(job, "reconstruct", data.documentId);
      const sha = shaOf(data.documentId);
      const artifact = await store.getArtifact(data.artifactKey);
      if (artifact === null) throw new Error(`extraction artifact ${data.artifactKey} not found`);
      // A stored extraction that fails the schema, or that an older extractor wrote, is not
      // reused: the original is extracted again (and the artifact rewritten).
      const stored = readStoredDocument(artifact);
      let document: IntermediateDocument;
      let reextracted: string | null = null;
      if (stored.ok) document = stored.document;
      else {
        reextracted = stored.reason;
        log.warn({ reason: stored.reason, extractor: EXTRACTOR_VERSION }, "re-extracting");
        await job.log(`re-extracting from the original: ${stored.reason}`);
        const extracted = await extractOriginal(data, log);
        if ("superseded" in extracted) return extracted;
        ({ document } = extracted);
      }
      let envelope: Envelope;
      try {
        envelope = await pool.envelope({ sha256: sha, fileName: data.fileName, document }, config.JOB_TIMEOUT_MS);
      } catch (e) {
        throw poolFault(e);
      }
      await stillOurs(job, token);
      const key = envelopeKey(sha, PIPELINE_VERSION);
      await store.putArtifact(key, JSON.stringify(envelope));
      const { artifactKey: _unused, ...rest } = data;
      await queues.store.add(jobName("store", rest.fileName), StoreJob.parse({ ...rest, envelopeKey: key }), nextJobOptions(job, data));
      log.info({ status: envelope.validation.status, format: envelope.report.format, year: envelope.report.year }, "reconstructed");
      return { status: envelope.validation.status, format: envelope.report.format, ...(reextracted ? { reextracted } : {}) };
    },

    async store(job, token) {
      const data = StoreJob.parse(job.data);
      const log = logFor(job, "store", data.documentId);
      const artifact = await store.getArtifact(data.envelopeKey);
      if (artifact === null) throw new Error(`envelope artifact ${data.envelopeKey} not found`);
      const envelope = Envelope.parse(JSON.parse(artifact));
      await stillOurs(job, token);
      const { crossYear } = await store.putResult(envelope, data.source);
      await supersedeOldFailures(data, log);
      // After the result is stored: a crash in between retries the job, which stores it again.
      if (data.runId) await deps.runs(data.runId).markDone(shaOf(data.documentId), envelope.validation.status);
      log.info({ status: envelope.validation.status, agency: envelope.report.agency, crossYear: crossYear.length }, "stored");
      return { status: envelope.validation.status, format: envelope.report.format, crossYear: crossYear.length };
    },
  };
}
