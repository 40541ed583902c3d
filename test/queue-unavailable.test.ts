/**
 * Redis down, through the real CLI in child processes:
 * - `status`, `enqueue` and `worker` against a closed port give up within 15 s (the default
 *   QUEUE_CONNECT_TIMEOUT_MS is 10 s) with one line, `nianbao: queue unavailable: …`, and
 *   exit 10;
 * - a running worker whose Redis goes away stops on the first SIGTERM within
 *   SHUTDOWN_TIMEOUT_MS and a margin;
 * - so does a worker whose stdout pipe has been closed.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startRedis, stopProcess } from "./faults/support.js";
import { CLI } from "./support/pipeline.js";
import { runCli } from "./support/cli.js";

const SHUTDOWN_TIMEOUT_MS = 2000;
/**
 * The worker's own hard stop is SHUTDOWN_TIMEOUT_MS + 5 s after the signal (cli/pipeline.ts); the
 * rest is the time a loaded machine takes to deliver the signal and end the process (a run at
 * load 10 on two cores took 9.5 s in all).
 */
const MARGIN_MS = 10_000;
const dir = mkdtempSync(join(tmpdir(), "nianbao-queue-down-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a worker; its stdout stays a pipe we may close. */
function worker(redisUrl: string, name: string) {
  const child = spawn(process.execPath, [CLI, "worker"], {
    env: { ...process.env, REDIS_URL: redisUrl, QUEUE_PREFIX: `qdown${process.pid}`, SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), STORE_URL: join(dir, name), CONCURRENCY: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (out += s));
  const exited = new Promise<{ code: number | null; at: number }>((r) => child.on("exit", (code) => r({ code, at: Date.now() })));
  return { child, exited, output: () => out };
}

/** SIGTERM, then how long it took to exit (SIGKILL after 20 s so the test never hangs). */
async function terminate(p: { child: ChildProcess; exited: Promise<{ code: number | null; at: number }> }) {
  const t0 = Date.now();
  p.child.kill("SIGTERM");
  const kill = setTimeout(() => p.child.kill("SIGKILL"), 20_000);
  const { code, at } = await p.exited;
  clearTimeout(kill);
  return { code, ms: at - t0, killed: p.child.signalCode === "SIGKILL" };
}

// The cases wait on timeouts, not the CPU, and share nothing (each its own port, store and queue
// prefix): they run at the same time.
describe.concurrent("Redis unreachable at start", () => {
  it("status, enqueue and worker exit 10 within 15 s with one line", async () => {
    const port = await freePort(); // nothing listens there
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, STORE_URL: join(dir, "closed-port") };
    const started = Date.now();
    const runs = await Promise.all(
      [["status"], ["enqueue", CLI], ["worker"]].map(async (args) => {
        const r = await runCli(`queue-down-${args[0]}`, args, env).done;
        return { args, ...r, ms: Date.now() - started };
      }),
    );
    for (const r of runs) {
      expect(r.code, `${r.args[0]}: ${r.stderr}`).toBe(10);
      expect(r.ms).toBeLessThan(15_000);
      expect(r.stderr).toMatch(new RegExp(`^nianbao: queue unavailable: redis://127\\.0\\.0\\.1:${port}/?: Redis did not answer within 10000 ms`));
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  }, 30_000);

  it("takes its bound from QUEUE_CONNECT_TIMEOUT_MS", async () => {
    const port = await freePort();
    const t0 = Date.now();
    const r = await runCli("queue-down-bound", ["status", "--json"], { REDIS_URL: `redis://127.0.0.1:${port}`, QUEUE_CONNECT_TIMEOUT_MS: "500" }).done;
    expect(r.code).toBe(10);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.stderr).toMatch(/within 500 ms/);
  });
});

describe.concurrent("a running worker", () => {
  it("whose Redis went away stops on the first SIGTERM within SHUTDOWN_TIMEOUT_MS and a margin", async () => {
    const port = await freePort();
    const redisDir = mkdtempSync(join(dir, "redis-"));
    const redis = await startRedis(port, redisDir, `queue-down-redis-${port}`);
    const w = worker(`redis://127.0.0.1:${port}`, "down");
    try {
      await sleep(2500);
      expect(w.child.exitCode).toBeNull();
      await stopProcess(redis);
      await sleep(1500); // the worker is now retrying its connection
      expect(w.child.exitCode).toBeNull(); // it rides out the outage
      const r = await terminate(w);
      expect(r.killed, w.output().slice(-2000)).toBe(false);
      expect(r.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
    } finally {
      if (w.child.exitCode === null) w.child.kill("SIGKILL");
      await stopProcess(redis);
    }
  });

  it("whose stdout pipe was closed still stops on SIGTERM", async () => {
    const w = worker(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", "stdout-closed");
    try {
      await sleep(2500);
      w.child.stdout?.destroy();
      await sleep(1000);
      expect(w.child.exitCode).toBeNull();
      const r = await terminate(w);
      expect(r.killed, w.output().slice(-2000)).toBe(false);
      expect(r.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + MARGIN_MS);
    } finally {
      if (w.child.exitCode === null) w.child.kill("SIGKILL");
    }
  });
});
