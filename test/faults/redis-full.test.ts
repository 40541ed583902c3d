/**
 * Redis full (issue #13, item 8): a redis-server of our own reaches its maxmemory with
 * `noeviction`, so it answers PING and every read and refuses every write. While it does:
 * `/readyz` is 503 and says so, `/metrics` reports it, `nianbao status` prints a line about it,
 * `nianbao enqueue` exits 10 (queue unavailable), and the watcher backs off (a few log lines,
 * not one per upload per poll). Once memory is freed, every upload dropped meanwhile is stored
 * once, and nothing failed.
 */
import type { ChildProcess } from "node:child_process";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, CLI } from "../support/pipeline.js";
import { freePort, goodDoc, Harness, isAlive, liveCounts, sleep, startRedis, stopProcess, waitFor, type Proc } from "./support.js";

const TOKEN = "redis-full-token";

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { headers });
  return { status: r.status, text: await r.text() };
}

describe.sequential("Redis full (maxmemory reached, noeviction)", () => {
  let h: Harness;
  let redis: ChildProcess | null = null;
  let client: Redis;
  let redisDir: string;
  let base: string;
  let worker: Proc;
  let watcher: Proc;

  beforeAll(async () => {
    const port = await freePort();
    redisDir = mkdtempSync(join(tmpdir(), "nianbao-faults-redis-full-"));
    redis = await startRedis(port, redisDir, `faults-redis-full-${port}`);
    client = new Redis(`redis://127.0.0.1:${port}`);
    h = await Harness.create({ tag: "redisfull", store: "file", redisUrl: `redis://127.0.0.1:${port}`, env: { ATTEMPTS: "3" } });
    const dashPort = await freePort();
    base = `http://127.0.0.1:${dashPort}`;
    worker = h.start("worker", ["worker"]);
    watcher = h.start("watch", ["watch", h.inbox]);
    h.start("dashboard", ["dashboard"], { DASHBOARD_PORT: String(dashPort), DASHBOARD_TOKEN: TOKEN });
    await waitFor("the dashboard", async () => (await get(`${base}/healthz`)).status === 200, 30_000);
  });

  afterAll(async () => {
    await client?.config("SET", "maxmemory", "0").catch(() => undefined);
    await h?.close();
    client?.disconnect();
    if (redis) await stopProcess(redis);
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  });

  it("reports it (readiness, metrics, status, enqueue), backs off, and stores every upload once after it recovers", async () => {
    const early = [0, 1].map((i) => goodDoc(h.prefix, i));
    for (const d of early) h.drop(d.name, d.bytes);
    await waitFor("the first documents stored", () => h.allStored(early.map((d) => d.bytes)), 60_000);
    expect(JSON.parse((await get(`${base}/readyz`)).text)).toEqual({ status: "ready", redis: "ok", store: "ok" });

    // Fill it: 8 MiB of junk, then a maxmemory 2 MiB below what it uses (noeviction cannot
    // free anything), so that every write is refused until the junk goes.
    const junk = "x".repeat(256 * 1024);
    for (let i = 0; i < 32; i++) await client.set(`junk:${i}`, junk);
    const used = Number(/used_memory:(\d+)/.exec(await client.info("memory"))?.[1]);
    const limit = used - 2 * 1024 * 1024;
    await client.config("SET", "maxmemory", String(limit));
    const refused = await client.set("junk:tiny", "x").then(() => null, (err: Error) => err.message);
    expect(refused).toMatch(/^OOM command not allowed/);

    const late = [2, 3, 4, 5, 6, 7].map((i) => goodDoc(h.prefix, i));
    const logFile = join(ARTIFACTS, `${h.prefix}-watch.log`);
    const linesBefore = readFileSync(logFile, "utf8").split("\n").filter((l) => l.includes("could not enqueue")).length;
    for (const d of late) h.drop(d.name, d.bytes);
    const t0 = Date.now();

    // readiness: 503, "refuses writes", with Redis's reason
    const ready = await waitFor(
      "/readyz to say so",
      async () => {
        const r = await get(`${base}/readyz`);
        return r.status === 503 ? r : null;
      },
      10_000,
    );
    const body = JSON.parse(ready.text) as Record<string, string>;
    expect([body["status"], body["redis"], body["store"]]).toEqual(["not ready", "refuses writes", "ok"]);
    expect(body["redisError"]).toMatch(/^OOM command not allowed/);
    // metrics (behind the token; a token followed by junk is not the token)
    expect((await get(`${base}/metrics`, { Authorization: `Bearer ${TOKEN} junk` })).status).toBe(401);
    const metrics = (await get(`${base}/metrics`, { Authorization: `Bearer ${TOKEN}` })).text;
    expect(metrics).toMatch(/^nianbao_redis_up 1$/m);
    expect(metrics).toMatch(/^nianbao_redis_writable 0$/m);
    expect(metrics).toMatch(/^nianbao_redis_write_error_info\{error="OOM command not allowed[^"]*"\} 1$/m);
    const max = Number(/^nianbao_redis_memory_bytes\{kind="max"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(max).toBe(limit);
    // status: a line saying so (exit 0: it could read the queues)
    const env = { ...process.env, ...h.env, LOG_LEVEL: "silent" };
    const status = spawnSync(process.execPath, [CLI, "status"], { env, encoding: "utf8", timeout: 30_000 });
    expect(status.status).toBe(0);
    expect(status.stdout.split("\n")[0]).toMatch(/^Redis refuses writes \(used_memory [\d.]+ MiB of maxmemory [\d.]+ MiB, policy noeviction\): OOM command not allowed/);
    // enqueue: exit 10, queue unavailable (not 9, "file could not be read")
    const extra = join(h.root, "extra.txt");
    writeFileSync(extra, goodDoc(h.prefix, 8).bytes);
    const enqueue = spawnSync(process.execPath, [CLI, "enqueue", extra], { env, encoding: "utf8", timeout: 30_000 });
    expect([enqueue.status, enqueue.stderr.trim().split("\n").length]).toEqual([10, 1]);
    expect(enqueue.stderr).toMatch(/^nianbao: queue unavailable: .*OOM command not allowed/);

    // The watcher backs off: a handful of lines over these seconds, not one per file per poll.
    await sleep(Math.max(0, 8000 - (Date.now() - t0)));
    const lines = readFileSync(logFile, "utf8").split("\n").filter((l) => l.includes("could not enqueue")).length - linesBefore;
    expect(lines).toBeGreaterThanOrEqual(1);
    expect(lines).toBeLessThanOrEqual(8);
    expect(await h.allStored(late.map((d) => d.bytes))).toBe(false);

    // Recovery: memory freed. Every upload is stored once; nothing failed.
    await client.del(...(await client.keys("junk:*")));
    await client.config("SET", "maxmemory", "0");
    await waitFor("every upload stored", () => h.allStored(late.map((d) => d.bytes)), 90_000);
    const expected = liveCounts({ completed: 8 });
    expect(await h.countsWhen(expected)).toEqual(expected);
    expect(await h.store.listFailures(10)).toEqual([]);
    expect(JSON.parse((await get(`${base}/readyz`)).text)).toEqual({ status: "ready", redis: "ok", store: "ok" });
    expect([isAlive(worker), isAlive(watcher)]).toEqual([true, true]);
  });
});
