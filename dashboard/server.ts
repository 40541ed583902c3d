/**
 * The dashboard: one web entry point for operators (bull-board under /queues, /metrics) and
 * auditors (the results pages). createDashboard() builds the express app and what it holds
 * (the stage queues and their metrics source from queues/, the metrics' event listeners);
 * startDashboard() checks the binding, listens, and gives back a close(). It never talks to
 * BullMQ or Redis itself: queues/ does (StageQueues, StageMetricsSource).
 *
 * Routes (all behind authentication but /healthz and /readyz):
 *   GET /healthz                     the process is up
 *   GET /readyz                      Redis and the store answer (503 otherwise)
 *   GET /metrics                     Prometheus text format
 *   /queues/…                        bull-board (mutations: CSRF same-origin check, refused when read-only,
 *                                    the default, and otherwise refused without the admin credential)
 *   GET /                            overview per year, and the charts
 *   GET /search?q=&year=&status=&format=
 *   GET /reports/:sha256             one document, its tables in the official layout
 *   GET /reports/:sha256/json        the stored result as JSON
 *   GET /reports/:sha256/source      the original, read from the upload bucket
 *   GET /coverage?year=              agencies that reported the year before but not this year
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Express, type Request, type Response } from "express";
import type { Logger } from "pino";
import { openBucket } from "../src/bucket/index.js";
import type { UploadBucket } from "../src/bucket/types.js";
import type { Config } from "../src/config.js";
import { sha256 } from "../src/process.js";
import type { FailureLog, IngestLedger, ResultStore, SourceRef, StoreLifecycle, StoredReport } from "../src/store/types.js";
import { queueBoard } from "../queues/board.js";
import { StageQueues } from "../queues/connection.js";
import { StageMetricsSource } from "../queues/metrics-source.js";
import { authenticate, checkBinding, DashboardStartError, hasAdmin, hasCredentials, type Credentials } from "./auth.js";
import { PipelineMetrics } from "./metrics.js";
import { ResultsIndex } from "./results.js";
import { withTimeout } from "./timeout.js";
import { csrfGuard, errorHandler, HttpError, notFound, readOnlyGuard, securityHeaders } from "./security.js";
import { coveragePage, defaultCoverageYear } from "./views/coverage.js";
import { STYLE } from "./views/layout.js";
import { overviewPage } from "./views/overview.js";
import { reportPage } from "./views/report.js";
import { searchPage } from "./views/search.js";

export { DashboardStartError } from "./auth.js";

/**
 * The parts of the output store the dashboard reads: results and failures (the pages), the
 * ingest records (a document's sources), and whether it answers (/readyz).
 */
export type DashboardStore = Pick<StoreLifecycle, "probe"> & ResultStore & IngestLedger & FailureLog;

export interface DashboardOptions {
  config: Config;
  store: DashboardStore;
  log: Logger;
  /** How long a snapshot of the store is reused by the pages and /metrics. Default 5 s. */
  cacheMs?: number;
}

export interface Dashboard {
  app: Express;
  metrics: PipelineMetrics;
  /** Resolves once the metrics listen to the queues' events. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const SHA256 = /^[0-9a-f]{64}$/;
const PROBE_TIMEOUT_MS = 2000;

export const credentialsOf = (config: Config): Credentials => ({
  user: config.DASHBOARD_USER,
  password: config.DASHBOARD_PASSWORD,
  token: config.DASHBOARD_TOKEN,
  admin: { user: config.DASHBOARD_ADMIN_USER, password: config.DASHBOARD_ADMIN_PASSWORD, token: config.DASHBOARD_ADMIN_TOKEN },
});

/** A query parameter as one trimmed string ("" when absent), bounded in length. */
function param(req: Request, name: string): string {
  const v = req.query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === "string" ? s.trim().slice(0, 200) : "";
}

function shaParam(req: Request): string {
  const sha = String(req.params["sha"] ?? "");
  if (!SHA256.test(sha)) throw new HttpError(404, "not found");
  return sha;
}

/** Whether a source URI lies under the bucket's root (the bucket itself checks again when reading). */
function underRoot(root: string, uri: string): boolean {
  const base = root.endsWith("/") ? root : `${root}/`;
  return uri.startsWith(base) && !uri.slice(base.length).split("/").includes("..");
}

/** `attachment; filename="…"` for any file name: an ASCII fallback plus the UTF-8 form. */
function disposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function createDashboard(opts: DashboardOptions): Dashboard {
  const { config, store, log } = opts;
  const readOnly = config.DASHBOARD_READONLY;
  // Errors are answered by /readyz and redis_up; without a listener they would be printed.
  const stageQueues = new StageQueues(config, "producer", (e: Error) => log.debug({ err: e.message }, "dashboard: redis connection error"));
  const source = new StageMetricsSource(stageQueues, config);
  const results = new ResultsIndex(store, opts.cacheMs ?? 5000);
  const metrics = new PipelineMetrics({ source, results, log });
  // Waits (a bounded time) for Redis, so the first commands are not refused.
  const ready = source.settle(PROBE_TIMEOUT_MS).then(() => metrics.start());

  let bucket: UploadBucket | null = null;
  const inbox = () => (bucket ??= openBucket(config.INBOX, { maxBytes: config.MAX_FILE_BYTES }));

  const app = express();
  app.disable("x-powered-by");
  app.use(securityHeaders());

  // ---------------------------------------------------------------- open: health probes
  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });
  app.get("/readyz", async (_req, res) => {
    const check = async (p: () => Promise<unknown>) => {
      try {
        await withTimeout(p(), PROBE_TIMEOUT_MS, "probe");
        return "ok";
      } catch {
        return "unreachable";
      }
    };
    // Redis must answer and take writes: a full one (maxmemory, noeviction) answers PING but
    // refuses every write, and uploads would wait unseen.
    const redisCheck = async () => {
      try {
        const h = await withTimeout(source.health(), PROBE_TIMEOUT_MS, "probe");
        // (memory figures are in /metrics, behind the login)
        return h.writable ? { redis: "ok" } : { redis: "refuses writes", redisError: h.writeError };
      } catch {
        return { redis: "unreachable" };
      }
    };
    const [redis, storeState] = await Promise.all([redisCheck(), check(() => store.probe())]);
    const ok = redis.redis === "ok" && storeState === "ok";
    res.status(ok ? 200 : 503).json({ status: ok ? "ready" : "not ready", ...redis, store: storeState });
  });

  // ---------------------------------------------------------------- everything else: authenticated
  app.use(authenticate(credentialsOf(config)));
  app.use(csrfGuard());

  app.get("/assets/style.css", (_req, res) => {
    res.type("text/css").set("Cache-Control", "private, max-age=300").send(STYLE);
  });

  app.get("/metrics", async (_req, res) => {
    const { contentType, body } = await metrics.render();
    res.type(contentType).send(body);
  });

  const board = queueBoard(stageQueues, { basePath: "/queues", readOnly, prefix: config.QUEUE_PREFIX });
  app.use("/queues", readOnlyGuard(readOnly), board);

  // ---------------------------------------------------------------- results pages
  const send = (res: Response, page: string) => res.type("html").send(page);

  app.get("/", async (_req, res) => {
    send(res, overviewPage(await results.snapshot(), readOnly));
  });

  app.get("/search", async (req, res) => {
    const query = { q: param(req, "q"), year: param(req, "year"), status: param(req, "status"), format: param(req, "format") };
    send(res, searchPage(await results.snapshot(), query, readOnly));
  });

  app.get("/coverage", async (req, res) => {
    const snap = await results.snapshot();
    const asked = Number(param(req, "year"));
    const year = Number.isInteger(asked) && asked > 0 ? asked : defaultCoverageYear(snap);
    send(res, coveragePage(snap, year, readOnly));
  });

  const getStored = async (sha: string): Promise<StoredReport> => {
    const stored = await store.getResult(sha);
    if (!stored) throw new HttpError(404, "no stored result for this document");
    return stored;
  };
  /** The sources recorded for a document: the one it was stored from, then every one it was seen under. */
  const sourcesOf = async (sha: string, stored: StoredReport): Promise<SourceRef[]> => {
    const ingest = await store.getIngest(sha);
    return [stored.source, ...(ingest?.sources ?? [])].filter((s): s is SourceRef => s !== null);
  };

  app.get("/reports/:sha", async (req, res) => {
    const sha = shaParam(req);
    const stored = await getStored(sha);
    const sources = await sourcesOf(sha, stored);
    send(res, reportPage({ stored, sourceAvailable: sources.some((s) => underRoot(inbox().root, s.uri)), readOnly }));
  });

  app.get("/reports/:sha/json", async (req, res) => {
    const sha = shaParam(req);
    const stored = await getStored(sha);
    res.type("application/json").set("Content-Disposition", disposition("inline", `${sha.slice(0, 12)}.json`)).send(`${JSON.stringify(stored, null, 2)}\n`);
  });

  // Only sources the store recorded for this document, only from the upload bucket, and only
  // bytes that still hash to the document: the request names nothing but the sha256.
  app.get("/reports/:sha/source", async (req, res) => {
    const sha = shaParam(req);
    const stored = await getStored(sha);
    const candidates = (await sourcesOf(sha, stored)).filter((s) => underRoot(inbox().root, s.uri));
    for (const source of candidates) {
      let bytes: Buffer;
      try {
        bytes = await inbox().read(source);
      } catch (e) {
        log.debug({ uri: source.uri, err: (e as Error).message }, "dashboard: original not readable");
        continue;
      }
      if (sha256(bytes) !== sha) continue; // replaced since: not this document any more
      const name = source.key.split("/").pop() || `${sha.slice(0, 12)}`;
      const mediaType = stored.envelope.source.mediaType;
      // Only a PDF is shown in the browser; anything else (HTML above all: it would run on this
      // origin) is a download, in a sandbox should a browser render it anyway.
      const inline = mediaType === "application/pdf";
      res.set({
        "Content-Type": inline ? mediaType : "application/octet-stream",
        "Content-Disposition": disposition(inline ? "inline" : "attachment", name),
        "Content-Security-Policy": "sandbox; default-src 'none'",
      });
      // the browser's PDF viewer does not run under a sandbox CSP; a PDF (nosniff) is no page of ours
      if (inline) res.removeHeader("Content-Security-Policy");
      res.send(bytes);
      return;
    }
    throw new HttpError(404, "the original is not available from the upload bucket");
  });

  app.use(notFound());
  app.use(errorHandler(log));

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await ready.catch(() => undefined);
      await metrics.close();
      // bounded: a Queue may wait for its connection before closing
      await withTimeout(stageQueues.close(), PROBE_TIMEOUT_MS).catch(() => stageQueues.disconnect());
      await bucket?.close();
    })());
  return { app, metrics, ready, close };
}

/** Listens on host:port (0: any free port); rejects on EADDRINUSE and the like. */
export function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(app);
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

export interface RunningDashboard {
  url: string;
  port: number;
  dashboard: Dashboard;
  close(): Promise<void>;
}

/**
 * Starts the dashboard on DASHBOARD_HOST:DASHBOARD_PORT. Refuses (DashboardStartError, saying
 * why) a non-loopback address without credentials, half a basic-auth pair, or a busy port.
 */
export async function startDashboard(config: Config, deps: { store: DashboardStore; log: Logger; cacheMs?: number }): Promise<RunningDashboard> {
  const host = config.DASHBOARD_HOST;
  const port = config.DASHBOARD_PORT;
  if (port === "off") throw new DashboardStartError("dashboard: DASHBOARD_PORT is off");
  const creds = credentialsOf(config);
  checkBinding(host, port, creds);
  if (!config.DASHBOARD_READONLY && !hasAdmin(creds)) {
    throw new DashboardStartError(
      "dashboard: DASHBOARD_READONLY=false needs an admin credential (DASHBOARD_ADMIN_USER and DASHBOARD_ADMIN_PASSWORD, or DASHBOARD_ADMIN_TOKEN): only it may change jobs",
    );
  }
  const dashboard = createDashboard({ config, ...deps });
  await dashboard.ready;
  let server: Server;
  try {
    server = await listen(dashboard.app, host, port);
  } catch (e) {
    await dashboard.close();
    throw new DashboardStartError(`dashboard: cannot listen on ${host}:${port}: ${(e as Error).message}`, 1);
  }
  const actual = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actual}/`;
  const auth = [creds.user && creds.password ? "basic" : null, creds.token ? "bearer" : null].filter(Boolean);
  deps.log.info({ url, auth: auth.length ? auth : "none", readOnly: config.DASHBOARD_READONLY }, "dashboard listening");
  if (!hasCredentials(creds)) deps.log.warn({ url }, "dashboard: no credentials set; it answers every local user of this machine");
  return {
    url,
    port: actual,
    dashboard,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await dashboard.close();
    },
  };
}
