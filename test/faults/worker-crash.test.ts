/**
 * A worker killed with kill -9 in the middle of a job, with the PostgreSQL store: the job it
 * held is taken over by the other worker once its lock lapses and completes once; every
 * document is stored once, with no duplicate rows in `reports` or `cells`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../src/model.js";
import { cellRows } from "../../src/store/pg.js";
import { corpusBytes, docId, Harness, isAlive, liveCounts, sha256, waitFor, type Proc } from "./support.js";

const N = 10;

describe.sequential("worker killed with kill -9 mid-job (PostgreSQL store)", () => {
  let h: Harness;
  let a: Proc;
  let b: Proc;

  beforeAll(async () => {
    h = await Harness.create({
      tag: "kill",
      store: "postgres",
      env: { CONCURRENCY: "1", LOCK_DURATION_MS: "4000", STALLED_INTERVAL_MS: "1000" },
    });
    a = h.start("worker-a", ["worker"]);
    b = h.start("worker-b", ["worker"]);
    h.start("watch", ["watch", h.inbox]);
  });

  afterAll(async () => {
    await h?.close();
  });

  it("recovers the job, completes it once, and stores no duplicate rows", async () => {
    // Ten documents: the same 4-page PDF with a different trailing comment (about 0.5 s each).
    const base = corpusBytes("s009.pdf");
    const docs = Array.from({ length: N }, (_, i) => Buffer.concat([base, Buffer.from(`\n% ${h.prefix} kill ${i}\n`)]));
    docs.forEach((bytes, i) => h.drop(`kill-${i}.pdf`, bytes));

    const victim = await waitFor(
      "an extract job held by worker a",
      async () => (await h.queues.extract.getActive()).find((j) => j.processedBy?.endsWith(`-${a.child.pid}`)) ?? null,
      30_000,
      10,
    );
    const id = String(victim.id);
    a.child.kill("SIGKILL");
    await a.exited;

    await waitFor(
      "every document stored",
      () => h.allStored(docs),
      90_000,
    );

    // Every stage settled: each job completed, none failed.
    const expectedCounts = liveCounts({ completed: N });
    expect(await h.countsWhen(expectedCounts)).toEqual(expectedCounts);

    // The victim was taken over by worker b and completed there, once.
    const job = await h.job("extract", id);
    expect(await job?.getState()).toBe("completed");
    expect(job?.processedBy).toMatch(new RegExp(`-${b.child.pid}$`));
    expect(job?.stalledCounter).toBe(1); // moved back once, when a's lock lapsed
    expect(job?.attemptsMade).toBe(1); // one completed attempt: a stall is not a failure
    for (const stage of ["reconstruct", "store"] as const) expect(await h.job(stage, id)).toBeUndefined();
    expect(isAlive(b)).toBe(true);

    // Exactly one result per document, and one row per cell.
    const db = h.db!;
    const victimSha = id.slice("sha256-".length);
    const reports = await db.query<{ sha256: string; n: string }>("SELECT sha256, count(*) AS n FROM reports GROUP BY sha256");
    expect(reports.rows.map((r) => [r.sha256, Number(r.n)]).sort()).toEqual(docs.map((d) => [sha256(d), 1]).sort());
    const envelope = (await db.query<{ envelope: Envelope }>("SELECT envelope FROM reports WHERE sha256 = $1", [victimSha])).rows[0]!.envelope;
    const cells = await db.query<{ n: string; distinct_cells: string }>(
      "SELECT count(*) AS n, count(DISTINCT (table_id, row_path, column_key)) AS distinct_cells FROM cells WHERE sha256 = $1",
      [victimSha],
    );
    expect(Number(cells.rows[0]!.n)).toBe(cellRows(envelope).length);
    expect(Number(cells.rows[0]!.distinct_cells)).toBe(cellRows(envelope).length);
    expect(cellRows(envelope).length).toBe(200); // a 2021-format report
    const allCells = await db.query<{ n: string }>("SELECT count(*) AS n FROM cells");
    expect(Number(allCells.rows[0]!.n)).toBe(N * 200);
    expect((await db.query("SELECT 1 FROM failures")).rowCount).toBe(0);

    expect(docs.map(docId)).toContain(id);
  });
});
