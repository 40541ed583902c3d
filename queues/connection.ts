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
import { QueueUnavailableError } from "./unavailable.js";

/** The Redis URL without its password, for messages. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return "(unparseable REDIS_URL)";
  }
}

/** Resolves when `p` settles or after `ms`, whichever comes first; never rejects. */
export function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(noop, noop), new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

const noop = () => undefined;

/** Closes a connection: QUIT when it is up (bounded), else (Redis down: QUIT would wait) at once. */
export async function closeConnection(redis: Redis, ms = 2000): Promise<void> {
  if (redis.status === "ready") await bounded(redis.quit(), ms);
  redis.disconnect();
}

export function redisConnection(url: string, role: "worker" | "producer"): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === "worker" ? null : 3,
    enableOfflineQueue: role === "worker",
    // Reconnect with a capped backoff after a Redis restart.
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 6), 10_000),
    lazyConnect: false,
    // How long disconnect() lets a half-open socket linger (ioredis default 2 s, which holds
    // the exit of a command that gave up on an unreachable Redis).
    disconnectTimeout: 200,
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
  /** QUEUE_PREFIX: every key of these queues starts with it. */
  readonly prefix: string;
  /** The last connection error seen, for the message when Redis does not answer. */
  private lastError: Error | null = null;
  private readonly url: string;

  /**
   * `onError` hears connection errors (Redis down): without a listener they would surface as
   * raw stack traces on stderr; the connection keeps retrying either way.
   */
  constructor(config: Config, role: "worker" | "producer" = "producer", onError?: (e: Error) => void) {
    this.connection = redisConnection(config.REDIS_URL, role);
    this.url = config.REDIS_URL;
    this.prefix = config.QUEUE_PREFIX;
    const connection = this.connection as unknown as ConnectionOptions;
    const opts = { connection, prefix: config.QUEUE_PREFIX, defaultJobOptions: defaultJobOptions(config) };
    this.queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_NAMES[s], opts)])) as Record<Stage, Queue>;
    let last = 0;
    const report = (e: Error) => {
      this.lastError = e;
      // one line per 10 s at most while Redis stays down
      if (Date.now() - last < 10_000) return;
      last = Date.now();
      if (onError) onError(e);
      else process.stderr.write(`nianbao: redis: ${e.message}\n`);
    };
    for (const q of Object.values(this.queues)) q.on("error", report);
    this.connection.on("error", report);
  }

  /**
   * Resolves once Redis is connected: the connection fails commands sent before (no offline
   * queue). With `timeoutMs`, throws QueueUnavailableError when Redis has not answered by then
   * (the connection keeps retrying meanwhile) rather than waiting forever.
   */
  async ready(timeoutMs?: number): Promise<void> {
    const all = Promise.all(Object.values(this.queues).map((q) => q.waitUntilReady()));
    if (timeoutMs === undefined) {
      await all;
      return;
    }
    const unavailable = (why: string) =>
      new QueueUnavailableError(`${redactedUrl(this.url)}: ${why}${this.lastError ? ` (${this.lastError.message})` : ""}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([all.catch((e: unknown) => Promise.reject(unavailable((e as Error).message))), timeout]);
    } finally {
      clearTimeout(timer);
      all.catch(noop);
    }
  }

  /** Bounded: with Redis down, the connection is dropped at once instead of waiting for it. */
  async close(): Promise<void> {
    const up = this.connection.status === "ready";
    if (!up) this.connection.disconnect();
    const closing = Promise.all(Object.values(this.queues).map((q) => q.close()));
    // Over a dropped connection a Queue's close() waits for nothing useful: not awaited.
    if (up) await bounded(closing, 2000);
    else closing.catch(noop);
    await closeConnection(this.connection);
  }

  /** Drops the connection at once (when close() cannot finish: Redis gone). */
  disconnect(): void {
    this.connection.disconnect();
  }
}
