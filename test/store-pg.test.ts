/**
 * PgStore against a real PostgreSQL (PG_URL, default postgres://127.0.0.1:5432/test, trust auth).
 * Each run creates its own databases (nianbao_test_<random>) and drops them at the end, so
 * runs never collide.
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
      expect(rows.map((r) => r.version)).toEqual(["001_init.sql"]);
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
    expect(row).toEqual({ format: "2021", year: 2021, agency: "荆州市荆州区人民政府办公室", agency_key: "荆州市荆州区人民政府办公室", status: "invalid" });
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

  it("moves a result whose agency and year changed", async () => {
    await store.putResult(envelope(yearReport("甲市人民政府", 2021), "moving"), null);
    await store.putResult(envelope(yearReport("乙市人民政府", 2022), "moving"), null);
    expect(await count("SELECT count(*) AS n FROM reports WHERE sha256 = $1", [sha("moving")])).toBe(1);
    expect(await store.findByAgencyYear("甲市人民政府", 2021)).toEqual([]);
    expect(await store.findByAgencyYear("乙市人民政府", 2022)).toHaveLength(1);
  });

  it("gives the newest pipeline version by default, compared as versions, not as text", async () => {
    const report = yearReport("版本测试局", 2021);
    await store.putResult(envelope(report, "versions", "0.10.0"), null);
    await store.putResult(envelope(report, "versions", "0.9.0"), null);
    expect((await store.getResult(sha("versions")))?.envelope.pipeline.version).toBe("0.10.0");
    expect((await store.getResult(sha("versions"), "0.9.0"))?.envelope.pipeline.version).toBe("0.9.0");
    expect((await store.findByAgencyYear("版本测试局", 2021)).map((r) => r.envelope.pipeline.version)).toEqual(["0.10.0", "0.9.0"]);
  });

  it("lists every document once at its newest version, with status and source key", async () => {
    const report = yearReport("列表测试局", 2020);
    await store.putResult(envelope(report, "listed", "0.10.0"), source("2020/列表/a.pdf"));
    await store.putResult(envelope(report, "listed", "0.9.0"), source("2020/列表/a.pdf"));
    const all = [];
    for await (const r of store.listReports()) all.push(r);
    const mine = all.filter((r) => r.sha256 === sha("listed"));
    expect(mine).toEqual([
      expect.objectContaining({ pipelineVersion: "0.10.0", agency: "列表测试局", year: 2020, format: "2021", status: "valid", sourceKey: "2020/列表/a.pdf" }),
    ]);
    expect(new Set(all.map((r) => r.sha256)).size).toBe(all.length);
  });

  it("finds by agency and year after NFKC and whitespace removal", async () => {
    await store.putResult(envelope(yearReport("上海市ABC委员会", 2024), "abc"), null);
    await store.putResult(envelope(yearReport("上海市ABC委员会", 2023), "abc-2023"), null);
    for (const q of ["上海市ABC委员会", " 上海市 ABC\t委员会\n", "上海市ＡＢＣ委员会", "上海市　ＡＢＣ　委员会"]) {
      const found = await store.findByAgencyYear(q, 2024);
      expect(found.map((f) => f.envelope.source.sha256)).toEqual([sha("abc")]);
    }
    expect(await store.findByAgencyYear("上海市ABC委员会", 2022)).toEqual([]);
  });

  it("holds text with NUL characters (from damaged documents) without failing", async () => {
    const env = envelope(yearReport("坏\u0000机关", 2021), "nul");
    await store.putResult(env, null);
    expect((await store.getResult(sha("nul")))?.envelope.report.agency).toBe("坏\uFFFD机关");
  });
});

describe("PgStore ingest records, artifacts and failures", () => {
  it("says firstTime once and keeps every source", async () => {
    const s = sha("bytes");
    expect(await store.getIngest(s)).toBeNull();
    expect(await store.recordIngest(s, source("a.pdf"))).toEqual({ firstTime: true });
    expect(await store.recordIngest(s, source("a.pdf", "v2"))).toEqual({ firstTime: false });
    expect(await store.recordIngest(s, source("a.pdf"))).toEqual({ firstTime: false });
    const rec = await store.getIngest(s);
    expect(rec?.sources).toEqual([source("a.pdf"), source("a.pdf", "v2")]);
    expect(Number.isNaN(Date.parse(rec?.firstSeen ?? ""))).toBe(false);
  });

  it("gives firstTime true to exactly one of concurrent recorders", async () => {
    const other = new PgStore(url);
    try {
      const s = sha("race");
      const outcomes = await Promise.all([
        store.recordIngest(s, source("x.pdf")),
        other.recordIngest(s, source("y.pdf")),
        other.recordIngest(s, source("z.pdf")),
      ]);
      expect(outcomes.filter((o) => o.firstTime)).toHaveLength(1);
      expect((await store.getIngest(s))?.sources).toHaveLength(3);
    } finally {
      await other.close();
    }
  });

  it("round-trips artifacts, replaces them and keeps odd keys apart", async () => {
    expect(await store.getArtifact("extract/none")).toBeNull();
    await store.putArtifact(`extract/${sha("a")}`, '{"blocks":[]}');
    await store.putArtifact(`extract/${sha("a")}`, '{"blocks":[1]}');
    expect(await store.getArtifact(`extract/${sha("a")}`)).toBe('{"blocks":[1]}');
    const keys = ["../../etc/passwd", "a\u0000b", "a%00b", "k".repeat(500)];
    for (const k of keys) await store.putArtifact(k, JSON.stringify({ k }));
    for (const k of keys) expect(await store.getArtifact(k)).toBe(JSON.stringify({ k }));
  });

  it("lists failures newest first", async () => {
    const f = (i: number) => ({ sha256: sha(`f${i}`), source: i === 1 ? null : source(`f${i}.pdf`), code: "corrupt", message: `bad ${i}`, at: new Date(Date.UTC(2024, 0, i)).toISOString() });
    for (const i of [1, 2, 3]) await store.recordFailure(f(i));
    expect(await store.listFailures(2)).toEqual([f(3), f(2)]);
    expect(await store.listFailures(10)).toEqual([f(3), f(2), f(1)]);
  });
});

describe("PgStore rule R6 (cross-year)", () => {
  const forward2021 = row7({ naturalPerson: 3, total: 3 });
  const over2022 = row7({ naturalPerson: 2, total: 2 });

  it("warns per column when 2021 carriedForward ≠ 2022 carriedOver: 2021 first", async () => {
    const AG = "R6甲区人民政府";
    const y2021 = envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), "pg-r6-2021");
    const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), "pg-r6-2022");
    expect((await store.putResult(y2021, null)).crossYear).toEqual([]);
    const { crossYear } = await store.putResult(y2022, null);
    expect(crossYear.map((f) => [f.path, f.expected, f.actual])).toEqual([
      ["applications.carriedOver.naturalPerson", 3, 2],
      ["applications.carriedOver.total", 3, 2],
    ]);
    expect(crossYear[0]?.message).toContain("2021 carriedForward (3) ≠ 2022 carriedOver (2) in column 自然人");
    expect((await store.getResult(y2022.source.sha256))?.crossYear).toEqual(crossYear);
    expect(await count("SELECT count(*) AS n FROM findings WHERE sha256 = $1 AND origin = 'cross-year'", [y2022.source.sha256])).toBe(2);
  });

  it("warns when 2022 arrives first, and clears when a newer 2021 agrees", async () => {
    const AG = "R6乙区人民政府";
    const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), "pg-r6b-2022");
    expect((await store.putResult(y2022, null)).crossYear).toEqual([]);
    await store.putResult(envelope(yearReport(` R6乙区 人民政府`, 2021, { carriedForward: forward2021 }), "pg-r6b-2021"), null);
    expect((await store.getResult(y2022.source.sha256))?.crossYear.map((f) => f.path)).toEqual([
      "applications.carriedOver.naturalPerson",
      "applications.carriedOver.total",
    ]);
    expect(await count("SELECT count(*) AS n FROM findings WHERE sha256 = $1 AND origin = 'cross-year'", [y2022.source.sha256])).toBe(2);

    await store.putResult(envelope(yearReport(AG, 2021, { carriedForward: over2022 }), "pg-r6b-2021", "0.2.0"), null);
    expect((await store.getResult(y2022.source.sha256))?.crossYear).toEqual([]);
    expect(await count("SELECT count(*) AS n FROM findings WHERE sha256 = $1 AND origin = 'cross-year'", [y2022.source.sha256])).toBe(0);
  });

  it("is silent when the years agree, in either order", async () => {
    const AG = "R6丙区人民政府";
    const b = envelope(yearReport(AG, 2022, { carriedOver: forward2021 }), "pg-eq-2022");
    expect((await store.putResult(b, null)).crossYear).toEqual([]);
    expect((await store.putResult(envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), "pg-eq-2021"), null)).crossYear).toEqual([]);
    expect((await store.getResult(b.source.sha256))?.crossYear).toEqual([]);
  });

  it("gives one warning naming the null cells", async () => {
    const AG = "R6丁区人民政府";
    await store.putResult(envelope(yearReport(AG, 2021, { carriedForward: row7({ other: null }) }), "pg-null-2021"), null);
    const { crossYear } = await store.putResult(envelope(yearReport(AG, 2022, { carriedOver: row7({ naturalPerson: null }) }), "pg-null-2022"), null);
    expect(crossYear).toHaveLength(1);
    expect(crossYear[0]?.message).toMatch(/2022 applications\.carriedOver\.naturalPerson, 2021 applications\.carriedForward\.other are null/);
  });

  it("finds the disagreement when both years are stored at the same time", async () => {
    for (let i = 0; i < 5; i++) {
      const AG = `R6并发${i}区人民政府`;
      const y2021 = envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), `pg-conc-2021-${i}`);
      const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), `pg-conc-2022-${i}`);
      const other = new PgStore(url);
      try {
        await Promise.all([store.putResult(y2021, null), other.putResult(y2022, null)]);
      } finally {
        await other.close();
      }
      expect((await store.getResult(y2022.source.sha256))?.crossYear).toHaveLength(2);
    }
  });
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
