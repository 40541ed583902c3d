/**
 * The output store unreachable for 30 s while store jobs run. The worker reaches PostgreSQL
 * through a TCP proxy in the test process (STORE_URL points at it; a fresh database); the
 * watcher and the test talk to PostgreSQL directly. The store is "stopped" by closing the
 * proxy's listener and destroying every open connection, at the moment a store transaction
 * begins (the proxy drops that BEGIN and cuts), so a client is lost mid-transaction, as in a
 * real failover. 30 s later the proxy listens again on the same port.
 *
 * The jobs that hit the outage are retried with backoff (BACKOFF_MS 500, ATTEMPTS 12: over
 * 31 s of backoff before the attempts run out) and complete after recovery; the worker
 * process survives; nothing is lost or stored twice; nothing failed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Envelope } from "../../src/model.js";
import { cellRows } from "../../src/store/pg.js";
import { STAGES } from "../../queues/names.js";
import { goodDoc, Harness, isAlive, liveCounts, sha256, sleep, TcpProxy, waitFor, type Proc } from "./support.js";

const N = 20;
const OUTAGE_MS = 30_000;

describe.sequential("store (PostgreSQL) unreachable for 30 s", () => {
  let h: Harness;
  let proxy: TcpProxy;
  let worker: Proc;

  beforeAll(async () => {
    h = await Harness.create({ tag: "pgdown", store: "postgres", env: { CONCURRENCY: "1", BACKOFF_MS: "500", ATTEMPTS: "12" } });
    const pgUrl = new URL(h.storeUrl);
    proxy = new TcpProxy(Number(pgUrl.port || 5432), pgUrl.hostname);
    await proxy.listen(0);
    const viaProxy = new URL(h.storeUrl);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    worker = h.start("worker", ["worker"], { STORE_URL: viaProxy.href });
    h.start("watch", ["watch", h.inbox]); // the watcher writes ingest records to PostgreSQL directly
  });

  afterAll(async () => {
    await proxy?.close();
    await h?.close();
  });

  it("retries with backoff through the outage, then stores every document once", async () => {
    const docs = Array.from({ length: N }, (_, i) => goodDoc(h.prefix, i));
    docs.forEach((d) => h.drop(d.name, d.bytes));

    await waitFor("the first results", async () => ((await h.queues.extract.getJobCounts("completed")).completed ?? 0) >= 2);
    const trigger = await proxy.cutAtNextTransaction(15_000);
    const cutAt = Date.now();
    const port = proxy.port;
    expect(trigger).toBe("transaction"); // cut while a result's transaction was starting

    await sleep(2000);
    const storedEarly = (await h.db!.query("SELECT 1 FROM reports")).rowCount ?? 0;
    const completedEarly = (await h.queues.extract.getJobCounts("completed")).completed ?? 0;
    expect(storedEarly).toBeLessThan(N);
    await sleep(OUTAGE_MS - (Date.now() - cutAt));
    // Nothing got through while the store was down, and the worker is still the same process.
    expect((await h.db!.query("SELECT 1 FROM reports")).rowCount ?? 0).toBe(storedEarly);
    expect((await h.queues.extract.getJobCounts("completed")).completed ?? 0).toBe(completedEarly);
    expect(isAlive(worker)).toBe(true);
    const retrying = await h.counts();
    expect(STAGES.some((s) => (retrying[s].delayed ?? 0) > 0)).toBe(true); // waiting out a backoff
    for (const s of STAGES) expect(retrying[s].failed ?? 0).toBe(0);

    await proxy.listen(port);
    const downMs = Date.now() - cutAt;
    await waitFor(
      "every document stored",
      () => h.allStored(docs.map((d) => d.bytes)),
      120_000,
      250,
    );
    const recoveredMs = Date.now() - cutAt - downMs;
    await waitFor("the queues to drain", async () => ((await h.queues.extract.getJobCounts("completed")).completed ?? 0) === N, 30_000);
    console.log(`store outage: cut by a ${trigger} with ${storedEarly}/${N} stored; down ${downMs} ms; all stored ${recoveredMs} ms after recovery`);

    expect(isAlive(worker)).toBe(true);
    const expectedCounts = liveCounts({ completed: N });
    expect(await h.countsWhen(expectedCounts)).toEqual(expectedCounts);
    // Some jobs really went through the outage: retried, and completed on a later attempt.
    const attempts = (await h.queues.extract.getJobs(["completed"], 0, -1)).map((j) => j.attemptsMade);
    expect(attempts).toHaveLength(N);
    expect(Math.max(...attempts)).toBeGreaterThan(1);

    const db = h.db!;
    const rows = await db.query<{ sha256: string; n: string }>("SELECT sha256, count(*) AS n FROM reports GROUP BY sha256");
    expect(rows.rows.map((r) => [r.sha256, Number(r.n)]).sort()).toEqual(docs.map((d) => [sha256(d.bytes), 1]).sort());
    const envelopes = await db.query<{ envelope: Envelope }>("SELECT envelope FROM reports");
    const expectedCells = envelopes.rows.reduce((n, r) => n + cellRows(r.envelope).length, 0);
    const cells = await db.query<{ n: string; d: string }>(
      "SELECT count(*) AS n, count(DISTINCT (sha256, table_id, row_path, column_key)) AS d FROM cells",
    );
    expect([Number(cells.rows[0]!.n), Number(cells.rows[0]!.d)]).toEqual([expectedCells, expectedCells]);
    expect((await db.query("SELECT 1 FROM failures")).rowCount).toBe(0);
    expect((await db.query("SELECT 1 FROM artifacts")).rowCount).toBe(N); // one extraction each (an envelope goes straight to its result)
  });
});
