/**
 * The pipeline reading its uploads from an S3-compatible bucket (a real s3rver): objects put
 * with the AWS SDK under the watched prefix end in the store with the same cells as
 * `nianbao extract`; objects outside the prefix are ignored; the originals are untouched.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { PIPELINE_VERSION, processBytes, sha256 } from "../src/process.js";
import { openStore } from "../src/store/index.js";
import type { OutputStore } from "../src/store/types.js";
import { StageQueues } from "../queues/connection.js";
import { CORPUS } from "./support/corpus.js";
import { pipelineEnv, startCli, stop, uniquePrefix, waitFor, type Proc } from "./support/pipeline.js";
import { S3RVER_CREDENTIALS, startS3rver } from "./support/s3rver.js";

const BUCKET = "uploads";
const FILES = ["synthetic/s005.pdf", "synthetic/s008.docx", "synthetic/s022.doc", "synthetic/s033.html", "seed/jingzhouqu-2021.txt"];

describe.sequential("pipeline with an S3 upload bucket", () => {
  const prefix = uniquePrefix("s");
  const root = mkdtempSync(join(tmpdir(), "nianbao-e2e-s3-"));
  let server: ChildProcess;
  let client: S3Client;
  let store: OutputStore;
  let queues: StageQueues;
  let proc: Proc;

  beforeAll(async () => {
    const s3 = await startS3rver(join(root, "s3"), BUCKET);
    server = s3.child;
    const endpoint = `http://127.0.0.1:${s3.port}`;
    client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: "WHEN_REQUIRED" });
    const storeUrl = join(root, "out");
    const env = pipelineEnv(prefix, storeUrl, {
      POLL_INTERVAL_MS: "300",
      // `start` runs the dashboard too: on any free port, so the test never depends on 8080
      DASHBOARD_PORT: "0",
      S3_ENDPOINT: endpoint,
      S3_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    });
    store = openStore(storeUrl);
    await store.init();
    queues = new StageQueues(loadConfig(env), "producer");
    proc = startCli(`${prefix}-start`, ["start", `s3://${BUCKET}/inbox/`], env);
  }, 60_000);

  afterAll(async () => {
    if (proc) await stop(proc);
    if (queues) {
      for (const q of Object.values(queues.queues)) await q.obliterate({ force: true }).catch(() => undefined);
      await queues.close();
    }
    await store?.close();
    server?.stdin?.end();
    server?.kill();
  }, 60_000);

  it("processes every object under the prefix once, with the cells of nianbao extract", async () => {
    const expected = new Map<string, Awaited<ReturnType<typeof processBytes>>>();
    for (const f of FILES) {
      const bytes = readFileSync(join(CORPUS, f));
      expected.set(sha256(bytes), await processBytes(bytes));
      const name = f.split("/").pop() as string;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `inbox/2021/某县/${name}`, Body: bytes }));
    }
    // outside the watched prefix: never picked up
    const outside = Buffer.concat([readFileSync(join(CORPUS, "synthetic/s016.txt")), Buffer.from("\n外部\n")]);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "elsewhere/s016.txt", Body: outside }));

    await waitFor(
      "all results",
      async () => {
        for (const sha of expected.keys()) if (!(await store.hasResult(sha, PIPELINE_VERSION))) return false;
        return true;
      },
      90_000,
    );
    for (const [sha, want] of expected) {
      const got = await store.getResult(sha, PIPELINE_VERSION);
      expect(got?.envelope.report).toEqual(want.report);
      expect(got?.source?.uri).toMatch(new RegExp(`^s3://${BUCKET}/inbox/2021/`));
    }
    expect(await store.hasResult(sha256(outside), PIPELINE_VERSION)).toBe(false);
    const counts = await queues.queues.extract.getJobCounts("completed", "failed");
    expect(counts).toEqual({ completed: FILES.length, failed: 0 });
    // the originals are untouched
    const first = readFileSync(join(CORPUS, FILES[0] as string));
    const back = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `inbox/2021/某县/s005.pdf` }));
    expect(Buffer.from(await back.Body!.transformToByteArray()).equals(first)).toBe(true);
  }, 120_000);
});
