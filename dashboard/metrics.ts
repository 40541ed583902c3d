/**
 * /metrics in the Prometheus text format, on a registry of its own.
 *
 * Two kinds of figures:
 *  - read at scrape time, so they are right whenever the dashboard started: queue depth per
 *    queue and state (getJobCounts), documents in the store by status and format, failed
 *    documents by reason (the store's snapshot, see results.ts);
 *  - counted from the queues' event streams (QueueEvents) while the dashboard runs: jobs
 *    completed and failed per stage (failures by reason code), job durations per stage
 *    (processedOn → finishedOn of the job), and the bytes and pages of each extraction
 *    (the extract jobs' return values). They start from the end of each stream as it was at
 *    start-up, so every job finished after that is counted once, and none before it.
 */
import type { Logger } from "pino";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { parseFailedReason } from "../src/failures.js";
import { JOB_STATES, type QueueMetricsSource } from "../queues/metrics-source.js";
import type { RedisHealth } from "../queues/redis-health.js";
import { QUEUE_NAMES, STAGES, type Stage } from "../queues/names.js";
import type { ResultsIndex } from "./results.js";
import { withTimeout } from "./timeout.js";

export { JOB_STATES } from "../queues/metrics-source.js";

/** A scrape never waits longer than this for Redis (a Queue waits for its connection otherwise). */
const SCRAPE_TIMEOUT_MS = 2000;

/** Seconds: from a sub-second text file to a parser at its time limit. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

interface ExtractReturn {
  pages?: unknown;
  bytes?: unknown;
  mediaType?: unknown;
}
/** What a job that stored a result returns (extract, reconstruct, store): crossYear says it stored. */
interface StoreReturn {
  status?: unknown;
  format?: unknown;
  crossYear?: unknown;
}

/** A job's return value as the event gives it: parsed already, or still JSON text. */
function parsed<T>(v: unknown): T | null {
  if (typeof v === "string") {
    try {
      return JSON.parse(v) as T;
    } catch {
      return null;
    }
  }
  return v !== null && typeof v === "object" ? (v as T) : null;
}

export interface MetricsDeps {
  /** The queues' figures and events (queues/metrics-source.ts). */
  source: QueueMetricsSource;
  results: ResultsIndex;
  log: Logger;
}

export class PipelineMetrics {
  readonly registry = new Registry();
  /** Handlers in flight (each fetches its job): close() waits for them. */
  private readonly pending = new Set<Promise<void>>();

  private readonly completed: Counter<"stage">;
  private readonly failed: Counter<"stage" | "reason">;
  private readonly duration: Histogram<"stage" | "outcome">;
  private readonly extractedBytes: Counter;
  private readonly extractedPages: Counter;
  private readonly extractedDocs: Counter<"media_type">;
  private readonly stored: Counter<"status" | "format">;

  constructor(private readonly deps: MetricsDeps) {
    const registers = [this.registry];
    this.completed = new Counter({ name: "nianbao_jobs_completed_total", help: "Jobs completed, per stage, since the dashboard started", labelNames: ["stage"], registers });
    this.failed = new Counter({
      name: "nianbao_jobs_failed_total",
      help: "Jobs failed for good (moved to the failed set), per stage and reason code, since the dashboard started",
      labelNames: ["stage", "reason"],
      registers,
    });
    this.duration = new Histogram({
      name: "nianbao_job_duration_seconds",
      help: "Processing time of a job (processedOn to finishedOn), per stage and outcome",
      labelNames: ["stage", "outcome"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.extractedBytes = new Counter({ name: "nianbao_extracted_bytes_total", help: "Bytes of the originals extracted since the dashboard started", registers });
    this.extractedPages = new Counter({ name: "nianbao_extracted_pages_total", help: "Pages extracted (formats with pages) since the dashboard started", registers });
    this.extractedDocs = new Counter({
      name: "nianbao_extracted_documents_total",
      help: "Documents extracted, per media type, since the dashboard started",
      labelNames: ["media_type"],
      registers,
    });
    this.stored = new Counter({
      name: "nianbao_stored_documents_total",
      help: "Results stored (a new document by its extract job, a reprocessed one by its reconstruct job), per validation status and format, since the dashboard started",
      labelNames: ["status", "format"],
      registers,
    });
    // Pre-set the per-stage series, so a quiet stage shows 0 rather than nothing.
    for (const stage of STAGES) this.completed.inc({ stage }, 0);

    new Gauge({
      name: "nianbao_redis_up",
      help: "1 when Redis answers a PING at scrape",
      registers,
      collect: async function (this: Gauge) {
        this.set(await withTimeout(deps.source.ping(), SCRAPE_TIMEOUT_MS).then(
          () => 1,
          () => 0,
        ));
      },
    });
    // A full Redis (maxmemory reached, noeviction) answers PING but refuses every write:
    // memory against its limit, and whether a write is taken, read once per scrape.
    let health: Promise<RedisHealth | null> | null = null;
    const healthOnce = () => {
      health ??= withTimeout(deps.source.health(), SCRAPE_TIMEOUT_MS).catch(() => null);
      const h = health;
      setTimeout(() => (health = null), 1000).unref();
      return h;
    };
    new Gauge({
      name: "nianbao_redis_writable",
      help: "1 when Redis takes a write at scrape; 0 when it refuses writes (e.g. OOM: maxmemory reached with noeviction) or does not answer",
      registers,
      collect: async function (this: Gauge) {
        this.set((await healthOnce())?.writable ? 1 : 0);
      },
    });
    new Gauge({
      name: "nianbao_redis_memory_bytes",
      help: "Redis used_memory and maxmemory (0: no limit), at scrape",
      labelNames: ["kind"],
      registers,
      collect: async function (this: Gauge<"kind">) {
        this.reset();
        const h = await healthOnce();
        if (!h) return;
        this.set({ kind: "used" }, h.usedMemory);
        this.set({ kind: "max" }, h.maxMemory);
      },
    });
    new Gauge({
      name: "nianbao_redis_write_error_info",
      help: "1, labelled with Redis's message, while Redis refuses writes (absent when it takes them)",
      labelNames: ["error"],
      registers,
      collect: async function (this: Gauge<"error">) {
        this.reset();
        const h = await healthOnce();
        if (h?.writeError) this.set({ error: h.writeError.slice(0, 200) }, 1);
      },
    });
    // The store's figures come from one snapshot; a store that fails leaves them out and says so here.
    const snapshot = () => deps.results.snapshot().catch(() => null);
    new Gauge({
      name: "nianbao_store_up",
      help: "1 when the output store could be listed at scrape",
      registers,
      collect: async function (this: Gauge) {
        this.set((await snapshot()) ? 1 : 0);
      },
    });
    new Gauge({
      name: "nianbao_queue_jobs",
      help: "Jobs in each queue, per state (read at scrape)",
      labelNames: ["queue", "state"],
      registers,
      collect: async function (this: Gauge<"queue" | "state">) {
        this.reset();
        try {
          const counts = await Promise.all(STAGES.map((s) => withTimeout(deps.source.jobCounts(s), SCRAPE_TIMEOUT_MS)));
          STAGES.forEach((s, i) => {
            for (const state of JOB_STATES) this.set({ queue: QUEUE_NAMES[s], state }, counts[i]?.[state] ?? 0);
          });
        } catch {
          // Redis down: no depth to tell (nianbao_redis_up says why)
        }
      },
    });
    new Gauge({
      name: "nianbao_documents",
      help: "Documents in the store at their newest pipeline version, per validation status and format (read at scrape, cached a few seconds)",
      labelNames: ["status", "format"],
      registers,
      collect: async function (this: Gauge<"status" | "format">) {
        this.reset();
        const snap = await snapshot();
        const counts = new Map<string, { status: string; format: string; n: number }>();
        for (const r of snap?.reports ?? []) {
          const key = `${r.status}\u0000${r.format}`;
          const c = counts.get(key) ?? { status: r.status ?? "unknown", format: r.format, n: 0 };
          c.n++;
          counts.set(key, c);
        }
        for (const c of counts.values()) this.set({ status: c.status, format: c.format }, c.n);
      },
    });
    new Gauge({
      name: "nianbao_failed_documents",
      help: "Documents whose last attempt failed and that have no result, per reason code (read at scrape, cached a few seconds)",
      labelNames: ["reason"],
      registers,
      collect: async function (this: Gauge<"reason">) {
        this.reset();
        const snap = await snapshot();
        const counts = new Map<string, number>();
        for (const f of snap?.failed ?? []) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
        for (const [reason, n] of counts) this.set({ reason }, n);
      },
    });
  }

  /**
   * Starts listening to the queues' events, from the current end of each stream. With Redis
   * down, it starts once Redis is up.
   */
  async start(): Promise<void> {
    await this.deps.source.listen(
      {
        completed: (stage, jobId, returnvalue) => this.track(this.onCompleted(stage, jobId, returnvalue)),
        failed: (stage, jobId, failedReason) => this.track(this.onFailed(stage, jobId, failedReason)),
      },
      (stage, err) => this.deps.log.warn({ stage, err: err.message }, "queue events: connection error"),
    );
  }

  async close(): Promise<void> {
    await this.deps.source.close(SCRAPE_TIMEOUT_MS);
    await Promise.all([...this.pending]);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((e: unknown) => this.deps.log.warn({ err: String(e) }, "metrics: could not read a finished job"))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async observeDuration(stage: Stage, jobId: string, outcome: "completed" | "failed"): Promise<void> {
    const ms = await this.deps.source.jobDurationMs(stage, jobId);
    // gone already (removeOnComplete), or never started: no duration to tell
    if (ms !== null) this.duration.observe({ stage, outcome }, ms / 1000);
  }

  private async onCompleted(stage: Stage, jobId: string, returnvalue: unknown): Promise<void> {
    this.completed.inc({ stage });
    const r = parsed<ExtractReturn & StoreReturn>(returnvalue);
    if (stage === "extract") {
      if (typeof r?.bytes === "number") this.extractedBytes.inc(r.bytes);
      if (typeof r?.pages === "number") this.extractedPages.inc(r.pages);
      this.extractedDocs.inc({ media_type: typeof r?.mediaType === "string" ? r.mediaType : "unknown" });
    }
    if (typeof r?.crossYear === "number")
      this.stored.inc({ status: typeof r.status === "string" ? r.status : "unknown", format: typeof r.format === "string" ? r.format : "unknown" });
    await this.observeDuration(stage, jobId, "completed");
  }

  private async onFailed(stage: Stage, jobId: string, failedReason: string): Promise<void> {
    this.failed.inc({ stage, reason: parseFailedReason(failedReason).code });
    await this.observeDuration(stage, jobId, "failed");
  }
}
