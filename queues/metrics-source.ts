/**
 * What the dashboard's metrics read from the queues, without touching BullMQ or Redis itself:
 * a PING, the job counts per state, the duration of a finished job, and the stages' finished
 * jobs as they happen (BullMQ's QueueEvents, from the current end of each event stream, so
 * every job finished after start() is heard once, and none before it).
 */
import { once } from "node:events";
import { QueueEvents, type ConnectionOptions, type JobState } from "bullmq";
import type { Config } from "../src/config.js";
import type { StageQueues } from "./connection.js";
import { QUEUE_NAMES, STAGES, type Stage } from "./names.js";
import { redisHealth, type RedisHealth } from "./redis-health.js";

/** BullMQ 6 job states (a paused queue keeps its jobs in waiting). */
export const JOB_STATES = ["waiting", "prioritized", "active", "delayed", "waiting-children", "completed", "failed"] as const satisfies readonly JobState[];
export type QueueJobState = (typeof JOB_STATES)[number];

export interface FinishedJobListener {
  completed(stage: Stage, jobId: string, returnvalue: unknown): void;
  failed(stage: Stage, jobId: string, failedReason: string): void;
}

export interface QueueMetricsSource {
  /** Resolves once Redis is connected, or after `ms` (whichever is first). */
  settle(ms: number): Promise<void>;
  /** Resolves when Redis answers a PING. */
  ping(): Promise<unknown>;
  /** Memory against maxmemory, and whether a write is taken (throws when Redis does not answer). */
  health(): Promise<RedisHealth>;
  /** The jobs in the stage's queue, per state. */
  jobCounts(stage: Stage): Promise<Partial<Record<QueueJobState, number>>>;
  /** processedOn → finishedOn of a job, in ms; null when the job is gone or never ran. */
  jobDurationMs(stage: Stage, jobId: string): Promise<number | null>;
  /**
   * Hears every job that finishes from now on; resolves once it listens. With Redis down it
   * resolves at once and starts listening once Redis is up (a QueueEvents that never
   * connected cannot be closed).
   */
  listen(listener: FinishedJobListener, onError: (stage: Stage | null, e: Error) => void): Promise<void>;
  close(timeoutMs: number): Promise<void>;
}

const bounded = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

/** The metrics source of a StageQueues (the dashboard's own, producer connection). */
export class StageMetricsSource implements QueueMetricsSource {
  private readonly events: QueueEvents[] = [];
  private closed = false;

  constructor(
    private readonly queues: StageQueues,
    private readonly config: Pick<Config, "REDIS_URL" | "QUEUE_PREFIX">,
  ) {}

  async settle(ms: number): Promise<void> {
    const redis = this.queues.connection;
    if (redis.status === "ready") return;
    await bounded(once(redis, "ready"), ms).catch(() => undefined);
  }

  ping(): Promise<unknown> {
    return this.queues.connection.ping();
  }

  health(): Promise<RedisHealth> {
    return redisHealth(this.queues.connection, this.config.QUEUE_PREFIX);
  }

  jobCounts(stage: Stage): Promise<Partial<Record<QueueJobState, number>>> {
    return this.queues.queues[stage].getJobCounts(...JOB_STATES);
  }

  async jobDurationMs(stage: Stage, jobId: string): Promise<number | null> {
    const job = await this.queues.queues[stage].getJob(jobId);
    return job?.processedOn && job.finishedOn ? Math.max(0, job.finishedOn - job.processedOn) : null;
  }

  async listen(listener: FinishedJobListener, onError: (stage: Stage | null, e: Error) => void): Promise<void> {
    if (this.queues.connection.status === "ready") return this.subscribe(listener, onError);
    this.queues.connection.once("ready", () => void this.subscribe(listener, onError).catch((e: unknown) => onError(null, e as Error)));
  }

  private async subscribe(listener: FinishedJobListener, onError: (stage: Stage | null, e: Error) => void): Promise<void> {
    for (const stage of STAGES) {
      const lastEventId = await this.streamEnd(stage, onError);
      if (this.closed) return;
      const qe = new QueueEvents(QUEUE_NAMES[stage], {
        connection: { url: this.config.REDIS_URL } as ConnectionOptions,
        prefix: this.config.QUEUE_PREFIX,
        lastEventId,
      });
      qe.on("completed", ({ jobId, returnvalue }) => listener.completed(stage, jobId, returnvalue));
      qe.on("failed", ({ jobId, failedReason }) => listener.failed(stage, jobId, failedReason));
      qe.on("error", (err) => onError(stage, err));
      this.events.push(qe);
    }
  }

  /**
   * The id of the newest event in the stage's stream, so QueueEvents starts right there: its
   * default ('$') would miss the events of the moment between start-up and its first read.
   */
  private async streamEnd(stage: Stage, onError: (stage: Stage | null, e: Error) => void): Promise<string> {
    try {
      const key = `${this.config.QUEUE_PREFIX}:${QUEUE_NAMES[stage]}:events`;
      const last = await this.queues.connection.xrevrange(key, "+", "-", "COUNT", 1);
      return last[0]?.[0] ?? "0-0";
    } catch (e) {
      onError(stage, new Error(`could not read the event stream's end; counting from the next event: ${(e as Error).message}`));
      return "$";
    }
  }

  /** Stops listening; bounded: a QueueEvents whose Redis went away waits for it to come back. */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    await Promise.all(this.events.map((qe) => bounded(qe.close(), timeoutMs).catch(() => undefined)));
  }
}
