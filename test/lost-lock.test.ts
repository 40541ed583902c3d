/**
 * A stage whose job's lock was lost (the job was taken for stalled, and perhaps failed
 * already) stores nothing and hands nothing on: the extract, reconstruct and store
 * processors, on a real Redis and a real file store, with the parsing and reconstruct steps
 * in a real parser thread.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, Worker, type ConnectionOptions, type Job } from "bullmq";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBucket } from "../src/bucket/index.js";
import { loadConfig } from "../src/config.js";
import type { Envelope } from "../src/model.js";
import { buildEnvelope, extractBytes, PIPELINE_VERSION } from "../src/process.js";
import { openStore } from "../src/store/index.js";
import type { OutputStore } from "../src/store/types.js";
import { documentIdOf, envelopeKey, extractionKey } from "../queues/jobs.js";
import { QUEUE_NAMES, STAGES, type Stage } from "../queues/names.js";
import { RunState } from "../queues/runs.js";
import { ExtractPool } from "../workers/extract-pool.js";
import { LostLockError, processors } from "../workers/processors.js";
import { corpusFile } from "./support/corpus.js";
import { REDIS_URL, uniquePrefix } from "./support/pipeline.js";

describe("a job whose lock was lost", () => {
  const prefix = uniquePrefix("lock");
  const dir = mkdtempSync(join(tmpdir(), "nianbao-lost-lock-"));
  const config = loadConfig({}, { QUEUE_PREFIX: prefix, STORE_URL: join(dir, "out"), REDIS_URL, LOCK_DURATION_MS: "30000" });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const connection = redis as unknown as ConnectionOptions;
  const queues = Object.fromEntries(STAGES.map((s) => [s, new Queue(QUEUE_NAMES[s], { connection, prefix })])) as Record<Stage, Queue>;
  const pool = new ExtractPool({ size: 1, memoryMb: 512, script: new URL("../dist/workers/extract-thread.js", import.meta.url) });
  let store: OutputStore;
  let procs: ReturnType<typeof processors>;
  let sha: string;
  /** The document's envelope and its validation status, as buildEnvelope gives them on this thread. */
  let envelope: Envelope;
  let status: string;
  let data: { documentId: string; bucket: string; source: { uri: string; key: string; size: number }; fileName: string };

  beforeAll(async () => {
    store = openStore(config.STORE_URL);
    await store.init();
    const bytes = readFileSync(corpusFile("s007.txt"));
    writeFileSync(join(dir, "s007.txt"), bytes);
    const extraction = await extractBytes(bytes, { fileName: "s007.txt" });
    sha = extraction.sha256;
    envelope = buildEnvelope(extraction);
    status = envelope.validation.status;
    await store.putArtifact(extractionKey(sha), JSON.stringify(extraction.document));
    data = { documentId: documentIdOf(sha), bucket: dir, source: { uri: `file://${dir}/s007.txt`, key: "s007.txt", size: bytes.length }, fileName: "s007.txt" };
    procs = processors({
      config,
      store,
      bucket: async (root) => openBucket(root),
      pool,
      queues,
      runs: (runId) => new RunState(redis, prefix, runId, 60),
      log: pino({ level: "silent" }),
    });
  });

  afterAll(async () => {
    for (const q of Object.values(queues)) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close();
    }
    await pool.close();
    await store.close();
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The job of `stage`, taken by a worker with `token` (so it holds the job's lock). */
  async function take(stage: Stage, jobData: object, token: string): Promise<{ job: Job; worker: Worker }> {
    await queues[stage].add(stage, jobData, { jobId: data.documentId });
    const worker = new Worker(QUEUE_NAMES[stage], null, { connection, prefix, autorun: false });
    const job = (await worker.getNextJob(token)) as Job;
    expect(job.id).toBe(data.documentId);
    return { job, worker };
  }
  const loseLock = (stage: Stage) => redis.del(`${prefix}:${QUEUE_NAMES[stage]}:${data.documentId}:lock`);

  it("reconstruct: the envelope is built in the thread, then nothing is stored or handed on", async () => {
    const { job, worker } = await take("reconstruct", { ...data, artifactKey: extractionKey(sha) }, "token-a");
    await loseLock("reconstruct");
    await expect(procs.reconstruct(job, "token-a")).rejects.toBeInstanceOf(LostLockError);
    expect(await queues.store.getJob(data.documentId)).toBeUndefined();
    expect(await store.hasResult(sha, PIPELINE_VERSION)).toBe(false);
    await worker.close();
    await queues.reconstruct.obliterate({ force: true });
  });

  it("extract: the file is parsed and reconstructed in the thread, then nothing is stored or handed on", async () => {
    const { job, worker } = await take("extract", data, "token-e");
    await loseLock("extract");
    await expect(procs.extract(job, "token-e")).rejects.toBeInstanceOf(LostLockError);
    for (const stage of ["reconstruct", "store"] as const) expect(await queues[stage].getJob(data.documentId)).toBeUndefined();
    expect(await store.hasResult(sha, PIPELINE_VERSION)).toBe(false);
    await worker.close();
    await queues.extract.obliterate({ force: true });
  });

  it("store (a store job an earlier version added): a job whose lock was lost stores no result", async () => {
    await store.putArtifact(envelopeKey(sha, PIPELINE_VERSION), JSON.stringify(envelope));
    const lost = await take("store", { ...data, envelopeKey: envelopeKey(sha, PIPELINE_VERSION) }, "token-c");
    await loseLock("store");
    await expect(procs.store(lost.job, "token-c")).rejects.toThrow(/no longer this worker's \(its lock was lost\)/);
    expect(await store.hasResult(sha, PIPELINE_VERSION)).toBe(false);
    await lost.worker.close();
    await queues.store.obliterate({ force: true });
  });

  it("reconstruct with its lock: the result is stored, and no store job added", async () => {
    const { job, worker } = await take("reconstruct", { ...data, artifactKey: extractionKey(sha) }, "token-b");
    await expect(procs.reconstruct(job, "token-b")).resolves.toMatchObject({ status });
    expect(await store.hasResult(sha, PIPELINE_VERSION)).toBe(true);
    expect(await queues.store.getJob(data.documentId)).toBeUndefined();
    await worker.close();
  });

  it("store with its lock: the result is stored", async () => {
    const held = await take("store", { ...data, envelopeKey: envelopeKey(sha, PIPELINE_VERSION) }, "token-d");
    await expect(procs.store(held.job, "token-d")).resolves.toMatchObject({ status });
    expect(await store.hasResult(sha, PIPELINE_VERSION)).toBe(true);
    await held.worker.close();
  });
});
