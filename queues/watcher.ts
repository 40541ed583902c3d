/**
 * The watcher: polls the upload bucket and enqueues every complete new object, hashing it as a
 * stream (memory stays flat whatever its size). An object over MAX_FILE_BYTES (its size from
 * the listing, before anything is read) is not enqueued: it is recorded once as a `too-large`
 * failure. An object whose enqueue fails (Redis down or full, the store down) is kept and
 * tried again, so nothing seen is lost; the rounds back off meanwhile (the interval doubles,
 * up to MAX_BACKOFF_MS) and each says so in one line, not one per upload. The same bytes seen
 * again are skipped by the producer. Objects are hashed and enqueued ENQUEUE_BATCH at a time,
 * each batch's jobs in one Redis round trip (addBulk).
 */
import type { Logger } from "pino";
import { ObjectGoneError, ObjectOutsideBucketError, ObjectTooLargeError } from "../src/bucket/index.js";
import type { BucketObject, UploadBucket } from "../src/bucket/types.js";
import { ENQUEUE_BATCH, type EnqueueOutcome, type Producer } from "./producer.js";

export interface WatcherStats {
  enqueued: number;
  duplicates: number;
  failed: number;
  /** Objects refused for good: over MAX_FILE_BYTES, hard links. */
  refused: number;
}

/** The longest wait between two rounds while enqueueing fails. */
export const MAX_BACKOFF_MS = 30_000;

export class Watcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private retry: BucketObject[] = [];
  /** Rounds in a row whose enqueueing failed (0: all well). */
  private failedRounds = 0;
  /** Keys whose read failed, already logged (one line per file, not one per round). */
  private readonly unreadable = new Set<string>();
  readonly stats: WatcherStats = { enqueued: 0, duplicates: 0, failed: 0, refused: 0 };

  constructor(
    private readonly bucket: UploadBucket,
    private readonly producer: Producer,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly options: {
      priority?: number;
      /** Objects larger than this are recorded as `too-large` failures, never read. */
      maxBytes?: number;
      onEnqueued?: (o: EnqueueOutcome, object: BucketObject) => void;
    } = {},
  ) {}

  /** How long until the next round: the interval, doubled for each failed round in a row. */
  get delayMs(): number {
    if (this.failedRounds === 0) return this.intervalMs;
    return Math.min(MAX_BACKOFF_MS, this.intervalMs * 2 ** Math.min(this.failedRounds, 16));
  }

  /** One round: poll, hash and enqueue. */
  async tick(): Promise<void> {
    let fresh: BucketObject[] = [];
    try {
      fresh = await this.bucket.poll();
    } catch (e) {
      this.log.error({ err: (e as Error).message, bucket: this.bucket.root }, "could not list the upload bucket");
    }
    for (const r of this.bucket.takeRefused?.() ?? []) {
      this.stats.refused++;
      this.log.warn({ key: r.key, reason: r.reason }, "not ingested");
    }
    const batch = [...this.retry, ...fresh];
    this.retry = [];
    let queueError: Error | null = null;
    // Hashed and enqueued ENQUEUE_BATCH at a time: one Redis round trip for each batch's jobs.
    for (let start = 0; start < batch.length; start += ENQUEUE_BATCH) {
      const hashed = await this.hashAll(batch.slice(start, start + ENQUEUE_BATCH));
      try {
        await this.enqueueHashed(hashed);
      } catch (e) {
        // Redis or the store: the next objects would fail the same way. Keep them all for the
        // next round, and back off.
        queueError = e as Error;
        const rest = [...hashed.map((h) => h.object), ...batch.slice(start + ENQUEUE_BATCH)];
        this.stats.failed += rest.length;
        this.retry.push(...rest);
        break;
      }
    }
    if (queueError) {
      this.failedRounds++;
      this.log.error(
        { err: queueError.message, waiting: this.retry.length, retryInMs: this.delayMs, round: this.failedRounds },
        "could not enqueue; will retry",
      );
    } else if (this.failedRounds > 0) {
      this.log.info({ afterRounds: this.failedRounds }, "enqueueing again");
      this.failedRounds = 0;
    }
  }

  /** The objects that could be hashed, with their hashes; the others are logged (and kept to retry where that can help). */
  private async hashAll(objects: readonly BucketObject[]): Promise<{ object: BucketObject; sha: string }[]> {
    const hashed: { object: BucketObject; sha: string }[] = [];
    for (const object of objects) {
      try {
        hashed.push({ object, sha: await this.bucket.hash(object) });
        this.unreadable.delete(object.uri);
      } catch (e) {
        if (e instanceof ObjectGoneError) {
          this.log.warn({ key: object.key }, "file vanished before it could be read");
          continue;
        }
        if (e instanceof ObjectOutsideBucketError || e instanceof ObjectTooLargeError) {
          this.stats.refused++;
          this.log.warn({ key: object.key, reason: e.message }, "not ingested");
          continue;
        }
        this.stats.failed++;
        this.retry.push(object);
        if (!this.unreadable.has(object.uri)) this.log.error({ key: object.key, err: (e as Error).message }, "could not read; will retry");
        this.unreadable.add(object.uri);
      }
    }
    return hashed;
  }

  /** Records the objects over maxBytes as too-large failures and enqueues the others, in one addBulk. */
  private async enqueueHashed(hashed: readonly { object: BucketObject; sha: string }[]): Promise<void> {
    const maxBytes = this.options.maxBytes;
    const tooLarge = (o: BucketObject) => maxBytes !== undefined && o.size > maxBytes;
    for (const { object, sha } of hashed) if (tooLarge(object)) this.counted(await this.producer.refuseTooLarge(object, sha, maxBytes as number), object);
    const rest = hashed.filter((h) => !tooLarge(h.object));
    const outcomes = await this.producer.enqueueMany(rest, this.options.priority ? { priority: this.options.priority } : {});
    outcomes.forEach((o, i) => this.counted(o, (rest[i] as { object: BucketObject }).object));
  }

  private counted(outcome: EnqueueOutcome, object: BucketObject): void {
    if (outcome.status === "enqueued") this.stats.enqueued++;
    else if (outcome.status === "refused") this.stats.refused++;
    else this.stats.duplicates++;
    const message = { enqueued: "enqueued", duplicate: "already ingested: skipped", refused: "too large: recorded as a too-large failure" }[outcome.status];
    this.log.info({ documentId: outcome.documentId, key: object.key, outcome: outcome.status, bytes: object.size }, message);
    this.options.onEnqueued?.(outcome, object);
  }

  start(): void {
    const loop = async () => {
      this.running = this.tick();
      await this.running;
      this.running = null;
      if (this.timer !== null) this.timer = setTimeout(() => void loop(), this.delayMs);
    };
    this.timer = setTimeout(() => void loop(), 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
