/**
 * The dashboard (dashboard/server.ts) against the real Redis and a real file store, fed by a
 * real `nianbao worker` process:
 *
 * - authentication: 401 without or with wrong credentials on /queues, the results pages and
 *   /metrics; basic auth and the bearer token let in; /healthz and /readyz stay open;
 * - CSRF: bull-board's mutating calls need a same-origin Origin/Referer (or the bearer token);
 * - read-only mode: bull-board says read-only and its mutating calls are refused;
 * - no credentials off loopback: refused with a clear error (also from the CLI);
 * - /metrics parses as Prometheus text and its counters match the documents processed;
 * - /readyz is 503 when Redis is unreachable; errors reach the client without a stack;
 * - the results pages, the JSON and the original (only from the bucket, only recorded sources).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import type { Envelope, TableData } from "../src/model.js";
import { PIPELINE_VERSION, processBytes, sha256 } from "../src/process.js";
import { openStore } from "../src/store/index.js";
import type { OutputStore } from "../src/store/types.js";
import { StageQueues } from "../queues/connection.js";
import { Producer } from "../queues/producer.js";
import { createLogger } from "../workers/log.js";
import { escapeHtml, html } from "../dashboard/html.js";
import { officialTable, type ShownFinding } from "../dashboard/views/tables.js";
import { startDashboard, type RunningDashboard } from "../dashboard/server.js";
import { CORPUS } from "./support/corpus.js";
import { CLI, freePort, pipelineEnv, startCli, stop, uniquePrefix, waitFor, type Proc } from "./support/pipeline.js";
import { parsePrometheus, sampleValue } from "./support/prometheus.js";

const SYNTHETIC = join(CORPUS, "synthetic");
/** Invalid (s001, s003, s007), valid (s019), and a 2019-format report (s002). */
const FILES = ["s001.docx", "s003.pdf", "s007.txt", "s019.html", "s002.html"];
const USER = "auditor";
const PASSWORD = "pässword with spaces:and a colon";
const TOKEN = "t0ken-for-prometheus";
const log = createLogger("silent");

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** An HTTP request with full control of the headers (Host and Origin included). */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? "GET", headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8") });
      });
    });
    req.on("error", reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}` });
const AUTH = basic(USER, PASSWORD);
const ADMIN_TOKEN = "adm1n-t0ken";
/** The admin credential: the only one that may change jobs (DASHBOARD_READONLY=false). */
const ADMIN = basic("boss", "adm1n-passw0rd");
/** No credentials at all (and so read-only: changes need the admin credential). */
const NO_CREDENTIALS = {
  DASHBOARD_USER: "",
  DASHBOARD_PASSWORD: "",
  DASHBOARD_TOKEN: "",
  DASHBOARD_ADMIN_USER: "",
  DASHBOARD_ADMIN_PASSWORD: "",
  DASHBOARD_ADMIN_TOKEN: "",
  DASHBOARD_READONLY: "true",
};

describe("html escaping", () => {
  it("escapes every interpolated string, keeps SafeHtml, joins arrays", () => {
    expect(escapeHtml(`<script>"a" & 'b'</script>\``)).toBe("&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;&#96;");
    const evil = `"><img src=x onerror=alert(1)>`;
    expect(html`<td title="${evil}">${evil}</td>`.value).toBe(
      "<td title=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td>",
    );
    expect(html`<ul>${["<a>", "b"].map((s) => html`<li>${s}</li>`)}</ul>`.value).toBe("<ul><li>&lt;a&gt;</li><li>b</li></ul>");
    expect(html`${null}${undefined}${false}${0}`.value).toBe("0");
  });
});

describe("official tables", () => {
  it("marks a cell, a whole row (T2/T3) and a group of rows, and nothing else", async () => {
    const env = await processBytes(readFileSync(join(SYNTHETIC, "s019.html")), { fileName: "s019.html" });
    const findings: ShownFinding[] = [
      { rule: "R1", severity: "error", path: "applications.totalProcessed.naturalPerson", message: "cell", n: 1, table: "applications" },
      { rule: "T2", severity: "error", path: "applications.withheld.stateSecret", message: "row <b>", n: 2, table: "applications" },
      { rule: "T5", severity: "warning", path: "applications.otherHandling", message: "group", n: 3, table: "applications" },
    ];
    const out = officialTable("2021", "applications", env.report.applications as TableData, findings).value;
    const marked = (cls: string) => [...out.matchAll(new RegExp(`class="[^"]*${cls}[^"]*" data-path="([^"]+)"`, "g"))].map((m) => m[1]).sort();
    const cols = ["naturalPerson", "commercialEnterprise", "researchInstitution", "socialWelfareOrganization", "legalServiceAgency", "other", "total"];
    expect(marked("bad-error")).toEqual(
      ["applications.totalProcessed.naturalPerson", "applications.withheld.stateSecret", ...cols.map((c) => `applications.withheld.stateSecret.${c}`)].sort(),
    );
    const group = ["overdueCorrection", "overdueFee", "other"];
    expect(marked("bad-warning")).toEqual(
      ["applications.otherHandling", ...group.map((r) => `applications.otherHandling.${r}`), ...group.flatMap((r) => cols.map((c) => `applications.otherHandling.${r}.${c}`))].sort(),
    );
    // the finding's text goes into a title attribute, escaped
    expect(out).toContain('title="2. T2: row &lt;b&gt;"');
    // 25 rows of the 2021 format, under the merged header of the template
    expect(out.match(/<tr>/g)?.length).toBe(3 + 25);
  });
});

describe.sequential("dashboard", () => {
  const prefix = uniquePrefix("d");
  const root = mkdtempSync(join(tmpdir(), "nianbao-dashboard-"));
  const inbox = join(root, "inbox");
  const storeUrl = join(root, "out");
  const env = pipelineEnv(prefix, storeUrl, {
    INBOX: inbox,
    DASHBOARD_HOST: "127.0.0.1",
    DASHBOARD_PORT: "0",
    DASHBOARD_USER: USER,
    DASHBOARD_PASSWORD: PASSWORD,
    DASHBOARD_TOKEN: TOKEN,
    DASHBOARD_READONLY: "false",
    DASHBOARD_ADMIN_USER: "boss",
    DASHBOARD_ADMIN_PASSWORD: "adm1n-passw0rd",
    DASHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
  });
  let store: OutputStore;
  let queues: StageQueues;
  let dash: RunningDashboard;
  let worker: Proc;
  const others: RunningDashboard[] = [];
  const expected = new Map<string, { envelope: Envelope; bytes: number; file: string }>();
  const corrupt = readFileSync(join(SYNTHETIC, "s011.pdf")).subarray(0, 3000);
  let base = "";

  beforeAll(async () => {
    store = openStore(storeUrl);
    await store.init();
    // the dashboard first: its counters count what finishes after it started
    dash = await startDashboard(loadConfig(env), { store, log, cacheMs: 0 });
    base = dash.url.replace(/\/$/, "");
    worker = startCli(`${prefix}-worker`, ["worker"], env);
    queues = new StageQueues(loadConfig(env), "producer");
    mkdirSync(join(inbox, "2023"), { recursive: true });
    const producer = new Producer(queues, store, pathToFileURL(inbox).href, prefix);
    const drop = async (key: string, bytes: Buffer) => {
      const path = join(inbox, ...key.split("/"));
      writeFileSync(path, bytes);
      await producer.enqueue({ uri: pathToFileURL(path).href, key, size: bytes.length }, sha256(bytes));
    };
    for (const f of FILES) {
      const bytes = readFileSync(join(SYNTHETIC, f));
      expected.set(sha256(bytes), { envelope: await processBytes(bytes, { fileName: f }), bytes: bytes.length, file: f });
      await drop(f, bytes);
    }
    await drop("2023/truncated.pdf", corrupt);
  }, 60_000);

  afterAll(async () => {
    if (worker) await stop(worker);
    for (const d of others) await d.close();
    await dash?.close();
    if (queues) {
      for (const q of Object.values(queues.queues)) await q.obliterate({ force: true }).catch(() => undefined);
      await queues.close();
    }
    await store?.close();
  }, 60_000);

  it("keeps /healthz and /readyz open, and says it is ready", async () => {
    const health = await request(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await request(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: "ready", redis: "ok", store: "ok" });
  });

  it("answers 401 without credentials or with wrong ones, 200 with the right ones", async () => {
    const paths = ["/", "/queues", "/queues/api/queues", "/search?q=x", "/coverage", "/metrics", `/reports/${"a".repeat(64)}`, "/assets/style.css"];
    for (const p of paths) {
      const none = await request(`${base}${p}`);
      expect(none.status, p).toBe(401);
      expect(String(none.headers["www-authenticate"]), p).toContain("Basic");
      expect((await request(`${base}${p}`, { headers: basic(USER, "wrong") })).status, p).toBe(401);
      expect((await request(`${base}${p}`, { headers: basic("someone", PASSWORD) })).status, p).toBe(401);
      expect((await request(`${base}${p}`, { headers: { Authorization: "Bearer wrong" } })).status, p).toBe(401);
      expect((await request(`${base}${p}`, { headers: { Authorization: "Basic !!!" } })).status, p).toBe(401);
      // the right token followed by anything is not the token
      expect((await request(`${base}${p}`, { headers: { Authorization: `Bearer ${TOKEN} junk` } })).status, p).toBe(401);
      expect((await request(`${base}${p}`, { headers: { Authorization: `Bearer ${TOKEN},x` } })).status, p).toBe(401);
    }
    for (const p of ["/", "/queues", "/search?q=x", "/coverage", "/metrics", "/assets/style.css"]) {
      expect((await request(`${base}${p}`, { headers: AUTH })).status, p).toBe(200);
      expect((await request(`${base}${p}`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, p).toBe(200);
    }
    const board = await request(`${base}/queues/api/queues`, { headers: AUTH });
    expect(board.status).toBe(200);
    const names = (JSON.parse(board.text) as { queues: { name: string; readOnlyMode: boolean }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(["extract", "reconstruct", "store"]);
  });

  it("sets the security headers", async () => {
    const r = await request(`${base}/`, { headers: AUTH });
    expect(r.headers["content-security-policy"]).toMatch(/default-src 'self'/);
    expect(r.headers["content-security-policy"]).toMatch(/script-src 'none'/);
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.headers["x-frame-options"]).toBe("DENY");
    expect(r.headers["x-powered-by"]).toBeUndefined();
    const q = await request(`${base}/queues`, { headers: AUTH });
    expect(q.headers["content-security-policy"]).toMatch(/default-src 'self'/);
    expect(q.headers["x-powered-by"]).toBeUndefined();
  });

  it("refuses bull-board's mutating calls without a same-origin Origin or Referer (CSRF)", async () => {
    const pause = `${base}/queues/api/queues/reconstruct/pause`;
    const resume = `${base}/queues/api/queues/reconstruct/resume`;
    const json = { "Content-Type": "application/json" };
    expect((await request(pause, { method: "PUT", headers: { ...ADMIN, ...json }, body: "{}" })).status).toBe(403);
    expect((await request(pause, { method: "PUT", headers: { ...ADMIN, ...json, Origin: "http://evil.example" }, body: "{}" })).status).toBe(403);
    expect((await request(pause, { method: "PUT", headers: { ...ADMIN, ...json, Origin: "null" }, body: "{}" })).status).toBe(403);
    expect((await request(pause, { method: "PUT", headers: { ...ADMIN, ...json, Referer: "http://evil.example/x" }, body: "{}" })).status).toBe(403);
    expect((await request(pause, { method: "PUT", headers: { ...ADMIN, ...json, Origin: base, "Sec-Fetch-Site": "cross-site" }, body: "{}" })).status).toBe(403);
    // same origin, but the ordinary credential (basic or bearer): refused, only the admin one may change jobs
    const viewer = await request(pause, { method: "PUT", headers: { ...AUTH, ...json, Origin: base }, body: "{}" });
    expect([viewer.status, viewer.text]).toEqual([403, "a change needs the admin credential (DASHBOARD_ADMIN_USER and _PASSWORD, or DASHBOARD_ADMIN_TOKEN)\n"]);
    expect((await request(pause, { method: "PUT", headers: { Authorization: `Bearer ${TOKEN}`, ...json }, body: "{}" })).status).toBe(403);
    expect((await request(pause, { method: "PUT", headers: { Authorization: `Bearer ${ADMIN_TOKEN} junk`, ...json }, body: "{}" })).status).toBe(401);
    expect(await queues.queues.reconstruct.isPaused()).toBe(false);
    // same origin, admin: allowed
    const ok = await request(pause, { method: "PUT", headers: { ...ADMIN, ...json, Origin: base }, body: "{}" });
    expect(ok.status).toBe(200);
    expect(await queues.queues.reconstruct.isPaused()).toBe(true);
    // the bearer token (never sent by a browser on its own) needs no Origin
    expect((await request(resume, { method: "PUT", headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...json }, body: "{}" })).status).toBe(200);
    expect(await queues.queues.reconstruct.isPaused()).toBe(false);
  });

  it("hides and refuses the mutating actions in read-only mode", async () => {
    const ro = await startDashboard(loadConfig({ ...env, DASHBOARD_READONLY: "true" }), { store, log });
    others.push(ro);
    const url = ro.url.replace(/\/$/, "");
    const list = JSON.parse((await request(`${url}/queues/api/queues`, { headers: AUTH })).text) as { queues: { readOnlyMode: boolean; allowRetries: boolean }[] };
    expect(list.queues).toHaveLength(3);
    expect(list.queues.every((q) => q.readOnlyMode && !q.allowRetries)).toBe(true);
    const pause = await request(`${url}/queues/api/queues/store/pause`, { method: "PUT", headers: { ...AUTH, Origin: url, "Content-Type": "application/json" }, body: "{}" });
    expect(pause.status).toBe(403);
    expect(pause.text).toMatch(/read-only/);
    expect(await queues.queues.store.isPaused()).toBe(false);
    expect((await request(`${url}/`, { headers: AUTH })).text).toContain("read-only");
    // the ordinary dashboard is not read-only
    const rw = JSON.parse((await request(`${base}/queues/api/queues`, { headers: AUTH })).text) as { queues: { readOnlyMode: boolean }[] };
    expect(rw.queues.every((q) => !q.readOnlyMode)).toBe(true);
  });

  it("is read-only by default, and refuses to start writable without an admin credential", async () => {
    const plain = { ...env, DASHBOARD_READONLY: "", DASHBOARD_ADMIN_USER: "", DASHBOARD_ADMIN_PASSWORD: "", DASHBOARD_ADMIN_TOKEN: "" };
    const ro = await startDashboard(loadConfig(plain), { store, log });
    others.push(ro);
    const url = ro.url.replace(/\/$/, "");
    const list = JSON.parse((await request(`${url}/queues/api/queues`, { headers: AUTH })).text) as { queues: { readOnlyMode: boolean }[] };
    expect(list.queues.map((q) => q.readOnlyMode)).toEqual([true, true, true]);
    // bull-board's "add job" (how a forged job would get in): refused
    const add = await request(`${url}/queues/api/queues/extract/add`, {
      method: "POST",
      headers: { ...AUTH, Origin: url, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "forged", data: { bucket: "/" } }),
    });
    expect(add.status).toBe(403);
    const jobs = await queues.queues.extract.getJobs(["waiting", "prioritized", "delayed", "active", "completed", "failed"]);
    expect(jobs.filter((j) => j.name === "forged")).toEqual([]);
    await expect(startDashboard(loadConfig({ ...plain, DASHBOARD_READONLY: "false" }), { store, log })).rejects.toThrow(/DASHBOARD_READONLY=false needs an admin credential/);
    await expect(startDashboard(loadConfig({ ...plain, DASHBOARD_READONLY: "false", DASHBOARD_ADMIN_TOKEN: TOKEN }), { store, log })).rejects.toThrow(
      /admin credential must differ/,
    );
  });

  it("refuses to listen on 0.0.0.0 without credentials, and says why", async () => {
    const open = { ...env, DASHBOARD_HOST: "0.0.0.0", ...NO_CREDENTIALS };
    await expect(startDashboard(loadConfig(open), { store, log })).rejects.toThrow(/refusing to listen on 0\.0\.0\.0:0 without credentials.*DASHBOARD_USER and DASHBOARD_PASSWORD/);
    await expect(startDashboard(loadConfig({ ...open, DASHBOARD_USER: "x" }), { store, log })).rejects.toThrow(/DASHBOARD_PASSWORD is not/);
    // the command says so on stderr and exits 2 (and `start` does the same, before starting anything)
    for (const command of ["dashboard", "start"]) {
      const r = spawnSync(process.execPath, [CLI, command], { env: { ...process.env, ...open, LOG_LEVEL: "silent" }, encoding: "utf8", timeout: 30_000 });
      expect(r.status, command).toBe(2);
      expect(r.stderr, command).toMatch(/nianbao: dashboard: refusing to listen on 0\.0\.0\.0/);
    }
  });

  it("answers only loopback Host names when it has no credentials (DNS rebinding)", async () => {
    const open = await startDashboard(loadConfig({ ...env, ...NO_CREDENTIALS }), { store, log });
    others.push(open);
    const url = open.url.replace(/\/$/, "");
    expect((await request(`${url}/`)).status).toBe(200);
    expect((await request(`${url}/`, { headers: { Host: `localhost:${open.port}` } })).status).toBe(200);
    expect((await request(`${url}/`, { headers: { Host: `rebound.example:${open.port}` } })).status).toBe(403);
  });

  it("exposes Prometheus metrics whose counters match the documents processed", async () => {
    const shas = [...expected.keys()];
    await waitFor("every result", async () => (await Promise.all(shas.map((s) => store.hasResult(s, PIPELINE_VERSION)))).every(Boolean), 90_000);
    await waitFor("the failure", async () => (await store.listFailures(10)).length === 1, 30_000);
    const n = expected.size;
    const bytes = [...expected.values()].reduce((a, e) => a + e.bytes, 0);
    const pages = [...expected.values()].reduce((a, e) => a + (e.envelope.source.pages ?? 0), 0);
    const byStatusFormat = new Map<string, number>();
    for (const { envelope } of expected.values()) {
      const k = `${envelope.validation.status}/${envelope.report.format}`;
      byStatusFormat.set(k, (byStatusFormat.get(k) ?? 0) + 1);
    }
    const scrape = async () => {
      const r = await request(`${base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      expect(r.status).toBe(200);
      expect(r.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      return parsePrometheus(r.text);
    };
    // the counters follow the event streams: give the last events a moment
    await waitFor(
      "the counters to catch up",
      async () => {
        const m = await scrape();
        return sampleValue(m, "nianbao_job_duration_seconds_count", { stage: "extract", outcome: "completed" }) === n &&
          sampleValue(m, "nianbao_jobs_failed_total", { stage: "extract", reason: "corrupt" }) === 1
          ? m
          : null;
      },
      30_000,
    );
    // and then they stay put: nothing is counted twice
    await new Promise((r) => setTimeout(r, 1500));
    const m = await scrape();
    // A new document's extract job also reconstructs and stores it: the other stages stay at 0.
    for (const stage of ["extract", "reconstruct", "store"]) {
      const done = stage === "extract" ? n : 0;
      expect(sampleValue(m, "nianbao_jobs_completed_total", { stage }), stage).toBe(done);
      if (done) expect(sampleValue(m, "nianbao_job_duration_seconds_count", { stage, outcome: "completed" }), stage).toBe(done);
      expect(sampleValue(m, "nianbao_queue_jobs", { queue: stage, state: "completed" }), stage).toBe(done);
      expect(sampleValue(m, "nianbao_queue_jobs", { queue: stage, state: "active" }), stage).toBe(0);
    }
    expect(sampleValue(m, "nianbao_jobs_failed_total", { stage: "extract", reason: "corrupt" })).toBe(1);
    expect(sampleValue(m, "nianbao_job_duration_seconds_count", { stage: "extract", outcome: "failed" })).toBe(1);
    expect(sampleValue(m, "nianbao_queue_jobs", { queue: "extract", state: "failed" })).toBe(1);
    expect(sampleValue(m, "nianbao_extracted_bytes_total")).toBe(bytes);
    expect(sampleValue(m, "nianbao_extracted_pages_total")).toBe(pages);
    expect(sampleValue(m, "nianbao_redis_up")).toBe(1);
    expect(sampleValue(m, "nianbao_failed_documents", { reason: "corrupt" })).toBe(1);
    for (const [k, count] of byStatusFormat) {
      const [status = "", format = ""] = k.split("/");
      expect(sampleValue(m, "nianbao_documents", { status, format }), k).toBe(count);
      expect(sampleValue(m, "nianbao_stored_documents_total", { status, format }), k).toBe(count);
    }
    const total = (name: string) => m.get(name)?.samples.reduce((a, s) => a + s.value, 0);
    expect(total("nianbao_documents")).toBe(n);
    expect(total("nianbao_stored_documents_total")).toBe(n);
    expect(total("nianbao_extracted_documents_total")).toBe(n);
  }, 150_000);

  it("shows the overview, the search and the coverage", async () => {
    const overview = (await request(`${base}/`, { headers: AUTH })).text;
    expect(overview).toContain(`${expected.size} documents in the store, 1 failed`);
    // the failed file lies in a 2023/ folder: counted under 2023
    expect(overview).toMatch(/<tr data-year="2023">[\s\S]*?data-status="failed"><a href="\/search\?year=2023&amp;status=failed">1<\/a>/);
    expect(overview).toContain("<svg");
    const s001 = [...expected.values()].find((e) => e.file === "s001.docx")!.envelope;
    const search = (await request(`${base}/search?q=${encodeURIComponent("发展和改革")}`, { headers: AUTH })).text;
    expect(search).toContain(`/reports/${s001.source.sha256}`);
    expect(search).toContain(escapeHtml(s001.report.agency!));
    const failed = (await request(`${base}/search?status=failed`, { headers: AUTH })).text;
    expect(failed).toContain("2023/truncated.pdf");
    expect(failed).toContain("corrupt");
    // every 2022 reporter has no 2023 report but 枫川市松宁区 (s003, 2023)
    const cov = (await request(`${base}/coverage?year=2023`, { headers: AUTH })).text;
    const missing2022 = [...expected.values()].filter((e) => e.envelope.report.year === 2022).map((e) => e.envelope.report.agency!);
    expect(missing2022.length).toBeGreaterThan(0);
    for (const a of missing2022) expect(cov).toContain(escapeHtml(a));
  });

  it("renders a report's tables with the cells that break a rule marked", async () => {
    const s001 = [...expected.values()].find((e) => e.file === "s001.docx")!.envelope;
    const page = (await request(`${base}/reports/${s001.source.sha256}`, { headers: AUTH })).text;
    expect(page).toMatch(/<td[^>]*class="bad-error"[^>]*data-path="applications.totalProcessed.naturalPerson"/);
    expect(page).toContain('<th colspan="3" rowspan="3">');
    for (const f of s001.validation.findings) expect(page).toContain(escapeHtml(f.message));
    // JSON of the stored result
    const json = await request(`${base}/reports/${s001.source.sha256}/json`, { headers: AUTH });
    expect(json.headers["content-type"]).toMatch(/^application\/json/);
    expect((JSON.parse(json.text) as { envelope: Envelope }).envelope.source.sha256).toBe(s001.source.sha256);
  });

  it("serves the original from the bucket, only for a recorded source, never a path", async () => {
    const [sha, e] = [...expected.entries()].find(([, x]) => x.file === "s003.pdf")!;
    const r = await request(`${base}/reports/${sha}/source`, { headers: AUTH });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/pdf");
    expect(sha256(r.body)).toBe(sha);
    expect(r.body.length).toBe(e.bytes);
    const [htmlSha] = [...expected.entries()].find(([, x]) => x.file === "s019.html")!;
    const h = await request(`${base}/reports/${htmlSha}/source`, { headers: AUTH });
    // an HTML original would run on this origin: it is a download, in a sandbox
    expect(h.headers["content-type"]).toBe("application/octet-stream");
    expect(h.headers["content-disposition"]).toMatch(/^attachment;/);
    expect(h.headers["content-security-policy"]).toMatch(/sandbox/);
    for (const p of ["/reports/..%2F..%2Fetc%2Fpasswd/source", "/reports/../../etc/passwd", `/reports/${"0".repeat(64)}/source`, "/reports/%2e%2e/source"]) {
      const x = await request(`${base}${p}`, { headers: AUTH });
      expect(x.status, p).toBe(404);
      expect(x.text, p).not.toMatch(/root:|at .*\.js/);
    }
    // a file replaced after it was stored is not this document any more: not served
    copyFileSync(join(SYNTHETIC, "s009.pdf"), join(inbox, "s003.pdf"));
    expect((await request(`${base}/reports/${sha}/source`, { headers: AUTH })).status).toBe(404);
  });

  it("answers 503 on /readyz when Redis is unreachable, and hides errors' details", async () => {
    const port = await freePort(); // nothing listens there
    const broken: OutputStore = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === "listReports" || prop === "hasResult" || prop === "getResult")
          return () => {
            throw new Error("secret detail at /srv/internal/path.js:42");
          };
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const d = await startDashboard(loadConfig({ ...env, REDIS_URL: `redis://127.0.0.1:${port}` }), { store: broken, log });
    others.push(d);
    const url = d.url.replace(/\/$/, "");
    const ready = await request(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toEqual({ status: "not ready", redis: "unreachable", store: "unreachable" });
    expect((await request(`${url}/healthz`)).status).toBe(200);
    // /metrics still answers, and tells what is down
    const metrics = await request(`${url}/metrics`, { headers: AUTH });
    expect(metrics.status).toBe(200);
    const m = parsePrometheus(metrics.text);
    expect(sampleValue(m, "nianbao_redis_up")).toBe(0);
    expect(sampleValue(m, "nianbao_store_up")).toBe(0);
    const page = await request(`${url}/`, { headers: AUTH });
    expect(page.status).toBe(500);
    expect(page.text).toBe("internal error\n");
    const report = await request(`${url}/reports/${"b".repeat(64)}`, { headers: AUTH });
    expect(report.status).toBe(500);
    expect(report.text).not.toContain("secret");
  });
});
