/**
 * The pipeline commands: worker, watch, enqueue, status, start. Adapters around queues/ and
 * workers/; the configuration comes from the environment (src/config.ts).
 */
import { mkdirSync } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Logger } from "pino";
import { LocalInbox, openBucket } from "../src/bucket/index.js";
import type { Config } from "../src/config.js";
import { exitStatus, parseFailedReason } from "../src/failures.js";
import { withStore } from "../src/store/index.js";
import type { FailureLog, IngestLedger } from "../src/store/types.js";
import { StageQueues } from "../queues/connection.js";
import { STAGES } from "../queues/names.js";
import { Producer } from "../queues/producer.js";
import { redisHealth, redisHealthLine } from "../queues/redis-health.js";
import { QueueUnavailableError } from "../queues/unavailable.js";
import { Watcher } from "../queues/watcher.js";
import { createLogger } from "../workers/log.js";
import { startWorkers } from "../workers/runner.js";
import { printable } from "./printable.js";
import { parseCommandArgs } from "./usage.js";

/** Resolves once SIGINT or SIGTERM arrives. A second signal exits at once. */
function untilSignal(log: Logger): Promise<string> {
  return new Promise((resolveSignal) => {
    let seen = false;
    const on = (sig: string) => {
      if (seen) {
        log.warn({ signal: sig }, "second signal: exiting now");
        process.exit(130);
      }
      seen = true;
      resolveSignal(sig);
    };
    process.on("SIGINT", () => on("SIGINT"));
    process.on("SIGTERM", () => on("SIGTERM"));
  });
}

export async function workerCommand(config: Config, args: string[]): Promise<number> {
  parseCommandArgs("worker", args, {});
  const log = createLogger(config.LOG_LEVEL);
  // Listen before starting anything: a signal during start-up then stops cleanly too.
  const signal = untilSignal(log);
  // Redis must answer at start-up (exit 10 otherwise); once running, the workers ride out outages.
  await queueReachable(config);
  return withStore(config, async (store) => {
    const running = startWorkers(config, store, log);
    const sig = await signal;
    log.info({ signal: sig }, "stopping");
    // Whatever the state of Redis: stopped within SHUTDOWN_TIMEOUT_MS and a little more.
    setTimeout(() => {
      log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, "shutdown did not finish in time: exiting");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 5000).unref();
    await running.close();
    return 0;
  });
}

/** Throws QueueUnavailableError unless Redis answers within QUEUE_CONNECT_TIMEOUT_MS. */
async function queueReachable(config: Config): Promise<void> {
  const probe = new StageQueues(config, "producer", () => undefined);
  try {
    await probe.ready(config.QUEUE_CONNECT_TIMEOUT_MS);
  } finally {
    await probe.close();
  }
}

function watcherFor(config: Config, store: IngestLedger & FailureLog, queues: StageQueues, root: string, log: Logger): Watcher {
  // The default local inbox is created on first use.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(root) || root.startsWith("file:")) mkdirSync(root.startsWith("file:") ? fileURLToPath(root) : root, { recursive: true });
  // No maxBytes on the bucket: the watcher checks each object's listed size against
  // MAX_FILE_BYTES itself and records one `too-large` failure for it, never reading it.
  const bucket = openBucket(root, { stableChecks: config.STABLE_CHECKS, incompleteGraceMs: config.INCOMPLETE_GRACE_MS });
  const producer = new Producer(queues, store, bucket.root, config.QUEUE_PREFIX);
  return new Watcher(bucket, producer, log.child({ component: "watcher" }), config.POLL_INTERVAL_MS, { maxBytes: config.MAX_FILE_BYTES });
}

export async function watchCommand(config: Config, args: string[]): Promise<number> {
  const root = parseCommandArgs("watch", args, {}, { min: 0, max: 1 }).positionals[0] ?? config.INBOX;
  const log = createLogger(config.LOG_LEVEL);
  const signal = untilSignal(log);
  return withStore(config, async (store) => {
    const queues = new StageQueues(config, "producer", (e) => log.warn({ err: e.message }, "redis unavailable; retrying"));
    const watcher = watcherFor(config, store, queues, root, log);
    log.info({ inbox: root, intervalMs: config.POLL_INTERVAL_MS }, "watching");
    watcher.start();
    await signal;
    await watcher.stop();
    await queues.close();
    log.info(watcher.stats, "watcher stopped");
    return 0;
  });
}

/** `npm start`: the workers, the watcher and (unless DASHBOARD_PORT=off) the dashboard in one process. */
export async function startCommand(config: Config, args: string[]): Promise<number> {
  const root = parseCommandArgs("start", args, {}, { min: 0, max: 1 }).positionals[0] ?? config.INBOX;
  const log = createLogger(config.LOG_LEVEL);
  const signal = untilSignal(log);
  return withStore(config, async (store) => {
    // The dashboard first: when it refuses its configuration (saying why), nothing has started.
    let dashboard: { close(): Promise<void> } | null = null;
    if (config.DASHBOARD_PORT !== "off") {
      const { startDashboard, DashboardStartError } = await import("../dashboard/server.js");
      try {
        // The dashboard serves the originals ("original file") from the bucket being watched.
        dashboard = await startDashboard({ ...config, INBOX: root }, { store, log });
      } catch (e) {
        if (!(e instanceof DashboardStartError)) throw e;
        process.stderr.write(`nianbao: ${e.message}\n`);
        return e.exitCode;
      }
    }
    const queues = new StageQueues(config, "producer", (e) => log.warn({ err: e.message }, "redis unavailable; retrying"));
    const running = startWorkers(config, store, log, { roots: [root] });
    const watcher = watcherFor(config, store, queues, root, log);
    log.info({ inbox: root, store: config.STORE_URL }, "nianbao started");
    watcher.start();
    await signal;
    await watcher.stop();
    await running.close();
    await queues.close();
    await dashboard?.close();
    return 0;
  });
}

export async function enqueueCommand(config: Config, args: string[]): Promise<number> {
  const files = parseCommandArgs("enqueue", args, {}, { min: 1, max: Infinity }).positionals;
  return withStore(config, async (store) => {
    const queues = new StageQueues(config, "producer", () => undefined);
    let failed = 0;
    try {
      await queues.ready(config.QUEUE_CONNECT_TIMEOUT_MS);
      for (const file of files) {
        const path = resolve(file);
        // The file's folder is its bucket: the worker reads it from there, with the same checks.
        const folder = new LocalInbox(dirname(path));
        try {
          const st = await stat(path);
          const object = { uri: pathToFileURL(path).href, key: basename(path), size: st.size, mtime: st.mtime.toISOString() };
          const producer = new Producer(queues, store, folder.root, config.QUEUE_PREFIX);
          const out = await producer.enqueue(object, await folder.hash(object));
          process.stdout.write(`${out.status}\t${out.documentId}\t${printable(file)}\n`);
        } catch (e) {
          // Redis down or full: every file would fail the same way (exit 10, "queue unavailable").
          if (e instanceof QueueUnavailableError) throw e;
          failed++;
          process.stderr.write(`nianbao: ${printable(file)}: ${printable((e as Error).message)}\n`);
        } finally {
          await folder.close();
        }
      }
    } finally {
      await queues.close();
    }
    return failed ? exitStatus("unreadable") : 0;
  });
}

export async function statusCommand(config: Config, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("status", args, { json: { type: "boolean" }, failures: { type: "string", default: "10" } });
  const limit = Math.max(0, Number(values.failures) || 10);
  const queues = new StageQueues(config, "producer", () => undefined);
  try {
    await queues.ready(config.QUEUE_CONNECT_TIMEOUT_MS);
    const counts = Object.fromEntries(
      await Promise.all(
        STAGES.map(async (s) => [s, await queues.queues[s].getJobCounts("waiting", "prioritized", "active", "delayed", "completed", "failed")] as const),
      ),
    );
    const failed = (
      await Promise.all(STAGES.map(async (s) => (await queues.queues[s].getFailed(0, limit - 1)).map((j) => ({ stage: s, job: j }))))
    )
      .flat()
      .sort((a, b) => (b.job.finishedOn ?? 0) - (a.job.finishedOn ?? 0))
      .slice(0, limit)
      .map(({ stage, job }) => ({
        stage,
        documentId: job.id,
        code: parseFailedReason(job.failedReason).code,
        reason: job.failedReason,
        file: (job.data as { source?: { key?: string } }).source?.key ?? null,
        at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      }));
    // A full Redis answers every read above and refuses every write: say so.
    const health = await redisHealth(queues.connection, config.QUEUE_PREFIX);
    const redisLine = redisHealthLine(health);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ queues: counts, failures: failed, redis: health }, null, 2)}\n`);
      return 0;
    }
    if (redisLine) process.stdout.write(`${redisLine}\n\n`);
    const cols = ["waiting", "prioritized", "active", "delayed", "completed", "failed"];
    process.stdout.write(`${"queue".padEnd(12)}${cols.map((c) => c.padStart(12)).join("")}\n`);
    for (const s of STAGES) process.stdout.write(`${s.padEnd(12)}${cols.map((c) => String(counts[s]?.[c] ?? 0).padStart(12)).join("")}\n`);
    process.stdout.write(failed.length ? `\nlast failures:\n` : `\nno failures\n`);
    // File names and reasons come from uploads: escaped, so a name cannot forge a line.
    for (const f of failed) {
      process.stdout.write(`  ${f.at ?? ""}  ${f.stage.padEnd(11)} ${f.code.padEnd(16)} ${printable(f.file ?? String(f.documentId))}  ${printable(f.reason ?? "")}\n`);
    }
    return 0;
  } finally {
    await queues.close();
  }
}
