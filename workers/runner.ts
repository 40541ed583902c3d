/**
 * Runs the three stage workers in one process, with graceful shutdown: on close, running
 * jobs get SHUTDOWN_TIMEOUT_MS to finish; past it they are handed back (their lock lapses and
 * another worker takes them over), and every connection is closed so the process can exit.
 */
import { hostname } from "node:os";
import { Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Logger } from "pino";
import { bucketRoot, ObjectOutsideBucketError, openBucket } from "../src/bucket/index.js";
import type { UploadBucket } from "../src/bucket/types.js";
import type { Config } from "../src/config.js";
import { bounded, closeConnection, redisConnection, StageQueues } from "../queues/connection.js";
import { QUEUE_NAMES, STAGES, type Stage } from "../queues/names.js";
import { shaOf } from "../queues/jobs.js";
import { bucketsKey } from "../queues/producer.js";
import { RunState } from "../queues/runs.js";
import { ExtractPool } from "./extract-pool.js";
import { jobErrorCode, processors, type WorkerStore } from "./processors.js";

export interface RunningWorkers {
  workers: Record<Stage, Worker>;
  close(): Promise<void>;
}

/**
 * `roots`: upload buckets these workers read from besides INBOX and the roots producers
 * registered in Redis (`nianbao start DIR` passes DIR).
 */
export function startWorkers(config: Config, store: WorkerStore, log: Logger, options: { roots?: string[] } = {}): RunningWorkers {
  const queues = new StageQueues(config, "producer", (e) => log.warn({ err: e.message }, "redis unavailable; retrying"));
  const connection = redisConnection(config.REDIS_URL, "worker");
  // One pool for the extract and the reconstruct stages: CONCURRENCY threads do all the work
  // that grows with a file, so the CPU is not oversubscribed and the event loop stays free.
  const pool = new ExtractPool({ size: config.CONCURRENCY, memoryMb: config.PARSER_MEMORY_MB });
  const buckets = new Map<string, UploadBucket>();
  const trusted = new TrustedRoots(
    [config.INBOX, ...(options.roots ?? [])],
    () => queues.connection.smembers(bucketsKey(config.QUEUE_PREFIX)),
  );
  // Job data is not trusted: only a bucket that is INBOX, one of `roots`, or registered by a
  // producer is opened; the bucket itself then refuses a source outside it.
  const bucket = async (root: string) => {
    const canonical = canonicalRoot(root);
    if (canonical === null || !(await trusted.has(canonical))) {
      const why = "not an upload bucket of this pipeline (INBOX, or a root a producer registered)";
      throw new ObjectOutsideBucketError(root, root, why, `the job's bucket ${JSON.stringify(root)} is ${why}; nothing read`);
    }
    let b = buckets.get(canonical);
    if (!b) buckets.set(canonical, (b = openBucket(canonical, { maxBytes: config.MAX_FILE_BYTES })));
    return b;
  };
  const runs = (runId: string) => new RunState(queues.connection, config.QUEUE_PREFIX, runId, config.KEEP_FAILED_S);
  const procs = processors({ config, store, bucket, pool, queues: queues.queues, runs, log });
  // Twice as many extract jobs as parser threads: while one job's result is being stored
  // (artifact, result, Redis), the next one's file is already parsing, so a thread never waits
  // for the main thread. The job waiting for a thread holds its file's bytes meanwhile.
  const concurrency: Record<Stage, number> = { extract: 2 * config.CONCURRENCY, reconstruct: 2, store: 4 };

  const workers = Object.fromEntries(
    STAGES.map((stage) => {
      const w = new Worker(QUEUE_NAMES[stage], procs[stage], {
        connection: connection as unknown as ConnectionOptions,
        prefix: config.QUEUE_PREFIX,
        concurrency: concurrency[stage],
        lockDuration: config.LOCK_DURATION_MS,
        stalledInterval: config.STALLED_INTERVAL_MS,
        maxStalledCount: 1,
        // Shown as job.processedBy: which process holds a job.
        name: `${hostname()}-${process.pid}`,
      });
      w.on("failed", (job: Job | undefined, err: Error) => {
        if (!job) return;
        const final = err.name === "UnrecoverableError" || job.attemptsMade >= (job.opts.attempts ?? 1);
        const code = jobErrorCode(err);
        const data = job.data as { documentId?: unknown; runId?: unknown; source?: never };
        // The document id is in the data; the job id has the run appended for reprocessing.
        const documentId = typeof data.documentId === "string" ? data.documentId : String(job.id);
        const sha = documentId.startsWith("sha256-") ? shaOf(documentId) : documentId;
        log.warn({ stage, jobId: job.id, documentId, code, attempt: job.attemptsMade, final, err: err.message }, "job failed");
        if (!final) return;
        if (isRedisError(err)) {
          // Redis down or full is not the file's fault: never a permanent failure. The job is
          // put back (its attempts reset) once Redis takes writes again.
          log.warn({ stage, jobId: job.id, documentId, err: err.message }, "failed for a Redis error: retried once Redis takes writes");
          retryWhenRedisTakesWrites(job);
          return;
        }
        if (typeof data.runId === "string")
          runs(data.runId)
            .markFailed(sha, code)
            .catch((e: unknown) => log.error({ err: String(e), documentId, runId: data.runId }, "could not record the failure in the run"));
        store
          .recordFailure({
            sha256: sha,
            source: data.source ?? null,
            code,
            message: err.message,
            at: new Date().toISOString(),
          })
          .catch((e: unknown) => log.error({ err: String(e), documentId }, "could not record the failure"));
      });
      w.on("error", (err) => log.error({ stage, err: err.message }, "worker error"));
      return [stage, w];
    }),
  ) as Record<Stage, Worker>;

  let stopped = false;
  const retrying = new Set<NodeJS.Timeout>();
  function retryWhenRedisTakesWrites(job: Job, delayMs = config.BACKOFF_MS): void {
    if (stopped) return;
    const timer = setTimeout(() => {
      retrying.delete(timer);
      job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true }).then(
        () => log.info({ jobId: job.id }, "put back after a Redis error"),
        () => retryWhenRedisTakesWrites(job, Math.min(delayMs * 2, 30_000)),
      );
    }, delayMs);
    retrying.add(timer);
  }

  log.info({ concurrency: config.CONCURRENCY, prefix: config.QUEUE_PREFIX }, "workers started");

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      log.info({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, "shutting down: finishing running jobs");
      // (a job still waiting to be put back stays failed, with its Redis error: `nianbao status` shows it)
      stopped = true;
      for (const t of retrying) clearTimeout(t);
      const all = Object.values(workers);
      let timer: NodeJS.Timeout | undefined;
      const graceful = Promise.all(all.map((w) => w.close())).then(() => "finished" as const);
      const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), config.SHUTDOWN_TIMEOUT_MS)));
      graceful.catch(() => undefined);
      const how = await Promise.race([graceful, timeout]);
      clearTimeout(timer);
      // Past the timeout nothing may hold the exit up: with Redis down, closing a worker or
      // QUITting a connection (offline queue) would wait for Redis forever. Each step is
      // bounded, and the connections are dropped at once when Redis is not there.
      if (how === "timeout") {
        log.warn("shutdown timeout: handing the running jobs back");
        if (connection.status !== "ready") connection.disconnect();
        await bounded(Promise.all(all.map((w) => w.close(true))), 500);
      }
      await bounded(pool.close(), 1000);
      await bounded(Promise.all([...buckets.values()].map((b) => b.close())), 1000);
      await queues.close();
      await closeConnection(connection, 1000);
      log.info({ how }, "workers stopped");
    })());
  return { workers, close };
}

/** The root a bucket URL opens as, or null for a URL no bucket opens. */
function canonicalRoot(url: string): string | null {
  try {
    return bucketRoot(url);
  } catch {
    return null;
  }
}

/** The bucket roots workers read from: fixed ones, and the registered set, read again on a miss. */
class TrustedRoots {
  private readonly fixed: Set<string>;
  private registered = new Set<string>();
  constructor(
    roots: readonly string[],
    private readonly read: () => Promise<string[]>,
  ) {
    this.fixed = new Set(roots.map(canonicalRoot).filter((r): r is string => r !== null));
  }
  async has(root: string): Promise<boolean> {
    if (this.fixed.has(root) || this.registered.has(root)) return true;
    // A miss is a job from a root registered since (read again), or a forged one (refused).
    this.registered = new Set((await this.read()).map(canonicalRoot).filter((r): r is string => r !== null));
    return this.registered.has(root);
  }
}

/**
 * An error of Redis itself, not of the job: refused writes (OOM: maxmemory reached with
 * noeviction; a read-only replica; loading; a failed snapshot) or a lost connection.
 */
export function isRedisError(e: Error): boolean {
  return (
    /^(OOM|READONLY|LOADING|MISCONF|BUSY|NOREPLICAS|CLUSTERDOWN|MASTERDOWN)\b/.test(e.message) ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|max retries per request|Redis did not take the job/i.test(e.message)
  );
}
