/**
 * The batch reprocessing suite (issue 4), shared by test/backfill.test.ts (the file store) and
 * test/backfill-pg.test.ts (PostgreSQL): the real Redis, two real worker processes and the real
 * `nianbao reprocess`, `enqueue`, `import` and `report`:
 *
 * - the store is seeded with thousands of documents at an older pipeline version (their extraction
 *   artifacts stored, their originals then moved away), some with a deliberately changed cell;
 * - a reprocess interrupted with SIGINT and run again finishes with every document processed
 *   exactly once, from the artifacts only (no extract job), and a live upload made during it
 *   finishes long before it;
 * - the change summary names exactly the seeded changes;
 * - `nianbao report --year 2023` shows an R6 disagreement the backfill brought out and the
 *   agencies with no 2023 report;
 * - `import` of a deep tree, and `reprocess PATH` falling back to extract (with a missing
 *   original, then --retry-failed).
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { Envelope } from "../../src/model.js";
import { buildEnvelope, extractBytes, PIPELINE_VERSION, sha256 } from "../../src/process.js";
import { crossYearReport } from "../../src/store/cross-year-report.js";
import { openStore } from "../../src/store/index.js";
import type { OutputStore, SourceRef } from "../../src/store/types.js";
import { EMPTY_SELECTION, runIdFor } from "../../src/backfill/selection.js";
import { StageQueues } from "../../queues/connection.js";
import { extractionKey, jobIdOf } from "../../queues/jobs.js";
import { CORPUS } from "./corpus.js";
import { cli, runCli } from "./cli.js";
import { ARTIFACTS, pipelineEnv, REDIS_URL, startCli, stop, testStore, uniquePrefix, waitFor, type Proc } from "./pipeline.js";
import { S3RVER_CREDENTIALS, startS3rver } from "./s3rver.js";

const OLD = "0.0.9";
/** Small text reports of distinct agencies and years (no two consecutive: R6 stays cheap). */
const BASES = [
  "synthetic/s016.txt",
  "synthetic/s017.txt",
  "synthetic/s027.txt", // 2019 format
  "synthetic/s028.txt",
  "synthetic/s032.txt", // 2019 format
  "synthetic/s015.txt",
  "seed/jingzhouqu-2021.txt",
  "real/12_huaian_2024.txt",
];

type Json = Record<string, unknown>;
const node = (env: Envelope, path: string): Json => {
  let n: unknown = env.report;
  for (const p of path.split(".")) n = (n as Json)[p];
  return n as Json;
};
const setCell = (env: Envelope, path: string, f: (v: number) => number | null) => {
  const parts = path.split(".");
  const parent = node(env, parts.slice(0, -1).join("."));
  const key = parts[parts.length - 1] as string;
  parent[key] = f(parent[key] as number);
};

/** The deliberate differences between the old results and what the reconstructor gives. */
interface Change {
  base: number;
  copy: number;
  mutate: (env: Envelope) => void;
  fields: string[];
  statusChanges: boolean;
}
const CHANGES: Change[] = [
  { base: 0, copy: 3, mutate: (e) => setCell(e, "applications.newReceived.naturalPerson", (v) => v + 1), fields: ["applications.newReceived.naturalPerson"], statusChanges: false },
  {
    base: 1,
    copy: 40,
    mutate: (e) => {
      setCell(e, "applications.newReceived.total", (v) => v + 5);
      setCell(e, "reviewLitigation.review.total", (v) => v + 1);
    },
    fields: ["applications.newReceived.total", "reviewLitigation.review.total"],
    statusChanges: false,
  },
  { base: 2, copy: 7, mutate: (e) => (e.validation.status = e.validation.status === "valid" ? "invalid" : "valid"), fields: [], statusChanges: true },
  { base: 3, copy: 59, mutate: (e) => (e.report.year = (e.report.year as number) - 1), fields: ["year"], statusChanges: false },
  { base: 5, copy: 50, mutate: (e) => setCell(e, "applications.carriedForward.total", () => null), fields: ["applications.carriedForward.total"], statusChanges: false },
  { base: 7, copy: 33, mutate: (e) => (e.report.agency = "旧名称人民政府"), fields: ["agency"], statusChanges: false },
];

/**
 * The suite, for one kind of store. `extras` adds the store-independent parts (selectors,
 * import, reprocessing from the originals), run once, with the file store.
 */
export function backfillSuite(kind: "file" | "postgres", COPIES: number, extras: boolean): void {
  describe.sequential(`nianbao reprocess: a ${BASES.length * COPIES + 4}-document backfill on the ${kind} store`, () => {
    const prefix = uniquePrefix(kind === "file" ? "bf" : "bp");
    const root = mkdtempSync(join(tmpdir(), `nianbao-backfill-${kind}-`));
    const archive = join(root, "archive");
    let storeUrl: string;
    let dropDb: (() => Promise<void>) | null = null;
    const summaryDir = join(root, "summary");
    let env: Record<string, string>;
    let store: OutputStore;
    let queues: StageQueues;
    let redis: Redis;
    const workers: Proc[] = [];
    const runId = runIdFor(PIPELINE_VERSION, { ...EMPTY_SELECTION, all: true }, "reconstruct");
    const runKey = (part: string) => `${prefix}:run:${runId}:${part}`;
    /** sha256 → the fields and status change the summary must name. */
    const expectedChanges = new Map<string, { fields: string[]; statusChanges: boolean }>();
    const all: string[] = [];
    let r6Pair: { y2022: string; y2023: string };
    let s3: { server: ChildProcess; client: S3Client } | null = null;

    /** Seeds one document: its artifact (optional), an old result (maybe changed) and its ingest record. */
    async function seed(bytes: Buffer, key: string, opts: { artifact?: boolean; template?: Envelope; mutate?: (e: Envelope) => void; dir?: string } = {}) {
      const ex = await extractBytes(bytes, { fileName: key.split("/").pop() ?? null });
      if (opts.artifact !== false) await store.putArtifact(extractionKey(ex.sha256), JSON.stringify(ex.document));
      // Copies differ only in a trailing comment line: the base's envelope stands for them.
      const envelope: Envelope = structuredClone(opts.template ?? buildEnvelope(ex));
      envelope.source.sha256 = ex.sha256;
      envelope.source.fileName = key.split("/").pop() ?? null;
      envelope.pipeline.version = OLD;
      opts.mutate?.(envelope);
      const path = join(opts.dir ?? archive, ...key.split("/"));
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, bytes);
      const source: SourceRef = { uri: pathToFileURL(path).href, key, size: bytes.length, versionId: null, etag: null, mtime: null };
      await store.putResult(envelope, source);
      await store.recordIngest(ex.sha256, source);
      return ex.sha256;
    }

    beforeAll(async () => {
      ({ url: storeUrl, drop: dropDb } = await testStore(kind, root, "nianbao_backfill"));
      env = pipelineEnv(prefix, storeUrl, { LOCK_DURATION_MS: "5000", STALLED_INTERVAL_MS: "2000" });
      if (extras) {
        // An S3 archive for `import s3://…`: the workers read its objects.
        const server = await startS3rver(join(root, "s3"), "archive");
        const endpoint = `http://127.0.0.1:${server.port}`;
        s3 = {
          server: server.child,
          client: new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: "WHEN_REQUIRED" }),
        };
        Object.assign(env, {
          S3_ENDPOINT: endpoint,
          S3_REGION: "us-east-1",
          AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        });
      }
      store = openStore(storeUrl);
      await store.init();
      queues = new StageQueues(loadConfig(env), "producer");
      redis = new Redis(REDIS_URL);

      for (const [b, name] of BASES.entries()) {
        const base = readFileSync(join(CORPUS, name));
        const template = buildEnvelope(await extractBytes(base, { fileName: name }));
        for (let i = 0; i < COPIES; i++) {
          const change = CHANGES.find((c) => c.base === b && c.copy === i);
          const bytes = Buffer.concat([base, Buffer.from(`\n# ${prefix} copy ${i}\n`)]);
          const sha = await seed(bytes, `${template.report.year}/${template.report.agency}/${name.split("/")[1]}-${i}.txt`, { template, ...(change ? { mutate: change.mutate } : {}) });
          all.push(sha);
          if (change) expectedChanges.set(sha, { fields: change.fields, statusChanges: change.statusChanges });
        }
      }

      // R6: 青川市退役军人事务局 2022 and a 2023 report. The old 2022 result carries forward what
      // 2023 carries over, so the old results agree; the real 2022 figures (1 carried forward) do not.
      const s007 = readFileSync(join(CORPUS, "synthetic/s007.txt"), "utf8");
      const y2023 = Buffer.from(s007.replaceAll("2023", "2024").replaceAll("2022", "2023"));
      r6Pair = {
        y2022: await seed(Buffer.from(s007), "2022/青川/s007.txt", {
          mutate: (e) => {
            setCell(e, "applications.carriedForward.naturalPerson", () => 4);
            setCell(e, "applications.carriedForward.commercialEnterprise", () => 1);
            setCell(e, "applications.carriedForward.total", () => 5);
          },
        }),
        y2023: await seed(y2023, "2023/青川/s007-2023.txt"),
      };
      expectedChanges.set(r6Pair.y2022, {
        fields: ["applications.carriedForward.commercialEnterprise", "applications.carriedForward.naturalPerson", "applications.carriedForward.total"],
        statusChanges: false,
      });
      all.push(r6Pair.y2022, r6Pair.y2023);
      // Two agencies with a 2022 report and none for 2023.
      for (const f of ["s019.html", "s024.html"]) all.push(await seed(readFileSync(join(CORPUS, "synthetic", f)), `2022/${f}`));

      // The originals go away: reprocessing from the artifacts must not need them.
      renameSync(archive, `${archive}-moved`);
      workers.push(startCli(`${prefix}-worker-a`, ["worker"], env), startCli(`${prefix}-worker-b`, ["worker"], env));
    }, 150_000);

    afterAll(async () => {
      await Promise.all(workers.map((p) => stop(p)));
      if (queues) {
        for (const q of Object.values(queues.queues)) await q.obliterate({ force: true }).catch(() => undefined);
        await queues.close();
      }
      if (redis) {
        const keys = await redis.keys(`${prefix}:run:*`);
        if (keys.length) await redis.del(...keys);
        redis.disconnect();
      }
      await store?.close();
      await dropDb?.();
      s3?.client.destroy();
      s3?.server.stdin?.end();
      s3?.server.kill();
    }, 60_000);

    it("starts from old results in which the two 青川 years agree", async () => {
      const before = await crossYearReport(store, 2023);
      expect(before.disagreements).toEqual([]);
      expect(before.agenciesCompared).toBe(1);
      expect(before.missing.map((m) => m.agency)).toEqual(["云塘市柳川区人民政府", "槐川县卫生健康委员会"]);
    });

    it("refuses a reprocess without a selector, and a dry run changes nothing", async () => {
      const none = await cli(`${prefix}-usage`, ["reprocess"], env, root);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/say what to reprocess/);

      const dry = await cli(`${prefix}-dry`, ["reprocess", "--all", "--dry-run"], env, root);
      expect(dry.code).toBe(0);
      const lines = dry.stdout.trim().split("\n");
      expect(lines.filter((l) => l.startsWith("reconstruct\t"))).toHaveLength(all.length);
      expect(lines.at(-1)).toContain(`would enqueue ${all.length} (${all.length} at reconstruct, 0 at extract)`);
      expect(await redis.keys(`${prefix}:run:*`)).toEqual([]);
      for (const q of Object.values(queues.queues)) expect(Object.values(await q.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);

      if (!extras) return;
      // Selectors narrow it: a range of years; part of an agency name, with an ideographic space.
      const year = await cli(`${prefix}-dry-year`, ["reprocess", "--year", "2019..2020", "--dry-run"], env, root);
      expect(year.stdout.trim().split("\n").at(-1)).toContain(`would enqueue ${2 * COPIES} `);
      const agency = await cli(`${prefix}-dry-agency`, ["reprocess", "--agency", "荆州区\u3000人民政府", "--dry-run"], env, root);
      expect(agency.stdout.trim().split("\n").at(-1)).toContain(`would enqueue ${COPIES} `);
    }, 60_000);

    it("survives SIGINT: the rerun finishes every document exactly once, from the artifacts, and a live upload goes first", async () => {
      // --from reconstruct: from the stored artifacts only (the originals were moved away).
      const args = ["reprocess", "--all", "--from", "reconstruct", "--chunk", "100", "--out", summaryDir];
      const first = runCli(`${prefix}-reprocess-1`, args, env, root);
      // Interrupt as soon as the first chunk is in (most of the selection is not enqueued yet).
      const docsAtInterrupt = await waitFor("the first chunk", async () => {
        const n = await redis.hlen(runKey("docs"));
        return n >= 100 ? n : null;
      }, 30_000, 5);
      first.child.kill("SIGINT");
      const interrupted = await first.done;
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toMatch(/Run the same command again to continue/);

      // Consistent: every document recorded in the run has its job in Redis.
      const inRun = await redis.hkeys(runKey("docs"));
      expect(inRun.length).toBeGreaterThanOrEqual(docsAtInterrupt);
      const pipeline = redis.pipeline();
      for (const sha of inRun) pipeline.exists(`${prefix}:reconstruct:${jobIdOf({ documentId: `sha256-${sha}`, runId })}`);
      expect(((await pipeline.exec()) ?? []).every(([, n]) => n === 1)).toBe(true);

      const second = runCli(`${prefix}-reprocess-2`, args, env, root);
      // A live upload in the middle of the backfill.
      const underWay = Math.floor(all.length * 0.3);
      await waitFor("the backfill to be under way again", async () => (await redis.hlen(runKey("done"))) >= underWay, 60_000, 20);
      const live = Buffer.concat([readFileSync(join(CORPUS, "synthetic/s019.html")), Buffer.from(`<!-- ${prefix} live -->`)]);
      const livePath = join(root, "live.html");
      writeFileSync(livePath, live);
      const enq = await cli(`${prefix}-live`, ["enqueue", livePath], env, root);
      expect(enq.code).toBe(0);
      const liveId = enq.stdout.split("\t")[1] as string;
      await waitFor("the live upload", async () => (await queues.queues.extract.getJob(liveId))?.finishedOn, 30_000, 20);
      const remainingWhenLiveDone = all.length - (await redis.hlen(runKey("done")));

      const resumed = await second.done;
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toMatch(/already at/);
      expect(resumed.stdout).toContain(`${all.length} documents: ${all.length} done, 0 failed, 0 remaining`);

      // Every document stored at this version, each processed once (the worker logs count runs).
      for (const sha of all) expect(await store.hasResult(sha, PIPELINE_VERSION)).toBe(true);
      const logs = [0, 1].map((i) => readFileSync(join(ARTIFACTS, `${workers[i]?.name}.log`), "utf8")).join("\n");
      const runs = (msg: string) => logs.split("\n").filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`-r${runId}"`)).length;
      expect(runs("reconstructed")).toBe(all.length);
      expect(runs("stored")).toBe(all.length);
      // From the artifacts alone: the only extract job is the live one (the originals are gone).
      expect(runs("extracting")).toBe(0);
      const extracts = await queues.queues.extract.getJobs(["completed", "failed", "waiting", "active", "prioritized"]);
      expect(extracts.map((j) => j.id)).toEqual([liveId]);
      // Each document stored by its reconstruct job (no store job), the live one by its extract job.
      expect(await queues.queues.reconstruct.getJobCounts("completed", "failed")).toEqual({ completed: all.length, failed: 0 });
      expect(await queues.queues.store.count()).toBe(0);

      // The backfill's priority; the live job had none and finished long before the backfill.
      const job = await queues.queues.reconstruct.getJob(jobIdOf({ documentId: `sha256-${all[0]}`, runId }));
      expect(job?.opts.priority).toBe(10);
      expect((job?.data as { runId?: string }).runId).toBe(runId);
      const liveJob = await queues.queues.extract.getJob(liveId);
      expect(liveJob?.opts.priority ?? 0).toBe(0);
      const backfillDone = (await queues.queues.reconstruct.getJobs(["completed"])).map((j) => j.finishedOn ?? 0);
      const after = backfillDone.filter((t) => t > (liveJob?.finishedOn ?? Infinity)).length;
      expect(remainingWhenLiveDone).toBeGreaterThan(100);
      expect(after).toBeGreaterThan(100);
      process.stdout.write(
        `backfill: ${docsAtInterrupt} documents in the run at SIGINT; live upload done with ${remainingWhenLiveDone} backfill documents left, ${after} reconstruct jobs finished after it\n`,
      );
    }, 240_000);

    it("the change summary names exactly the documents and cells that changed", async () => {
      const summary = JSON.parse(readFileSync(join(summaryDir, "summary.json"), "utf8")) as {
        changes: { documentId: string; status: { before: string; after: string }; fields: { path: string }[] }[];
        totals: { documents: number; done: number; changedDocuments: number; byStatus: Record<string, number> };
      };
      expect(summary.totals.documents).toBe(all.length);
      expect(summary.totals.done).toBe(all.length);
      expect(Object.values(summary.totals.byStatus).reduce((a, b) => a + b, 0)).toBe(all.length);
      const got = new Map(summary.changes.map((c) => [c.documentId, c]));
      expect([...got.keys()].sort()).toEqual([...expectedChanges.keys()].map((s) => `sha256-${s}`).sort());
      for (const [sha, want] of expectedChanges) {
        const c = got.get(`sha256-${sha}`);
        expect(c?.fields.map((f) => f.path)).toEqual(want.fields);
        expect(c?.status.before !== c?.status.after).toBe(want.statusChanges);
      }
      // The CSV: one row per changed cell or status.
      const csv = readFileSync(join(summaryDir, "changes.csv"), "utf8").trim().split("\n");
      const rows = [...expectedChanges.values()].reduce((n, c) => n + c.fields.length + (c.statusChanges ? 1 : 0), 0);
      expect(csv).toHaveLength(1 + rows);
      expect(readFileSync(join(summaryDir, "summary.txt"), "utf8")).toContain(`changed against the previous version: ${expectedChanges.size} documents`);
    });

    it("running it again does nothing", async () => {
      const again = await cli(`${prefix}-reprocess-3`, ["reprocess", "--all", "--from", "reconstruct", "--out", summaryDir], env, root);
      expect(again.code).toBe(0);
      // Every seeded document, and the live upload, is at this version already.
      expect(again.stderr).toContain(`enqueued 0 (0 at reconstruct, 0 at extract); ${all.length + 1} already at ${PIPELINE_VERSION}`);
      expect(await queues.queues.reconstruct.getJobCounts("completed")).toEqual({ completed: all.length });
      expect(await queues.queues.extract.getJobCounts("completed")).toEqual({ completed: 1 });
    }, 60_000);

    it("nianbao report --year 2023 lists the R6 disagreement the backfill brought out, and the agencies missing 2023", async () => {
      // The old results agreed (first test): the finding is the backfill's.
      const text = await cli(`${prefix}-report`, ["report", "--year", "2023"], env, root);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/R6 disagreements .*: 1 agency\n {2}青川市退役军人事务局/);
      expect(text.stdout).toContain("applications.carriedOver.naturalPerson: 2022 carried forward 1, 2023 carried over 4");
      const json = JSON.parse((await cli(`${prefix}-report-json`, ["report", "--year", "2023", "--format", "json"], env, root)).stdout) as Awaited<
        ReturnType<typeof crossYearReport>
      >;
      expect(json.disagreements.map((d) => [d.agency, d.documentId])).toEqual([["青川市退役军人事务局", `sha256-${r6Pair.y2023}`]]);
      expect(json.disagreements[0]?.columns.map((c) => [c.path, c.previousCarriedForward, c.carriedOver])).toEqual([
        ["applications.carriedOver.naturalPerson", 1, 4],
        ["applications.carriedOver.commercialEnterprise", 0, 1],
        ["applications.carriedOver.total", 1, 5],
      ]);
      expect(json.missing.map((m) => m.agency)).toEqual(["云塘市柳川区人民政府", "槐川县卫生健康委员会"]);
      const csv = (await cli(`${prefix}-report-csv`, ["report", "--year", "2023", "--format", "csv"], env, root)).stdout.trim().split("\n");
      expect(csv[0]).toBe("kind,agency,agency_key,year,previous_year,document,file,path,previous_carried_forward,carried_over,message");
      expect(csv.filter((l) => l.startsWith("r6,"))).toHaveLength(3);
      expect(csv.filter((l) => l.startsWith("missing,"))).toHaveLength(2);
      expect((await cli(`${prefix}-report-usage`, ["report"], env, root)).code).toBe(2);
    }, 60_000);

    if (!extras) return;

    it("imports a deep tree at backfill priority, year and agency read from the documents", async () => {
      const tree = join(root, "import");
      const files: [string, Buffer][] = [
        ["档案/2030/错误的机关/甲/乙/丙/legacy.txt", readFileSync(new URL("../fixtures/legacy/qinghequ-fagaiju-2016.txt", import.meta.url))],
        ["档案/2030/错误的机关/s027.txt", Buffer.concat([readFileSync(join(CORPUS, "synthetic/s027.txt")), Buffer.from(`\n# ${prefix} import\n`)])],
        ["s024.html", Buffer.concat([readFileSync(join(CORPUS, "synthetic/s024.html")), Buffer.from(`<!-- ${prefix} import -->`)])],
      ];
      for (const [key, bytes] of files) {
        mkdirSync(join(tree, key, ".."), { recursive: true });
        writeFileSync(join(tree, key), bytes);
      }
      const out = await cli(`${prefix}-import`, ["import", tree], env, root);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain("3 enqueued, 0 already ingested, 0 failed");
      const shas = files.map(([, b]) => sha256(b));
      await waitFor("the imported documents", async () => (await Promise.all(shas.map((s) => store.hasResult(s, PIPELINE_VERSION)))).every(Boolean), 60_000);
      const [legacy, y2019] = await Promise.all(shas.slice(0, 2).map((s) => store.getResult(s, PIPELINE_VERSION)));
      expect([legacy?.envelope.report.format, legacy?.envelope.report.year, legacy?.envelope.report.agency]).toEqual(["legacy", 2016, "清河市清河区发展和改革局"]);
      expect([y2019?.envelope.report.format, y2019?.envelope.report.year, y2019?.envelope.report.agency]).toEqual(["2019", 2019, "槐塘市教育局"]);
      expect(y2019?.source?.key).toBe("档案/2030/错误的机关/s027.txt");
      for (const s of shas) expect((await queues.queues.extract.getJob(`sha256-${s}`))?.opts.priority).toBe(10);
      const again = await cli(`${prefix}-import-2`, ["import", tree], env, root);
      expect(again.stdout).toContain("0 enqueued, 3 already ingested, 0 failed");
    }, 90_000);

    it("imports an S3 prefix, and selects by it", async () => {
      const client = s3?.client as S3Client;
      const objects = ["2019/某市/a/s027.txt", "2022/某县/b/c/s019.html"].map((key, i) => {
        const file = key.split("/").pop() as string;
        const bytes = Buffer.concat([readFileSync(join(CORPUS, "synthetic", file)), Buffer.from(`\n# ${prefix} s3 ${i}\n`)]);
        return { key: `reports/${key}`, bytes };
      });
      for (const o of objects) await client.send(new PutObjectCommand({ Bucket: "archive", Key: o.key, Body: o.bytes }));
      await client.send(new PutObjectCommand({ Bucket: "archive", Key: "elsewhere/s016.txt", Body: readFileSync(join(CORPUS, "synthetic/s016.txt")) }));

      const out = await cli(`${prefix}-import-s3`, ["import", "s3://archive/reports/"], env, root);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain("import s3://archive/reports/: 2 enqueued, 0 already ingested, 0 failed");
      const shas = objects.map((o) => sha256(o.bytes));
      await waitFor("the S3 documents", async () => (await Promise.all(shas.map((x) => store.hasResult(x, PIPELINE_VERSION)))).every(Boolean), 60_000);
      expect((await store.getResult(shas[1] as string))?.source).toMatchObject({ uri: "s3://archive/reports/2022/某县/b/c/s019.html", key: "2022/某县/b/c/s019.html" });

      // Only the object under 2022/ is selected (and it is current: nothing to enqueue).
      const dry = await cli(`${prefix}-dry-s3`, ["reprocess", "s3://archive/reports/2022/", "--dry-run"], env, root);
      expect(dry.stdout.trim()).toMatch(/: 1 matched; would enqueue 0 \(0 at reconstruct, 0 at extract\); 1 already at /);
    }, 90_000);

    it("reprocesses a path from the originals where no artifact is stored, and retries a failure", async () => {
      const dir = join(root, "no-artifacts");
      const base = readFileSync(join(CORPUS, "synthetic/s032.txt"));
      const shas: string[] = [];
      for (let i = 0; i < 4; i++)
        shas.push(await seed(Buffer.concat([base, Buffer.from(`\n# ${prefix} extract ${i}\n`)]), `x/${i}.txt`, { artifact: false, dir }));
      const missing = join(dir, "x", "3.txt");
      renameSync(missing, `${missing}.away`);

      const first = await cli(`${prefix}-extract-1`, ["reprocess", dir, "--out", join(root, "extract-summary")], env, root);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain("enqueued 4 (0 at reconstruct, 4 at extract)");
      expect(first.stdout).toContain("4 documents: 3 done, 1 failed, 0 remaining");
      expect(first.stdout).toContain("failures: missing 1");
      expect(readFileSync(join(root, "extract-summary", "failures.csv"), "utf8")).toContain(`sha256-${shas[3]},missing`);

      renameSync(`${missing}.away`, missing);
      const rerun = await cli(`${prefix}-extract-2`, ["reprocess", dir, "--out", join(root, "extract-summary")], env, root);
      expect(rerun.stderr).toContain("1 failed earlier in this run (--retry-failed to retry)");
      const retry = await cli(`${prefix}-extract-3`, ["reprocess", dir, "--retry-failed", "--out", join(root, "extract-summary")], env, root);
      expect(retry.code).toBe(0);
      expect(retry.stdout).toContain("4 documents: 4 done, 0 failed, 0 remaining");
      for (const s of shas) expect(await store.hasResult(s, PIPELINE_VERSION)).toBe(true);
    }, 90_000);
  });
}
