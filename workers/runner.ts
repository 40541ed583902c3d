/**
 * Runs the three stage workers in one process, with graceful shutdown: on close, running
 * jobs get SHUTDOWN_TIMEOUT_MS to finish; past it they are handed back (their lock lapses and
 * another worker takes them over), and every connection is closed so the process can exit.
 */
import { hostname } from "node:os";
import { Worker, type ConnectionOptions, type Job } from "bullmq";
import type { Logger } from "pino";
import { openBucket } from "../src/bucket/index.js";
import type { UploadBucket } from "../src/bucket/types.js";
import type { Config } from "../src/config.js";
import type { OutputStore } from "../src/store/types.js";
import { bounded, closeConnection, redisConnection, StageQueues } from "../queues/connection.js";
import { QUEUE_NAMES, STAGES, type Stage } from "../queues/names.js";
import { shaOf } from "../queues/jobs.js";
import { RunState } from "../queues/runs.js";
import { ExtractPool } from "./extract-pool.js";
import { jobErrorCode, processors } from "./processors.js";

export interface RunningWorkers {
  workers: Record<Stage, Worker>;
  close(): Promise<void>;
}

export function startWorkers(config: Config, store: OutputStore, log: Logger): RunningWorkers {
  const queues = new StageQueues(config, "producer", (e) => log.warn({ err: e.message }, "redis unavailable; retrying"));
  const connection = redisConnection(config.REDIS_URL, "worker");
  // One pool for the extract and the reconstruct stages: CONCURRENCY threads do all the work
  // that grows with a file, so the CPU is not oversubscribed and the event loop stays free.
  const pool = new ExtractPool({ size: config.CONCURRENCY, memoryMb: config.PARSER_MEMORY_MB });
  const buckets = new Map<string, UploadBucket>();
  const bucket = (root: string) => {
    let b = buckets.get(root);
    if (!b) buckets.set(root, (b = openBucket(root, { maxBytes: config.MAX_FILE_BYTES })));
    return b;
  };
  const runs = (runId: string) => new RunState(queues.connection, config.QUEUE_PREFIX, runId, config.KEEP_FAILED_S);
  const procs = processors({ config, store, bucket, pool, queues: queues.queues, runs, log });
  const concurrency: Record<Stage, number> = { extract: config.CONCURRENCY, reconstruct: 2, store: 4 };

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

  log.info({ concurrency: config.CONCURRENCY, prefix: config.QUEUE_PREFIX }, "workers started");

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      log.info({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, "shutting down: finishing running jobs");
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
