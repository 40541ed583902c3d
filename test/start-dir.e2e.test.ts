/**
 * `nianbao start DIR` as README shows it: the watcher reads DIR, and the dashboard serves the
 * original file of a document from DIR too (INBOX left pointing elsewhere). The jobs carry the
 * file name, so that bull-board's cards say which file.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobName } from "../queues/jobs.js";
import { StageQueues } from "../queues/connection.js";
import { loadConfig } from "../src/config.js";
import { PIPELINE_VERSION, sha256 } from "../src/process.js";
import { openStore } from "../src/store/index.js";
import { corpusFile } from "./support/corpus.js";
import { freePort, pipelineEnv, startCli, stop, uniquePrefix, waitFor, type Proc } from "./support/pipeline.js";

describe("jobName", () => {
  it("is the stage and the file name, without control or bidi characters", () => {
    expect(jobName("extract", "2021年报.pdf")).toBe("extract 2021年报.pdf");
    expect(jobName("store", "a\u0007b\u001b[31m\u202ec.pdf\r\n")).toBe("store ab[31mc.pdf");
    expect(jobName("reconstruct", null)).toBe("reconstruct");
    expect(jobName("extract", "\u0000\u0001")).toBe("extract");
    expect(jobName("extract", "x".repeat(500))).toHaveLength("extract ".length + 200);
  });
});

describe.sequential("nianbao start DIR", () => {
  const root = mkdtempSync(join(tmpdir(), "nianbao-start-dir-"));
  const dir = join(root, "given");
  const prefix = uniquePrefix("startdir");
  let port: number;
  let proc: Proc;
  let env: Record<string, string>;

  beforeAll(async () => {
    mkdirSync(dir);
    port = await freePort();
    env = pipelineEnv(prefix, join(root, "out"), { INBOX: join(root, "elsewhere"), DASHBOARD_PORT: String(port), POLL_INTERVAL_MS: "200", STABLE_CHECKS: "1" });
    proc = startCli(`${prefix}-start`, ["start", dir], env);
  });

  afterAll(async () => {
    if (proc) await stop(proc);
    const queues = new StageQueues(loadConfig(env), "producer");
    for (const q of Object.values(queues.queues)) await q.obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("serves the original from DIR, and names the jobs by file", async () => {
    copyFileSync(corpusFile("s007.txt"), join(dir, "s007.txt"));
    const sha = sha256(readFileSync(corpusFile("s007.txt")));
    const store = openStore(join(root, "out"));
    await store.init();
    try {
      await waitFor("the stored result", () => store.hasResult(sha, PIPELINE_VERSION), 60_000);
    } finally {
      await store.close();
    }
    const res = await fetch(`http://127.0.0.1:${port}/reports/${sha}/source`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(corpusFile("s007.txt")))).toBe(true);

    const queues = new StageQueues(loadConfig(env), "producer");
    try {
      const jobs = await queues.queues.extract.getJobs(["completed"]);
      expect(jobs.map((j) => j.name)).toEqual(["extract s007.txt"]);
    } finally {
      await queues.close();
    }
  }, 90_000);
});
