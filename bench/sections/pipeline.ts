/**
 * The pipeline through Redis and BullMQ, against the same work in-process.
 *
 * - queue: the same documents through 2 `nianbao worker` processes (one parser thread each)
 *   against 2 plain processes calling extractBytes() and buildEnvelope() and storing the
 *   extraction and the result in a file store of their own, as a worker does. The overhead is
 *   the throughput lost: Redis, BullMQ, the parser thread, the bucket.
 * - scale: a 10,000-document backfill (corpus copies with varied bytes) through 2 workers:
 *   throughput, worker peak RSS and its trend (a leak shows as growth), Redis memory during
 *   and after, and the size of the output store.
 *
 * Both need Redis (REDIS_URL, default redis://127.0.0.1:6379) and the compiled CLI.
 */
import { createHash } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import type { Queue } from "bullmq";
import { Redis } from "ioredis";
import { loadConfig } from "../../src/config.js";
import { openStore } from "../../src/store/index.js";
import { StageQueues } from "../../queues/connection.js";
import { ENQUEUE_BATCH, Producer } from "../../queues/producer.js";
import { repoRoot, type CorpusDocument } from "../corpus.js";
import type { BenchContext, Section, SectionResult } from "../section.js";
import { cpuSeconds } from "../proc.js";
import { mb } from "../stats.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const WORKERS = 2;

async function redisSkip(): Promise<string | undefined> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (e) {
    return `Redis not reachable at ${REDIS_URL} (${(e as Error).message}); start it (bash .ci/services.sh)`;
  } finally {
    r.disconnect();
  }
}

/** Formats whose bytes can take a trailing comment without changing what they say. */
const VARIABLE: Record<string, (bytes: Uint8Array, tag: string) => Uint8Array> = {
  pdf: (b, tag) => Buffer.concat([b, Buffer.from(`\n% bench copy ${tag}\n`)]),
  html: (b, tag) => Buffer.concat([b, Buffer.from(`\n<!-- bench copy ${tag} -->\n`)]),
  txt: (b, tag) => Buffer.concat([b, Buffer.from(`\n（副本 ${tag}）\n`)]),
};

/** `count` documents with distinct bytes, cycling over the corpus (PDFs one time in `pdfEvery`). */
function copies(corpus: readonly CorpusDocument[], count: number, pdfEvery: number, salt: string): { name: string; bytes: Uint8Array }[] {
  const light = corpus.filter((d) => d.format === "html" || d.format === "txt");
  const pdfs = corpus.filter((d) => d.format === "pdf");
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    const pool = pdfs.length && i % pdfEvery === 0 ? pdfs : light;
    const d = pool[i % pool.length] as CorpusDocument;
    const vary = VARIABLE[d.format] as (b: Uint8Array, tag: string) => Uint8Array;
    out.push({ name: `${String(i).padStart(6, "0")}-${d.fileName}`, bytes: vary(d.bytes, `${salt}-${i}`) });
  }
  return out;
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  return Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0) + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
}

function duMb(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return mb(total);
}

interface Run {
  seconds: number;
  docs: number;
  /** CPU seconds the workers used between the first enqueue and the last result (all their threads). */
  workerCpu: number;
  /** CPU seconds Redis used in that time. */
  redisCpu: number;
  rssSamples: number[][];
  redisSamples: number[];
  redisAfter: number;
  storeMb: number;
}

/** How often the queued run counts finished documents, ms (a divisor of 500). */
const POLL_MS = 50;

/** Waits until `workers` processes listen on `queue` (BullMQ names their connections), at most 60 s. */
async function workersListening(queue: Queue, workers: ChildProcess[]): Promise<void> {
  const until = performance.now() + 60_000;
  while ((await queue.getWorkersCount()) < workers.length) {
    if (performance.now() > until) throw new Error(`${workers.length} workers did not start listening within 60 s`);
    const dead = workers.find((w) => w.exitCode !== null);
    if (dead) throw new Error(`a worker exited with ${dead.exitCode} before it listened`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `docs` through `WORKERS` nianbao worker processes with a fresh queue prefix and file store. */
async function throughQueue(ctx: BenchContext, docs: { name: string; bytes: Uint8Array }[], tag: string): Promise<Run> {
  const root = mkdtempSync(join(tmpdir(), `nianbao-bench-${tag}-`));
  const inbox = join(root, "inbox");
  mkdirSync(inbox);
  for (const d of docs) writeFileSync(join(inbox, d.name), d.bytes);
  const prefix = `bench${tag}${process.pid}`;
  const env = { ...process.env, REDIS_URL, QUEUE_PREFIX: prefix, STORE_URL: join(root, "out"), CONCURRENCY: "1", LOG_LEVEL: "warn" };
  const config = loadConfig(env);
  const store = openStore(config.STORE_URL);
  await store.init();
  const queues = new StageQueues(config, "producer");
  const redis = new Redis(REDIS_URL);
  const cli = join(repoRoot(), "dist", "cli", "main.js");
  const workers: ChildProcess[] = Array.from({ length: WORKERS }, () => spawn(process.execPath, [cli, "worker"], { env, stdio: "ignore" }));
  const rssSamples: number[][] = workers.map(() => []);
  const redisSamples: number[] = [];
  try {
    // The clock starts once every worker listens (pdf.js is loaded in their parser threads on
    // the first job, as the in-process side loads it on its first document).
    await workersListening(queues.queues.extract, workers);
    const producer = new Producer(queues, store, pathToFileURL(inbox).href, config.QUEUE_PREFIX);
    const t0 = performance.now();
    const cpu0 = workers.reduce((a, w) => a + cpuSeconds(w.pid), 0);
    const redis0 = await redisCpu(redis);
    // As the watcher does: hashed and enqueued ENQUEUE_BATCH at a time, one addBulk each.
    for (let start = 0; start < docs.length; start += ENQUEUE_BATCH) {
      const batch = docs.slice(start, start + ENQUEUE_BATCH).map((d) => ({
        object: { uri: pathToFileURL(join(inbox, d.name)).href, key: d.name, size: d.bytes.byteLength, mtime: null },
        sha: createHash("sha256").update(d.bytes).digest("hex"),
      }));
      await producer.enqueueMany(batch);
    }
    let done = 0;
    let lastLog = 0;
    let polls = 0;
    while (done < docs.length) {
      // Counted often (the run takes seconds, so a coarse poll would add to its time); the
      // samples of RSS and Redis memory every 500 ms.
      await new Promise((r) => setTimeout(r, POLL_MS));
      const sample = ++polls % (500 / POLL_MS) === 0;
      // A new document's extract job completes once its result is stored (or fails).
      const c = await queues.queues.extract.getJobCounts("completed");
      const f = await Promise.all(Object.values(queues.queues).map((q) => q.getJobCounts("failed")));
      done = (c.completed ?? 0) + f.reduce((a, x) => a + (x.failed ?? 0), 0);
      if (!sample) continue;
      workers.forEach((w, i) => {
        const v = w.pid ? rssMb(w.pid) : null;
        if (v !== null) rssSamples[i]?.push(v);
      });
      const info = await redis.info("memory");
      redisSamples.push(mb(Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)));
      if (performance.now() - lastLog > 10_000) {
        ctx.log(`${tag}: ${done}/${docs.length} documents`);
        lastLog = performance.now();
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const workerCpu = workers.reduce((a, w) => a + cpuSeconds(w.pid), 0) - cpu0;
    const redisUsed = (await redisCpu(redis)) - redis0;
    const after = mb(Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1] ?? 0));
    return { seconds, docs: docs.length, workerCpu, redisCpu: redisUsed, rssSamples, redisSamples, redisAfter: after, storeMb: duMb(join(root, "out")) };
  } finally {
    for (const w of workers) w.kill("SIGTERM");
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once("exit", r)))));
    for (const q of Object.values(queues.queues)) await q.obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    await store.close();
    redis.disconnect();
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The same documents in `WORKERS` plain processes, each stored as a worker's extract stage
 * stores it (the extraction as an artifact, then the result, in a file store of their own),
 * with the V8 settings a worker's parser threads get (src/tuning.ts). As on the queued side, the
 * clock starts once all of them are ready (modules loaded, store open) and stops at the last
 * document stored. Their wall seconds, and the CPU seconds they used in between, in all.
 */
async function inProcess(docs: { name: string; bytes: Uint8Array }[]): Promise<{ seconds: number; cpu: number }> {
  const root = mkdtempSync(join(tmpdir(), "nianbao-bench-inproc-"));
  const parts = Array.from({ length: WORKERS }, (_, i) => docs.filter((_, j) => j % WORKERS === i));
  parts.forEach((p, i) => {
    mkdirSync(join(root, `in${i}`));
    for (const d of p) writeFileSync(join(root, `in${i}`, d.name), d.bytes);
  });
  const dist = join(repoRoot(), "dist");
  const script = `
    const { readdirSync, readFileSync } = require("node:fs");
    const { join } = require("node:path");
    (async () => {
      (await import(${JSON.stringify(pathToFileURL(join(dist, "src/tuning.js")).href)})).tuneV8ForParsing();
      const { extractBytes, buildEnvelope } = await import(${JSON.stringify(pathToFileURL(join(dist, "src/process.js")).href)});
      const { extractionKey } = await import(${JSON.stringify(pathToFileURL(join(dist, "queues/jobs.js")).href)});
      const { openStore } = await import(${JSON.stringify(pathToFileURL(join(dist, "src/store/index.js")).href)});
      const [dir, out] = process.argv.slice(1);
      const store = openStore(out); await store.init();
      process.stdout.write("ready\\n");
      await new Promise((r) => process.stdin.once("data", r));
      const cpu0 = process.cpuUsage();
      for (const f of readdirSync(dir)) {
        try {
          const extraction = await extractBytes(readFileSync(join(dir, f)), { fileName: f });
          await store.putArtifact(extractionKey(extraction.sha256), JSON.stringify(extraction.document));
          await store.putResult(buildEnvelope(extraction), null);
        } catch {}
      }
      const cpu = process.cpuUsage(cpu0);
      process.stdout.write(JSON.stringify({ cpu: (cpu.user + cpu.system) / 1e6 }) + "\\n");
      await store.close();
      process.stdin.destroy();
    })();`;
  const children = parts.map((_, i) => spawn(process.execPath, ["-e", script, join(root, `in${i}`), join(root, `out${i}`)], { stdio: ["pipe", "pipe", "inherit"] }));
  // Each child's next line of output ("ready", then its CPU), or its exit before it.
  const lines = children.map((c) => {
    const it = createInterface({ input: c.stdout })[Symbol.asyncIterator]();
    const failed = new Promise<never>((_, reject) => c.once("exit", (code) => reject(new Error(`in-process run exited ${code}`))));
    return async () => {
      const line = await Promise.race([it.next(), failed]);
      if (line.done) throw new Error("in-process run ended its output early");
      return line.value;
    };
  });
  const exited = children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r))));
  try {
    await Promise.all(lines.map((next) => next()));
    const t0 = performance.now();
    for (const c of children) c.stdin.write("go\n");
    const cpus = await Promise.all(lines.map(async (next) => (JSON.parse(await next()) as { cpu: number }).cpu));
    const seconds = (performance.now() - t0) / 1000;
    await Promise.all(exited);
    return { seconds, cpu: cpus.reduce((a, b) => a + b, 0) };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
    rmSync(root, { recursive: true, force: true });
  }
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export const queueSection: Section = {
  id: "queue",
  title: `Queue overhead: Redis + BullMQ with ${WORKERS} workers vs ${WORKERS} in-process processes`,
  selectors: ["pipeline"],
  skip: redisSkip,
  async run(ctx): Promise<SectionResult> {
    const n = ctx.quick ? 120 : 600;
    const docs = copies(ctx.corpus, n, 5, "queue");
    // Pairs of runs, one side then the other, so that both sides of a pair see the same load;
    // the figure is the median pair's. Five: on the 2-core machine of issue 12, single pairs
    // ranged from -5% to +22% within one sitting.
    const rounds = ctx.quick ? 1 : 5;
    const pairs: { local: { seconds: number; cpu: number }; queued: Run; overhead: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      ctx.log(`queue: round ${r + 1} of ${rounds}`);
      const local = await inProcess(docs);
      const queued = await throughQueue(ctx, docs, "queue");
      pairs.push({ local, queued, overhead: 1 - local.seconds / queued.seconds });
    }
    const median = [...pairs].sort((x, y) => x.overhead - y.overhead)[(pairs.length - 1) >> 1]!;
    const { local, queued, overhead } = median;
    const localRate = n / local.seconds;
    const queueRate = n / queued.seconds;
    ctx.metrics.set("queue.inProcessDocsPerS", localRate);
    ctx.metrics.set("queue.queueDocsPerS", queueRate);
    ctx.metrics.set("queue.overheadShare", overhead);
    const perDoc = (cpu: number) => (1000 * cpu) / n;
    ctx.metrics.set("queue.inProcessCpuMsPerDoc", perDoc(local.cpu));
    ctx.metrics.set("queue.workerCpuMsPerDoc", perDoc(queued.workerCpu));
    const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
    return {
      tables: [
        {
          columns: [
            { key: "how", label: "run" },
            { key: "docs", label: "documents", digits: 0 },
            { key: "seconds", label: "seconds" },
            { key: "rate", label: "docs/s" },
            { key: "cpu", label: "CPU ms/doc" },
          ],
          rows: [
            { how: `in-process, ${WORKERS} processes`, docs: n, seconds: local.seconds, rate: localRate, cpu: perDoc(local.cpu) },
            { how: `Redis + BullMQ, ${WORKERS} workers`, docs: n, seconds: queued.seconds, rate: queueRate, cpu: perDoc(queued.workerCpu) },
            { how: "Redis itself, during the queued run", docs: n, seconds: null, rate: null, cpu: perDoc(queued.redisCpu) },
          ],
        },
      ],
      notes: [
        `documents: corpus html/txt copies, a PDF every 5th, each with distinct bytes; both sides store each one's extraction and result in a file store`,
        `queue overhead: ${percent(overhead)} of throughput (target < 10%), the median of ${rounds} pair(s) of runs (in-process, then queued): ${pairs.map((p) => percent(p.overhead)).join(", ")}; the table shows that pair`,
        `both sides timed from when all their processes were ready (modules loaded; the workers listening) to the last document stored; CPU ms/doc: every thread of the processes over that time; Redis's is on top of the workers'`,
      ],
    };
  },
};

export const scaleSection: Section = {
  id: "scale",
  title: "Scale: a 10,000-document backfill through 2 workers",
  selectors: ["pipeline"],
  skip: redisSkip,
  async run(ctx): Promise<SectionResult> {
    const n = ctx.quick ? 400 : Number(process.env.BENCH_SCALE_DOCS ?? 10_000);
    const docs = copies(ctx.corpus, n, 10, "scale");
    const run = await throughQueue(ctx, docs, "scale");
    const peak = Math.max(0, ...run.rssSamples.flat());
    // the trend of each worker's RSS: the mean of its last fifth of samples against its second fifth
    const trend = run.rssSamples.map((s) => {
      const k = Math.max(1, Math.floor(s.length / 5));
      return mean(s.slice(-k)) - mean(s.slice(k, 2 * k));
    });
    ctx.metrics.set("scale.docsPerS", n / run.seconds);
    ctx.metrics.set("scale.workerPeakRssMb", peak);
    ctx.metrics.set("scale.workerRssGrowthMb", Math.max(...trend));
    ctx.metrics.set("scale.redisPeakMb", Math.max(0, ...run.redisSamples));
    ctx.metrics.set("scale.redisAfterMb", run.redisAfter);
    ctx.metrics.set("scale.storeMb", run.storeMb);
    return {
      tables: [
        {
          columns: [
            { key: "figure", label: "figure" },
            { key: "value", label: "value" },
          ],
          rows: [
            { figure: "documents", value: n },
            { figure: "seconds", value: run.seconds },
            { figure: "throughput, docs/s", value: n / run.seconds },
            { figure: "worker peak RSS, MB", value: peak },
            { figure: "worker RSS growth, last fifth vs second fifth, MB", value: Math.max(...trend) },
            { figure: "Redis used_memory peak during the run, MB", value: Math.max(0, ...run.redisSamples) },
            { figure: "Redis used_memory after the run, MB", value: run.redisAfter },
            { figure: "output store size, MB", value: run.storeMb },
          ],
        },
      ],
      notes: [
        `documents: corpus html/txt copies and a PDF every 10th, each with distinct bytes (BENCH_SCALE_DOCS to change the count)`,
        `retention: completed jobs are kept KEEP_COMPLETED_S (1 day) and at most 10,000 per queue, so Redis after the run holds that bounded tail`,
      ],
    };
  },
};
