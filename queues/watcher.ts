/**
 * The watcher: polls the upload bucket and enqueues every complete new object. An object
 * whose enqueue fails (Redis or the store down) is kept and tried again on the next round,
 * so nothing seen is lost; the same bytes seen again are skipped by the producer.
 */
import type { Logger } from "pino";
import { ObjectGoneError } from "../src/bucket/index.js";
import type { BucketObject, UploadBucket } from "../src/bucket/types.js";
import type { EnqueueOutcome, Producer } from "./producer.js";

export interface WatcherStats {
  enqueued: number;
  duplicates: number;
  failed: number;
}

export class Watcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private retry: BucketObject[] = [];
  readonly stats: WatcherStats = { enqueued: 0, duplicates: 0, failed: 0 };

  constructor(
    private readonly bucket: UploadBucket,
    private readonly producer: Producer,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly options: { priority?: number; onEnqueued?: (o: EnqueueOutcome, object: BucketObject) => void } = {},
  ) {}

  /** One round: poll, read and enqueue. */
  async tick(): Promise<void> {
    let fresh: BucketObject[] = [];
    try {
      fresh = await this.bucket.poll();
    } catch (e) {
      this.log.error({ err: (e as Error).message, bucket: this.bucket.root }, "could not list the upload bucket");
    }
    const batch = [...this.retry, ...fresh];
    this.retry = [];
    for (const object of batch) {
      try {
        const bytes = await this.bucket.read(object);
        const outcome = await this.producer.enqueue(object, bytes, this.options.priority ? { priority: this.options.priority } : {});
        if (outcome.status === "enqueued") this.stats.enqueued++;
        else this.stats.duplicates++;
        this.log.info({ documentId: outcome.documentId, key: object.key, outcome: outcome.status }, outcome.status === "enqueued" ? "enqueued" : "already ingested: skipped");
        this.options.onEnqueued?.(outcome, object);
      } catch (e) {
        if (e instanceof ObjectGoneError) {
          this.log.warn({ key: object.key }, "file vanished before it could be read");
          continue;
        }
        this.stats.failed++;
        this.retry.push(object);
        this.log.error({ key: object.key, err: (e as Error).message }, "could not enqueue; will retry");
      }
    }
  }

  start(): void {
    const loop = async () => {
      this.running = this.tick();
      await this.running;
      this.running = null;
      if (this.timer !== null) this.timer = setTimeout(() => void loop(), this.intervalMs);
    };
    this.timer = setTimeout(() => void loop(), 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
