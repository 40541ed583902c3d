/**
 * PgStore against a real PostgreSQL (PG_URL, default postgres://127.0.0.1:5432/test, trust auth).
 * Each run creates its own databases (nianbao_test_<random>) and drops them at the end, so
 * runs never collide. What every store must do is test/support/store-contract.ts, run here
 * too; this file adds what is PostgreSQL's own: migrations, rows, and a lost connection.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusReport, envelope, row7, sha, yearReport } from "./support/envelopes.js";
import { corpusFile } from "./support/corpus.js";
import { processBytes } from "../src/process.js";
import { openStore } from "../src/store/index.js";
import { cellRows, PgStore, withDefaultUser } from "../src/store/pg.js";
import type { SourceRef } from "../src/store/types.js";
import { describeStoreContract } from "./support/store-contract/index.js";
import { TcpProxy } from "./support/tcp-proxy.js";

// ------------------------------------------------------------------------------- fixtures
const source = (name: string, versionId: string | null = null): SourceRef => ({
  uri: `s3://inbox/${name}`,
  key: name,
  size: 1234,
  versionId,
  etag: '"abc"',
  mtime: "2024-03-01T08:00:00.000Z",
});

// -------------------------------------------------------------------------------- databases
const ADMIN_URL = withDefaultUser(process.env.PG_URL ?? "postgres://127.0.0.1:5432/test");
const created: string[] = [];

function urlOf(db: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new empty database; its URL. */
async function freshDatabase(): Promise<string> {
  const name = `nianbao_test_${randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  created.push(name);
  return urlOf(name);
}

let url: string;
let store: PgStore;
let sql: pg.Pool;

beforeAll(async () => {
  url = await freshDatabase();
  store = new PgStore(url);
  await store.init();
  sql = new pg.Pool({ connectionString: url });
  // pool.end() resolves before its backends have exited, so afterAll's DROP DATABASE … WITH
  // (FORCE) can still terminate one, and the pool then emits "error": without a listener, an
  // unhandled error that fails the run (seen in CI). A query that needs a dead client still fails.
  sql.on("error", () => undefined);
});

afterAll(async () => {
  await store?.close();
  await sql?.end();
  await admin(async (c) => {
    for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
});

const count = async (query: string, params: unknown[] = []) => Number((await sql.query<{ n: string }>(query, params)).rows[0]?.n);

// --------------------------------------------------------------------------------- tests
describe("PgStore migrations", () => {
  it("runs migrations from two stores at once, and again, without error", async () => {
    const fresh = await freshDatabase();
    const a = new PgStore(fresh);
    const b = new PgStore(fresh);
    try {
      await Promise.all([a.init(), b.init(), a.init()]);
      await b.init(); // again, after everything is applied: nothing to do
      const check = new pg.Client({ connectionString: fresh });
      await check.connect();
      const { rows } = await check.query<{ version: string }>("SELECT version FROM schema_migrations ORDER BY version");
      await check.end();
      expect(rows.map((r) => r.version)).toEqual(["001_init.sql", "002_failures_source_uri.sql"]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("throws when the database cannot be reached", async () => {
    const down = openStore("postgres://127.0.0.1:1/nothing");
    try {
      await expect(down.init()).rejects.toThrow();
      await expect(down.getArtifact("x")).rejects.toThrow();
    } finally {
      await down.close();
    }
  });
});

describe("PgStore results", () => {
  it("stores a 2021 report twice as exactly one reports row and 200 cells rows", async () => {
    const findings = [{ rule: "R1", severity: "error" as const, path: "applications.totalProcessed.total", message: "x", expected: 12, actual: 11 }];
    const env = envelope(corpusReport("seed/jingzhouqu-2021"), "seed", "0.1.0", findings);
    await store.putResult(env, null);
    await store.putResult(env, source("again.pdf"));
    const s = env.source.sha256;
    expect(await count("SELECT count(*) AS n FROM reports WHERE sha256 = $1", [s])).toBe(1);
    expect(await count("SELECT count(*) AS n FROM cells WHERE sha256 = $1", [s])).toBe(200);
    expect(await count("SELECT count(*) AS n FROM findings WHERE sha256 = $1", [s])).toBe(1);

    const got = await store.getResult(s);
    expect(got?.envelope).toEqual(env);
    expect(got?.source).toEqual(source("again.pdf"));
    expect(got?.crossYear).toEqual([]);
    expect(await store.hasResult(s, "0.1.0")).toBe(true);
    expect(await store.hasResult(s, "0.2.0")).toBe(false);
    expect(await store.getResult(sha("nothing"))).toBeNull();

    const row = (await sql.query("SELECT format, year, agency, agency_key, status FROM reports WHERE sha256 = $1", [s])).rows[0];
    expect(row).toEqual({ format: "2021", year: 2021, agency: "荆州市荆州区人民政府办公室", agency_key: "421003/人民政府办公室", status: "invalid" });
    const cell = (await sql.query("SELECT value FROM cells WHERE sha256 = $1 AND table_id = 'proactive' AND row_path = 'normativeDocuments' AND column_key = 'inForce'", [s])).rows[0];
    expect(Number(cell?.value)).toBe(24);
    const f = (await sql.query("SELECT origin, seq, rule, expected, actual FROM findings WHERE sha256 = $1", [s])).rows[0];
    expect(f).toEqual({ origin: "validation", seq: 0, rule: "R1", expected: 12, actual: 11 });
  });

  it("stores a real envelope from the core and a 2019 report with 198 cells", async () => {
    const env = await processBytes(readFileSync(corpusFile("jingzhouqu-2021.txt")), { fileName: "jingzhouqu-2021.txt" });
    await store.putResult(env, null);
    expect((await store.getResult(env.source.sha256))?.envelope).toEqual(env);
    expect(await count("SELECT count(*) AS n FROM cells WHERE sha256 = $1", [env.source.sha256])).toBe(200);

    const r2019 = envelope(corpusReport("synthetic/s022"), "s022");
    expect(cellRows(r2019)).toHaveLength(198);
    await store.putResult(r2019, null);
    expect(await count("SELECT count(*) AS n FROM cells WHERE sha256 = $1", [sha("s022")])).toBe(198);
    expect((await store.getResult(sha("s022")))?.envelope).toEqual(r2019);
  });

  it("holds text with NUL characters (from damaged documents) without failing", async () => {
    const env = envelope(yearReport("坏\u0000机关", 2021), "nul");
    await store.putResult(env, null);
    expect((await store.getResult(sha("nul")))?.envelope.report.agency).toBe("坏\uFFFD机关");
  });
});

describe("PgStore rule R6 (cross-year) in SQL", () => {
  it("keeps the cross-year findings as rows, and deletes them when the neighbour comes to agree", async () => {
    const AG = "R6行区人民政府";
    const crossYearRows = (s: string) => count("SELECT count(*) AS n FROM findings WHERE sha256 = $1 AND origin = 'cross-year'", [s]);
    const y2022 = envelope(yearReport(AG, 2022, { carriedOver: row7({ naturalPerson: 2, total: 2 }) }), "pg-r6-2022");
    await store.putResult(y2022, null);
    expect(await crossYearRows(y2022.source.sha256)).toBe(0);
    await store.putResult(envelope(yearReport(AG, 2021, { carriedForward: row7({ naturalPerson: 3, total: 3 }) }), "pg-r6-2021"), null);
    expect(await crossYearRows(y2022.source.sha256)).toBe(2);
    await store.putResult(envelope(yearReport(AG, 2021, { carriedForward: row7({ naturalPerson: 2, total: 2 }) }), "pg-r6-2021", "0.2.0"), null);
    expect(await crossYearRows(y2022.source.sha256)).toBe(0);
  });
});

describe("PgStore failure log", () => {
  it("supersedes a source's failures through the expression index on source->>'uri'", async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // The table is small here: forbid the sequential scan to see that the index can serve.
      await c.query("SET enable_seqscan = off");
      const plan = await c.query<{ "QUERY PLAN": string }>("EXPLAIN DELETE FROM failures WHERE source->>'uri' = 's3://inbox/x.pdf' AND sha256 <> 'y'");
      expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("failures_source_uri");
    } finally {
      await c.end();
    }
  });
});

describeStoreContract("PgStore", {
  store: () => store,
  another: (options) => new PgStore(url, options),
  source,
});


describe("PgStore when the connection is lost in the middle of a transaction", () => {
  it("fails that call, not the process, and works again once the server is back", async () => {
    // The cut comes at the BEGIN of putResult's transaction, on a checked-out client: pg then
    // fails the query and also emits "error" on the client, which used to be unhandled and
    // killed the process (here: an unhandled error failing the test run).
    const target = new URL(url);
    const proxy = new TcpProxy(Number(target.port || 5432), target.hostname);
    await proxy.listen(0);
    const via = new URL(url);
    via.port = String(proxy.port);
    const flaky = new PgStore(via.href, { connectionTimeoutMillis: 2000 });
    try {
      const env = envelope(yearReport("断线测试区人民政府", 2021), "pg-lost-connection");
      expect(await flaky.hasResult(env.source.sha256, env.pipeline.version)).toBe(false); // a pooled, idle client
      const cut = proxy.cutAtNextTransaction(5000);
      await expect(flaky.putResult(env, null)).rejects.toThrow(/Connection terminated/);
      expect(await cut).toBe("transaction");
      await expect(flaky.hasResult(env.source.sha256, env.pipeline.version)).rejects.toThrow(); // still down
      await proxy.listen(proxy.port);
      await flaky.putResult(env, null);
      expect(await store.hasResult(env.source.sha256, env.pipeline.version)).toBe(true);
    } finally {
      await flaky.close();
      await proxy.close();
    }
  });
});
