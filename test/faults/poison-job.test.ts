/**
 * Poison-job isolation: a file that kills its parser thread. The worker runs two parser
 * threads (CONCURRENCY 2) with the smallest heap the configuration allows (PARSER_MEMORY_MB
 * 64; the schema refuses less), and gets a good report and a 32 MB text file at the same
 * time. Parsing the text file needs several times that heap: its thread dies with
 * ERR_WORKER_OUT_OF_MEMORY. That job alone fails, with "crashed"; the report parsed in the
 * other thread at the same moment completes; the worker process lives on, replaces the
 * thread, and serves the next document.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PIPELINE_VERSION } from "../../src/process.js";
import { parseFailedReason } from "../../src/failures.js";
import { corpusBytes, goodDoc, Harness, isAlive, liveCounts, sha256, waitFor, type Proc } from "./support.js";

describe.sequential("a file that crashes its parser thread", () => {
  let h: Harness;
  let worker: Proc;

  beforeAll(async () => {
    h = await Harness.create({ tag: "poison", store: "file", env: { CONCURRENCY: "2", PARSER_MEMORY_MB: "64" } });
    worker = h.start("worker", ["worker"]);
    h.start("watch", ["watch", h.inbox]);
  });

  afterAll(async () => {
    await h?.close();
  });

  it("fails alone with crashed; the job in flight beside it completes; the worker keeps serving", async () => {
    // A 4-page report PDF (about 1 s in a fresh thread) and, beside it, 32 MB of table lines.
    const good = Buffer.concat([corpusBytes("s009.pdf"), Buffer.from(`\n% ${h.prefix} beside the poison\n`)]);
    const line = "本年新收政府信息公开申请数量 | 12 | 0 | 0 | 0 | 0 | 0 | 12\n";
    const poison = Buffer.from(line.repeat(Math.ceil((32 * 1024 * 1024) / Buffer.byteLength(line))), "utf8");
    // One watcher round picks both up, in key order: the report first.
    const goodId = h.drop("a-report.pdf", good);
    const poisonId = h.drop("b-poison.txt", poison);

    const p = await h.settled("extract", poisonId, 60_000);
    expect(p.state).toBe("failed");
    expect(parseFailedReason(p.job.failedReason).code).toBe("crashed");
    expect(p.job.failedReason).toMatch(/^crashed: the parser thread died: .*memory limit/);
    expect(p.job.attemptsMade).toBe(1);

    const g = await h.settled("extract", goodId, 60_000);
    expect(g.state).toBe("completed");
    // The two really ran at the same time, each in its own thread.
    expect(g.job.processedOn!).toBeLessThan(p.job.finishedOn!);
    expect(p.job.processedOn!).toBeLessThan(g.job.finishedOn!);
    await waitFor("the report beside it stored", () => h.store.hasResult(sha256(good), PIPELINE_VERSION), 60_000);

    // The same worker process serves the next document (the dead thread was replaced).
    const next = goodDoc(h.prefix, 3); // a PDF
    h.drop(next.name, next.bytes);
    await waitFor("the next document stored", () => h.store.hasResult(sha256(next.bytes), PIPELINE_VERSION), 60_000);
    expect(isAlive(worker)).toBe(true);

    const expectedCounts = liveCounts({ completed: 2, failed: 1 });
    expect(await h.countsWhen(expectedCounts)).toEqual(expectedCounts);
    const failures = await waitFor("the failure record", async () => {
      const all = await h.store.listFailures(10);
      return all.length > 0 ? all : null;
    });
    expect(failures.map((f) => [f.sha256, f.code])).toEqual([[sha256(poison), "crashed"]]);
    expect(sha256(readFileSync(join(h.inbox, "b-poison.txt")))).toBe(sha256(poison));
    console.log(
      `poison: report ${g.job.processedOn}–${g.job.finishedOn}, poison ${p.job.processedOn}–${p.job.finishedOn}: ${p.job.failedReason}`,
    );
  });
});
