/**
 * Redis restarted in the middle of a run: a redis-server of our own (AOF, fsync on every
 * write) on a free port, a `nianbao worker` and a `nianbao watch` against it. 20 documents are
 * dropped; Redis is stopped (SIGTERM) while they are being processed; 10 more documents are
 * dropped while it is down; 4 s later it is started again on the same port and folder. The
 * worker and the watcher reconnect by themselves (same processes), and every document ends
 * processed exactly once: stored once, every stage's counts add up to 30 completed, nothing
 * failed.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, goodDoc, Harness, isAlive, liveCounts, sha256, sleep, startRedis, stopProcess, waitFor, type Proc } from "./support.js";

const N = 30;
const DOWN_MS = 4000;

describe.sequential("Redis restarted mid-run", () => {
  let h: Harness;
  let redis: ChildProcess | null = null;
  let port: number;
  let redisDir: string;
  let worker: Proc;
  let watcher: Proc;

  beforeAll(async () => {
    port = await freePort();
    redisDir = mkdtempSync(join(tmpdir(), "nianbao-faults-redis-data-"));
    redis = await startRedis(port, redisDir, `faults-redis-${port}`);
    h = await Harness.create({
      tag: "redis",
      store: "postgres",
      redisUrl: `redis://127.0.0.1:${port}`,
      env: { CONCURRENCY: "1", BACKOFF_MS: "500", ATTEMPTS: "8" },
    });
    worker = h.start("worker", ["worker"]);
    watcher = h.start("watch", ["watch", h.inbox]);
  });

  afterAll(async () => {
    // Obliterate the queues while our Redis still runs, then stop it.
    await h?.close();
    if (redis) await stopProcess(redis);
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  });

  it("reconnects by itself and processes every document exactly once", async () => {
    const docs = Array.from({ length: N }, (_, i) => goodDoc(h.prefix, i));
    const early = docs.slice(0, 20);
    const late = docs.slice(20);
    early.forEach((d) => h.drop(d.name, d.bytes));

    // Mid-run: some documents stored, most not.
    const before = await waitFor("the first results", async () => {
      const n = (await h.queues.extract.getJobCounts("completed")).completed ?? 0;
      return n >= 3 ? n : null;
    });
    await stopProcess(redis!);
    redis = null;
    const storedAtStop = (await h.db!.query("SELECT 1 FROM reports")).rowCount ?? 0;
    // Ten more arrive while Redis is down: the watcher sees them and cannot enqueue them yet.
    late.forEach((d) => h.drop(d.name, d.bytes));
    await sleep(DOWN_MS);
    for (const d of late) expect(await h.store.getIngest(sha256(d.bytes))).toBeNull();
    expect(isAlive(worker) && isAlive(watcher)).toBe(true);
    redis = await startRedis(port, redisDir, `faults-redis-${port}`);

    await waitFor(
      "every document stored",
      () => h.allStored(docs.map((d) => d.bytes)),
      120_000,
    );
    // Let any duplicate work that could still be under way show itself.
    await waitFor(
      "the queues to drain",
      async () => {
        const c = await h.counts();
        return (c.extract.completed ?? 0) === N ? c : null;
      },
      60_000,
    );
    console.log(`redis restart: stopped with ${before}/${N} jobs completed (${storedAtStop} rows), down ${DOWN_MS} ms`);
    expect(storedAtStop).toBeLessThan(N);

    const expectedCounts = liveCounts({ completed: N });
    expect(await h.countsWhen(expectedCounts)).toEqual(expectedCounts);
    const rows = await h.db!.query<{ sha256: string; n: string }>("SELECT sha256, count(*) AS n FROM reports GROUP BY sha256");
    expect(rows.rows.map((r) => [r.sha256, Number(r.n)]).sort()).toEqual(docs.map((d) => [sha256(d.bytes), 1]).sort());
    expect((await h.db!.query("SELECT 1 FROM failures")).rowCount).toBe(0);
    // one ingest record per document, each seen under one name
    const sources = await h.db!.query<{ n: string }>("SELECT count(*) AS n FROM document_sources");
    expect(Number(sources.rows[0]!.n)).toBe(N);
    // the same processes, reconnected
    expect(isAlive(worker) && isAlive(watcher)).toBe(true);
  });
});
