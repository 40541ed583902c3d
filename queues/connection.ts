/**
 * Redis connections and the stage queues. Workers need `maxRetriesPerRequest: null` (BullMQ
 * blocks on Redis commands); producers fail fast instead of queueing commands while Redis
 * is down. Every connection made here is closed by `close()`: worker.close() does not close
 * connections it was given, and a forgotten one keeps the process alive.
 */
import { Queue, type ConnectionOptions, type DefaultJobOptions } from "bullmq";
import { Redis } from "ioredis";
import type { Config } from "../src/config.js";
import { QUEUE_NAMES, STAGES, type Stage } from "./names.js";

export function redisConnection(url: string, role: "worker" | "producer"): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === "worker" ? null : 3,
    enableOfflineQueue: role === "worker",
    // Reconnect with a capped backoff after a Redis restart.
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 6), 10_000),
    lazyConnect: false,
  });
}

/** Retries with exponential backoff and jitter; finished jobs are removed after a while. */
export function defaultJobOptions(config: Config): DefaultJobOptions {
  return {
    attempts: config.ATTEMPTS,
    backoff: { type: "exponential", delay: config.BACKOFF_MS, jitter: 0.5 },
    removeOnComplete: { age: config.KEEP_COMPLETED_S, count: 10_000 },
    removeOnFail: { age: config.KEEP_FAILED_S, count: 50_000 },
  };
}

export class StageQueues {
  readonly queues: Record<Stage, Queue>;
  /** The queues' own connection, also used for the run state of reprocessing (queues/runs.ts). */
  readonly connection: Redis;

  /**
   * `onError` hears connection errors (Redis down): without a listener they would surface as
   * raw stack traces on stderr; the connection keeps retrying either way.
   */
  constructor(config: Config, role: "worker" | "producer" = "producer", onError?: (e: Error) => void) {
    this.connection = redisConnection(config.REDIS_URL, role);
    const connection = this.connection as unknown as ConnectionOptions;
    const opts = { connection, prefix: config.QUEUE_PREFIX, defaultJobOptions: defaultJobOptions(config) };
    this.queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_NAMES[s], opts)])) as Record<Stage, Queue>;
    let last = 0;
    const report = (e: Error) => {
      // one line per 10 s at most while Redis stays down
      if (Date.now() - last < 10_000) return;
      last = Date.now();
      if (onError) onError(e);
      else process.stderr.write(`nianbao: redis: ${e.message}\n`);
    };
    for (const q of Object.values(this.queues)) q.on("error", report);
    this.connection.on("error", report);
  }

  /** Resolves once Redis is connected: the connection fails commands sent before (no offline queue). */
  async ready(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.waitUntilReady()));
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
    await this.connection.quit().catch(() => this.connection.disconnect());
  }

  /** Drops the connection at once (when close() cannot finish: Redis gone). */
  disconnect(): void {
    this.connection.disconnect();
  }
}
