/**
 * The stage processors: thin adapters that call the core and store the result.
 *
 *   extract      read the original from the bucket, check its hash, then in one parser thread
 *                parse it and rebuild and validate the report (buildEnvelope, the same function
 *                as `nianbao extract`); store the intermediate document as an artifact, then
 *                the result (upsert; rule R6 runs there). A worker runs all three stages, so
 *                the reconstruct and store stages of a new document run in this same job:
 *                no hop through Redis, and the envelope is never written as an artifact.
 *   reconstruct  (reprocessing from a stored extraction: `nianbao reprocess`) rebuild and
 *                validate the report from that artifact in a parser thread, under the same
 *                time and heap limits as parsing, and store the result. An artifact that is
 *                missing, fails the schema or is from an older EXTRACTOR_VERSION is not reused:
 *                the original is extracted again first (logged "re-extracting")
 *   store        store the envelope of a store job (added by earlier versions, which
 *                handed on through all three queues; drained on upgrade)
 *
 * Parsing, and reconstructing and validating, each have JOB_TIMEOUT_MS in the thread, and
 * the thread's heap is capped at PARSER_MEMORY_MB, whichever stage runs them.
 *
 * Before a stage stores, it checks that the job is still its own: its lock is extended with
 * this worker's token, which fails when the lock was lost (a job taken for stalled, then
 * failed or given to another worker), and then the stage stops there, storing nothing. So a
 * document is never both failed and stored.
 *
 * Bad input (a file fault of src/failures.ts: corrupt, encrypted, unsupported, not a report,
 * too large, a parser timeout or crash, the original changed or gone) throws FileFault, an
 * UnrecoverableError carrying the code, at once; its message, which BullMQ keeps as the job's
 * failedReason, is `<code>: <message>` (failedReasonOf). Any other error is retried with
 * exponential backoff and jitter (a retried extract job parses the file again).
 */
import { UnrecoverableError, type Job, type Queue } from "bullmq";
import type { Logger } from "pino";
import { ObjectGoneError, ObjectOutsideBucketError, ObjectTooLargeError } from "../src/bucket/index.js";
import type { UploadBucket } from "../src/bucket/types.js";
import type { Config } from "../src/config.js";
import { EXTRACTOR_VERSION, readStoredDocument } from "../src/document.js";
import { codeOf, failedReasonOf, isFileFault, type FailureCode, type FileFaultCode } from "../src/failures.js";
import { Envelope } from "../src/model.js";
import { sha256 } from "../src/process.js";
import type { ArtifactStore, FailureLog, ResultStore } from "../src/store/types.js";
import { documentIdOf, ExtractJob, extractionKey, ReconstructJob, shaOf, StoreJob } from "../queues/jobs.js";
import { STAGES, type Stage } from "../queues/names.js";
import type { RunState } from "../queues/runs.js";
import { ExtractFailure, fileLimits, type Built, type ExtractPool } from "./extract-pool.js";

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

/** Thrown when a job's lock was lost before it could store: nothing more is done for it here. */
export class LostLockError extends Error {
  constructor(job: Job) {
    super(`job ${String(job.id)} is no longer this worker's (its lock was lost): not storing`);
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

  /** Reads the original from the bucket and checks its hash. */
  async function readOriginal(data: ExtractJob, log: Logger): Promise<Buffer | Superseded> {
    let bytes: Buffer;
    try {
      bytes = await (await deps.bucket(data.bucket)).read(data.source);
    } catch (e) {
      if (e instanceof ObjectOutsideBucketError) throw fileFault("outside-bucket", e.message);
      if (e instanceof ObjectGoneError || (e as { name?: string }).name === "NoSuchKey") throw fileFault("missing", `the original is gone: ${data.source.uri}`);
      if (e instanceof ObjectTooLargeError) throw fileFault("too-large", e.message);
      throw e;
    }
    if (sha256(bytes) !== shaOf(data.documentId)) {
      // Replaced since it was enqueued. A live job is superseded: the watcher takes the new
      // content (a new job, once it is complete), and this one ends without a failure, so no
      // stale one stays beside the new result. A reprocessing run's job fails: the run counts it.
      if (data.runId) throw fileFault("changed", `the original changed since it was enqueued: ${data.source.uri}`);
      log.warn({ key: data.source.key }, "the original was replaced since it was enqueued: superseded by the new content");
      return { superseded: `the original was replaced since it was enqueued: ${data.source.uri}` };
    }
    return bytes;
  }

  /**
   * Reads the original, then parses it and builds the envelope in one parser thread, and
   * stores the intermediate document as the artifact `extract/<sha256>` (also when the file
   * parsed but is not a report: that refusal is thrown after).
   */
  async function buildFromOriginal(data: ExtractJob, log: Logger): Promise<{ envelope: Envelope; built: Built; artifactKey: string; bytes: number } | Superseded> {
    const bytes = await readOriginal(data, log);
    if (!Buffer.isBuffer(bytes)) return bytes;
    const size = bytes.byteLength;
    log.info({ bytes: size, key: data.source.key }, "extracting");
    let built: Built;
    try {
      // The pool takes the bytes (extract-pool.ts, handOver): not used after this.
      built = await pool.build({ bytes, fileName: data.fileName, ...fileLimits(config) }, config.JOB_TIMEOUT_MS);
    } catch (e) {
      throw poolFault(e);
    }
    const artifactKey = extractionKey(shaOf(data.documentId));
    await store.putArtifact(artifactKey, built.documentJson);
    const { outcome } = built;
    if (!outcome.ok) throw poolFault(new ExtractFailure(outcome.code, outcome.message));
    return { envelope: outcome.envelope, built, artifactKey, bytes: size };
  }

  /**
   * A result from new content at a source supersedes the failures of the content it held
   * before (a truncated upload that failed, then completed; a replaced file): their records
   * in the store, and their failed jobs in the queues, so that `status` shows no stale failure
   * beside the result. Not for a reprocessing run (the same content, only a newer pipeline).
   */
  async function supersedeOldFailures(data: ExtractJob, log: Logger): Promise<void> {
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

  /** Stores the result, if the job is still this worker's (else LostLockError, nothing stored). */
  async function storeResult(job: Job, token: string | undefined, data: ExtractJob, envelope: Envelope, log: Logger) {
    await stillOurs(job, token);
    const { crossYear } = await store.putResult(envelope, data.source);
    await supersedeOldFailures(data, log);
    // After the result is stored: a crash in between retries the job, which stores it again.
    if (data.runId) await deps.runs(data.runId).markDone(shaOf(data.documentId), envelope.validation.status);
    log.info({ status: envelope.validation.status, agency: envelope.report.agency, crossYear: crossYear.length }, "stored");
    return { status: envelope.validation.status, format: envelope.report.format, crossYear: crossYear.length };
  }

  return {
    async extract(job, token) {
      const data = ExtractJob.parse(job.data);
      const log = logFor(job, "extract", data.documentId);
      const built = await buildFromOriginal(data, log);
      if ("superseded" in built) return built;
      const { summary } = built.built;
      log.info({ pages: summary.pages, blocks: summary.blocks }, "extracted");
      const stored = await storeResult(job, token, data, built.envelope, log);
      return { artifactKey: built.artifactKey, pages: summary.pages, bytes: built.bytes, mediaType: summary.mediaType, ...stored };
    },

    async reconstruct(job, token) {
      const data = ReconstructJob.parse(job.data);
      const log = logFor(job, "reconstruct", data.documentId);
      const artifact = await store.getArtifact(data.artifactKey);
      // A stored extraction that is missing (the artifacts are a cache of what the original
      // gives), fails the schema, or that an older extractor wrote, is not reused: the original
      // is extracted again (and the artifact rewritten).
      const stored = artifact === null ? ({ ok: false, reason: `the stored extraction ${data.artifactKey} is missing` } as const) : readStoredDocument(artifact);
      let envelope: Envelope;
      if (stored.ok) {
        try {
          envelope = await pool.envelope({ sha256: shaOf(data.documentId), fileName: data.fileName, document: stored.document }, config.JOB_TIMEOUT_MS);
        } catch (e) {
          throw poolFault(e);
        }
      } else {
        log.warn({ reason: stored.reason, extractor: EXTRACTOR_VERSION }, "re-extracting");
        await job.log(`re-extracting from the original: ${stored.reason}`);
        const built = await buildFromOriginal(data, log);
        if ("superseded" in built) return built;
        ({ envelope } = built);
      }
      log.info({ status: envelope.validation.status, format: envelope.report.format, year: envelope.report.year }, "reconstructed");
      const result = await storeResult(job, token, data, envelope, log);
      return stored.ok ? result : { ...result, reextracted: stored.reason };
    },

    async store(job, token) {
      const data = StoreJob.parse(job.data);
      const log = logFor(job, "store", data.documentId);
      const artifact = await store.getArtifact(data.envelopeKey);
      if (artifact === null) throw new Error(`envelope artifact ${data.envelopeKey} not found`);
      return storeResult(job, token, data, Envelope.parse(JSON.parse(artifact)), log);
    },
  };
}
