/**
 * Running the real pipeline in tests: `nianbao` commands as child processes against the real
 * Redis (and PostgreSQL), each test run under its own queue prefix and store.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { withDefaultUser } from "../../src/store/pg.js";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const PG_URL = process.env.PG_URL ?? "postgres://127.0.0.1:5432/test";
export const CLI = new URL("../../dist/cli/main.js", import.meta.url).pathname;
export const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

export interface Proc {
  child: ChildProcess;
  name: string;
  exited: Promise<number | null>;
}

/** Starts `nianbao ARGS` with the given environment; its output goes to test-artifacts/. */
export function startCli(name: string, args: string[], env: Record<string, string>): Proc {
  mkdirSync(ARTIFACTS, { recursive: true });
  const out = createWriteStream(join(ARTIFACTS, `${name}.log`), { flags: "a" });
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, name, exited };
}

/** Stops a process with SIGTERM and waits for it; kills it if it does not exit in time. */
export async function stop(p: Proc, timeoutMs = 20_000): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  p.child.kill("SIGTERM");
  const t = setTimeout(() => p.child.kill("SIGKILL"), timeoutMs);
  const code = await p.exited;
  clearTimeout(t);
  return code;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** node-postgres does not default to the OS user as psql does: withDefaultUser adds it. */
const pgClient = () => new pg.Client({ connectionString: withDefaultUser(PG_URL) });

/** A fresh PostgreSQL database for one test file; returns its URL and a drop function. */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = pgClient();
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const c = pgClient();
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The output store of one pipeline test: a folder under `root`, or a fresh PostgreSQL database. */
export async function testStore(kind: "file" | "postgres", root: string, dbPrefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (kind === "postgres") return freshDatabase(dbPrefix);
  return { url: join(root, "out"), drop: async () => undefined };
}

/**
 * The environment of the `nianbao` processes a pipeline test starts: its own queue prefix and
 * store, one job at a time, and short backoff and shutdown, so that failures show fast.
 */
export function pipelineEnv(prefix: string, storeUrl: string, more: Record<string, string>): Record<string, string> {
  return {
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    STORE_URL: storeUrl,
    CONCURRENCY: "1",
    BACKOFF_MS: "200",
    SHUTDOWN_TIMEOUT_MS: "5000",
    LOG_LEVEL: "info",
    // These tests drop cut files on purpose (a truncated PDF must fail `corrupt`): no waiting
    // for them to complete (test/faults/uploads.test.ts tests the wait).
    INCOMPLETE_GRACE_MS: "0",
    ...more,
  };
}

export const uniquePrefix = (tag: string) => `t${tag}${process.pid}${Date.now().toString(36)}`;

/** A TCP port that nothing listened on a moment ago (to hand to a child process, or to find closed). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
