/**
 * The pipeline end to end, against the real Redis and, in turn, the default file store and
 * the real PostgreSQL: synthetic documents dropped into an inbox, a watcher and two workers
 * running as real `nianbao` processes.
 *
 * - every document (two of each format) ends in the store exactly once, with the same cells as
 *   `nianbao extract`;
 * - the same bytes dropped again under another name are not processed again;
 * - a worker killed with kill -9 in the middle of a job: the job completes on the other
 *   worker, and the store holds one result;
 * - a corrupt and an encrypted file each end as a failed job with their reason code, and the
 *   workers keep serving.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import type { Envelope } from "../src/model.js";
import { PIPELINE_VERSION, processBytes, sha256 } from "../src/process.js";
import { openStore } from "../src/store/index.js";
import type { OutputStore } from "../src/store/types.js";
import { StageQueues } from "../queues/connection.js";
import { parseFailedReason } from "../src/failures.js";
import { CORPUS } from "./support/corpus.js";
import { ARTIFACTS, pipelineEnv, REDIS_URL, startCli, stop, testStore, uniquePrefix, waitFor, type Proc } from "./support/pipeline.js";

const SYNTHETIC = join(CORPUS, "synthetic");
/**
 * Two documents of each format (the corpus tests read every one of them; here each format's
 * path through the queues is what is checked), in sorted order.
 */
const inputs = readdirSync(SYNTHETIC)
  .filter((f) => !f.endsWith(".json"))
  .sort()
  .filter((f, _, all) => all.filter((g) => g.split(".").pop() === f.split(".").pop()).indexOf(f) < 2);

/** The cells of an envelope, as path → value, for comparing two runs. */
function cells(env: Envelope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (v: unknown, p: string) => {
    if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k);
    else out[p] = v;
  };
  walk({ proactive: env.report.proactive, applications: env.report.applications, reviewLitigation: env.report.reviewLitigation }, "");
  return out;
}

for (const kind of ["file", "postgres"] as const) {
  describe.sequential(`pipeline with the ${kind} store`, () => {
    const prefix = uniquePrefix(kind === "file" ? "f" : "p");
    const root = mkdtempSync(join(tmpdir(), `nianbao-e2e-${kind}-`));
    const inbox = join(root, "inbox");
    let storeUrl: string;
    let dropDb: (() => Promise<void>) | null = null;
    let env: Record<string, string>;
    let store: OutputStore;
    let queues: StageQueues;
    const procs: Proc[] = [];
    const expected = new Map<string, Envelope>(); // sha256 → what `nianbao extract` gives

    beforeAll(async () => {
      ({ url: storeUrl, drop: dropDb } = await testStore(kind, root, "nianbao_e2e"));
      env = pipelineEnv(prefix, storeUrl, { INBOX: inbox, POLL_INTERVAL_MS: "200", LOCK_DURATION_MS: "4000", STALLED_INTERVAL_MS: "1000" });
      store = openStore(storeUrl);
      await store.init();
      queues = new StageQueues(loadConfig(env), "producer");
      mkdirSync(join(inbox, "2023", "某市"), { recursive: true });
      for (const [i, f] of inputs.entries()) {
        const bytes = readFileSync(join(SYNTHETIC, f));
        expected.set(sha256(bytes), await processBytes(bytes, { fileName: f }));
        // some in subfolders, as archives are laid out
        copyFileSync(join(SYNTHETIC, f), i % 3 === 0 ? join(inbox, "2023", "某市", f) : join(inbox, f));
      }
      procs.push(startCli(`${prefix}-worker-a`, ["worker"], env));
      procs.push(startCli(`${prefix}-worker-b`, ["worker"], env));
      procs.push(startCli(`${prefix}-watch`, ["watch", inbox], env));
    }, 120_000);

    afterAll(async () => {
      await Promise.all(procs.map((p) => stop(p)));
      if (queues) {
        for (const q of Object.values(queues.queues)) await q.obliterate({ force: true }).catch(() => undefined);
        await queues.close();
      }
      await store?.close();
      await dropDb?.();
    }, 60_000);

    it("stores every document exactly once, with the same cells as nianbao extract", async () => {
      await waitFor(
        "all results",
        async () => {
          for (const sha of expected.keys()) if (!(await store.hasResult(sha, PIPELINE_VERSION))) return false;
          return true;
        },
        120_000,
      );
      for (const [sha, want] of expected) {
        const got = await store.getResult(sha, PIPELINE_VERSION);
        expect(got?.envelope.source.sha256).toBe(sha);
        expect(cells(got!.envelope)).toEqual(cells(want));
        expect(got?.envelope.validation.status).toBe(want.validation.status);
      }
      // A new document runs all three stages in its extract job: the other queues stay empty.
      const counts = await queues.queues.extract.getJobCounts("completed", "failed");
      expect(counts.completed).toBe(expected.size);
      expect(counts.failed).toBe(0);
      for (const stage of ["reconstruct", "store"] as const) expect(await queues.queues[stage].count()).toBe(0);
    }, 150_000);

    it("does not process the same bytes again under another name", async () => {
      const [first] = inputs;
      copyFileSync(join(SYNTHETIC, first as string), join(inbox, `copy-of-${first}`));
      const sha = sha256(readFileSync(join(SYNTHETIC, first as string)));
      await waitFor("the second source to be recorded", async () => ((await store.getIngest(sha))?.sources.length ?? 0) >= 2);
      await new Promise((r) => setTimeout(r, 1000));
      const counts = await queues.queues.extract.getJobCounts("completed", "waiting", "active", "failed");
      expect((counts.completed ?? 0) + (counts.waiting ?? 0) + (counts.active ?? 0)).toBe(expected.size);
      // inputs[0] was copied into 2023/某市/ (every third file is)
      expect((await store.getIngest(sha))?.sources.map((s) => s.key).sort()).toEqual([`2023/某市/${first}`, `copy-of-${first}`].sort());
    }, 30_000);

    it("finishes a job on the other worker when one is killed with kill -9 mid-job, with one result", async () => {
      const [a, b] = procs as [Proc, Proc];
      // Ten new documents (fresh bytes: the same report with a different trailing comment).
      const base = readFileSync(join(SYNTHETIC, "s003.pdf")); // one of the inputs, stored already
      const shas: string[] = [];
      for (let i = 0; i < 10; i++) {
        const bytes = Buffer.concat([base, Buffer.from(`\n% copy ${prefix} ${i}\n`)]);
        shas.push(sha256(bytes));
        writeFileSync(join(inbox, `kill-${i}.pdf`), bytes);
      }
      const extract = new Queue("extract", { connection: { url: REDIS_URL }, prefix });
      const victim = await waitFor(
        "an active job held by worker a",
        async () => {
          const active = await extract.getActive();
          return active.find((j) => j.processedBy?.endsWith(`-${a.child.pid}`)) ?? null;
        },
        30_000,
        10,
      );
      a.child.kill("SIGKILL");
      await a.exited;
      await waitFor("the killed job to complete", async () => (await extract.getJob(String(victim.id)))?.finishedOn, 60_000);
      await waitFor(
        "all ten results",
        async () => {
          for (const sha of shas) if (!(await store.hasResult(sha, PIPELINE_VERSION))) return false;
          return true;
        },
        90_000,
      );
      const job = await extract.getJob(String(victim.id));
      expect(job?.processedBy?.endsWith(`-${b.child.pid}`)).toBe(true);
      expect(await job?.getState()).toBe("completed");
      const rows = await store.findByAgencyYear(expected.get(sha256(base))!.report.agency!, expected.get(sha256(base))!.report.year!);
      // the base document and ten copies: one result each, none twice
      expect(rows.map((r) => r.envelope.source.sha256).sort()).toEqual([...new Set([sha256(base), ...shas])].sort());
      await extract.close();
      // bring a second worker back for the next test
      procs[0] = startCli(`${prefix}-worker-c`, ["worker"], env);
      // Wait until it runs: a SIGTERM that comes before the worker has installed its signal
      // handlers (the shutdown test below) would kill it outright, not shut it down.
      const logC = join(ARTIFACTS, `${prefix}-worker-c.log`);
      await waitFor("worker c to start", async () => readFileSync(logC, "utf8").includes('"msg":"workers started"'), 30_000);
    }, 150_000);

    it("fails a corrupt and an encrypted file with their reason codes, and keeps serving", async () => {
      const corrupt = readFileSync(join(SYNTHETIC, "s011.pdf")).subarray(0, 3000);
      const encrypted = readFileSync(new URL("./fixtures/pdf/encrypted.pdf", import.meta.url));
      writeFileSync(join(inbox, "truncated.pdf"), corrupt);
      writeFileSync(join(inbox, "locked.pdf"), encrypted);
      const extract = queues.queues.extract;
      const failed = await waitFor(
        "two failed jobs",
        async () => {
          const jobs = await extract.getFailed();
          return jobs.length >= 2 ? jobs : null;
        },
        60_000,
      );
      const codes = Object.fromEntries(failed.map((j) => [j.id, parseFailedReason(j.failedReason).code]));
      expect(codes[`sha256-${sha256(corrupt)}`]).toBe("corrupt");
      expect(codes[`sha256-${sha256(encrypted)}`]).toBe("encrypted");
      // one attempt each: bad input is not retried
      expect(failed.every((j) => j.attemptsMade === 1)).toBe(true);
      // the originals are untouched
      expect(readFileSync(join(inbox, "truncated.pdf")).equals(corrupt)).toBe(true);
      // and the workers still serve
      const next = Buffer.concat([readFileSync(join(SYNTHETIC, "s019.html")), Buffer.from(`<!-- ${prefix} after -->`)]);
      writeFileSync(join(inbox, "after.html"), next);
      await waitFor("the next document", async () => store.hasResult(sha256(next), PIPELINE_VERSION), 60_000);
      const failures = await store.listFailures(10);
      expect(failures.map((f) => f.code).sort()).toEqual(["corrupt", "encrypted"]);
    }, 120_000);

    it("shuts down on SIGTERM within the bounded time", async () => {
      const started = Date.now();
      const codes = await Promise.all(procs.map((p) => stop(p, 15_000)));
      expect(codes).toEqual([0, 0, 0]);
      expect(Date.now() - started).toBeLessThan(15_000);
    }, 30_000);
  });
}
