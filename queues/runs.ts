/**
 * The state of a reprocessing run, kept in Redis beside its jobs, so that it survives the
 * `nianbao reprocess` process (Ctrl-C, a crash) exactly as long as the jobs do:
 *
 *   <prefix>:run:<runId>:docs     hash  sha256 → the pipeline version stored before the run
 *   <prefix>:run:<runId>:done     hash  sha256 → validation status (set by the store stage)
 *   <prefix>:run:<runId>:failed   hash  sha256 → reason code (set on a job's final failure)
 *   <prefix>:run:<runId>:meta     hash  what the run was started with
 *
 * Hashes rather than one counter: marking a document twice (a retried store job) changes
 * nothing, so the counts stay exact. Memory is in Redis, a few dozen bytes a document.
 */
import type { Redis } from "ioredis";
import type { FailureCode } from "../src/failures.js";
import type { ValidationStatus } from "../src/model.js";

export interface RunCounts {
  /** Documents the run has enqueued, over all its invocations. */
  total: number;
  done: number;
  failed: number;
}

export interface RunMeta {
  runId: string;
  pipelineVersion: string;
  selection: string;
  from: string;
  createdAt: string;
}

export class RunState {
  private readonly key: (part: "docs" | "done" | "failed" | "meta") => string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly runId: string,
    /** Kept as long as failed jobs are (KEEP_FAILED_S), renewed on every write. */
    private readonly ttlSeconds: number,
  ) {
    this.key = (part) => `${prefix}:run:${runId}:${part}`;
  }

  private get ttl(): number {
    return Math.max(3600, this.ttlSeconds);
  }

  /** Records the run's parameters the first time; returns those of the first invocation. */
  async open(meta: RunMeta): Promise<RunMeta> {
    const k = this.key("meta");
    await this.redis.multi().hsetnx(k, "json", JSON.stringify(meta)).expire(k, this.ttl).exec();
    const stored = await this.redis.hget(k, "json");
    return stored ? (JSON.parse(stored) as RunMeta) : meta;
  }

  async exists(): Promise<boolean> {
    return (await this.redis.exists(this.key("meta"))) === 1;
  }

  /** Adds documents to the run (before their jobs are added); a document already in it keeps its first previous version. */
  async addDocs(docs: readonly { sha256: string; previousVersion: string }[]): Promise<void> {
    if (docs.length === 0) return;
    const m = this.redis.multi();
    for (const d of docs) m.hsetnx(this.key("docs"), d.sha256, d.previousVersion);
    for (const part of ["docs", "done", "failed", "meta"] as const) m.expire(this.key(part), this.ttl);
    await m.exec();
  }

  async markDone(sha256: string, status: ValidationStatus): Promise<void> {
    const k = this.key("done");
    await this.redis.multi().hset(k, sha256, status).hdel(this.key("failed"), sha256).expire(k, this.ttl).exec();
  }

  async markFailed(sha256: string, code: FailureCode): Promise<void> {
    const k = this.key("failed");
    await this.redis.multi().hset(k, sha256, code).expire(k, this.ttl).exec();
  }

  /** Forgets a failure, before its document is enqueued again (--retry-failed). */
  async clearFailed(sha256s: readonly string[]): Promise<void> {
    if (sha256s.length) await this.redis.hdel(this.key("failed"), ...sha256s);
  }

  /** For each document: whether it is in the run, done, or failed (with the code). */
  async lookup(sha256s: readonly string[]): Promise<{ inRun: boolean; done: boolean; failed: string | null }[]> {
    if (sha256s.length === 0) return [];
    const [docs, done, failed] = await Promise.all([
      this.redis.hmget(this.key("docs"), ...sha256s),
      this.redis.hmget(this.key("done"), ...sha256s),
      this.redis.hmget(this.key("failed"), ...sha256s),
    ]);
    return sha256s.map((_, i) => ({ inRun: docs[i] != null, done: done[i] != null, failed: failed[i] ?? null }));
  }

  async counts(): Promise<RunCounts> {
    const [total, done, failed] = await Promise.all([
      this.redis.hlen(this.key("docs")),
      this.redis.hlen(this.key("done")),
      this.redis.hlen(this.key("failed")),
    ]);
    return { total, done, failed };
  }

  /**
   * Every document of the run, page by page (HSCAN: bounded memory whatever the run's size),
   * with its previous version, its status if done and its failure code if failed. HSCAN may
   * return a document twice (while Redis rehashes the hash): the summary lists a changed
   * document once, and takes its totals from the hash lengths.
   */
  async *documents(pageSize = 500): AsyncGenerator<{ sha256: string; previousVersion: string; status: string | null; failed: string | null }[]> {
    let cursor = "0";
    do {
      const [next, flat] = await this.redis.hscan(this.key("docs"), cursor, "COUNT", pageSize);
      cursor = next;
      const page: { sha256: string; previousVersion: string }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) page.push({ sha256: flat[i] as string, previousVersion: flat[i + 1] as string });
      if (page.length === 0) continue;
      const shas = page.map((p) => p.sha256);
      const [done, failed] = await Promise.all([this.redis.hmget(this.key("done"), ...shas), this.redis.hmget(this.key("failed"), ...shas)]);
      yield page.map((p, i) => ({ ...p, status: done[i] ?? null, failed: failed[i] ?? null }));
    } while (cursor !== "0");
  }
}
