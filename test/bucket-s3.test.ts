/**
 * S3Bucket against a real S3-compatible server (s3rver), written to with the AWS SDK.
 *
 * s3rver runs in a child Node process started with --openssl-legacy-provider: it signs its
 * ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17+) only offers through
 * the legacy provider, so in this process every truncated listing page fails with a 500
 * (ERR_OSSL_EVP_UNSUPPORTED). Nothing else about s3rver needs it.
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ObjectGoneError, ObjectTooLargeError } from "../src/bucket/local.js";
import { S3Bucket, type S3BucketOptions } from "../src/bucket/s3.js";
import { startS3rver } from "./support/s3rver.js";

const BUCKET = "uploads";
const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

let dataDir: string;
let server: ChildProcess | undefined;
let endpoint: string;
let client: S3Client;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "nianbao-s3rver-"));
  const started = await startS3rver(dataDir, BUCKET);
  server = started.child;
  endpoint = `http://127.0.0.1:${started.port}`;
  client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
});

afterAll(async () => {
  client?.destroy();
  const child = server;
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function open(url: string, options: S3BucketOptions = {}): S3Bucket {
  // env: {} so that S3_* variables around the test run can't change what is tested.
  return new S3Bucket(url, { endpoint, credentials, env: {}, ...options });
}

async function put(key: string, body: string | Uint8Array): Promise<string> {
  const out = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  return out.ETag ?? "";
}

/** An S3 event notification as AWS (and MinIO's webhook, with `s3:` in eventName) send it. */
function createdEvent(key: string, size: number, eTag: string, extra: { bucket?: string; versionId?: string } = {}) {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "us-east-1",
        eventTime: "2024-03-01T02:03:04.000Z",
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "inbox",
          bucket: { name: extra.bucket ?? BUCKET, arn: `arn:aws:s3:::${extra.bucket ?? BUCKET}` },
          object: {
            // Keys are form-encoded in events: '+' for spaces.
            key: encodeURIComponent(key).replace(/%20/g, "+"),
            size,
            eTag,
            ...(extra.versionId ? { versionId: extra.versionId } : {}),
            sequencer: "0055AED6DCD90281E5",
          },
        },
      },
    ],
  };
}

describe("S3Bucket", () => {
  it("polls exactly the objects under the prefix, each once, and reads identical bytes", async () => {
    const pdf = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7) % 256));
    const chineseKey = "incoming/2021/淮安市/淮安市人民政府 2021年 政府信息公开工作年度报告.pdf";
    await put(chineseKey, pdf);
    await put("incoming/plain.html", "<html>表一</html>");
    await put("incoming/folder/", ""); // a "folder" placeholder
    await put("elsewhere/outside.pdf", "not ours");
    await put("incomingX/lookalike.pdf", "not ours either");

    const bucket = open("s3://uploads/incoming");
    expect(bucket.root).toBe("s3://uploads/incoming/");
    const objects = await bucket.poll();
    expect(objects.map((o) => o.key).sort()).toEqual(
      ["2021/淮安市/淮安市人民政府 2021年 政府信息公开工作年度报告.pdf", "plain.html"].sort(),
    );
    const report = objects.find((o) => o.key.endsWith(".pdf"));
    expect(report).toMatchObject({ uri: `s3://uploads/${chineseKey}`, size: pdf.length, versionId: null });
    expect(report?.etag).toMatch(/^[0-9a-f]{32}$/); // unquoted
    expect(report?.mtime).toMatch(/^\d{4}-\d\d-\d\dT/);

    expect(report && (await bucket.read(report)).equals(pdf)).toBe(true);
    expect(await bucket.poll()).toEqual([]);

    // A new version of the same key (different ETag) is returned again.
    await put("incoming/plain.html", "<html>表一 更正</html>");
    const again = await bucket.poll();
    expect(again.map((o) => o.key)).toEqual(["plain.html"]);
    expect(again[0] && (await bucket.read(again[0])).toString()).toBe("<html>表一 更正</html>");
    expect(await bucket.poll()).toEqual([]);

    // read() stays inside its bucket and prefix.
    await expect(bucket.read({ uri: "s3://uploads/elsewhere/outside.pdf" })).rejects.toThrow(/outside/);
    await expect(bucket.read({ uri: "s3://other/incoming/x.pdf" })).rejects.toThrow(/not in bucket/);
    await bucket.close();
  });

  it("paginates: 1,100 objects come back from one poll, once", async () => {
    const keys = Array.from({ length: 1100 }, (_, i) => `many/${String(i).padStart(4, "0")}.txt`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => put(key, key)));
    }
    const bucket = open("s3://uploads/many/");
    const objects = await bucket.poll();
    expect(objects).toHaveLength(1100);
    expect(new Set(objects.map((o) => o.key)).size).toBe(1100);
    expect(await bucket.poll()).toEqual([]);
    await bucket.close();

    // Smaller pages (five requests) give the same set.
    const paged = open("s3://uploads/many", { pageSize: 250 });
    expect((await paged.poll()).map((o) => o.uri).sort()).toEqual(keys.map((k) => `s3://uploads/${k}`));
    await paged.close();
  });

  it("handleNotification returns the created object, and the next poll doesn't repeat it", async () => {
    const key = "events/2022/江苏省/南京市 年报.pdf";
    const body = "%PDF-1.4 notified";
    const etag = (await put(key, body)).replace(/"/g, "");
    const bucket = open("s3://uploads/events");

    const event = createdEvent(key, Buffer.byteLength(body), etag, { versionId: "v1" });
    const objects = bucket.handleNotification(event);
    expect(objects).toEqual([
      {
        uri: `s3://uploads/${key}`,
        key: "2022/江苏省/南京市 年报.pdf",
        size: Buffer.byteLength(body),
        etag,
        versionId: "v1",
        mtime: "2024-03-01T02:03:04.000Z",
      },
    ]);
    // s3rver keeps no versions; read the latest.
    const [object] = objects;
    expect(object && (await bucket.read({ uri: object.uri })).toString()).toBe(body);

    expect(await bucket.poll()).toEqual([]);
    // At-least-once delivery: the same event again, here as an SQS message body, is not new.
    expect(bucket.handleNotification(JSON.stringify(event))).toEqual([]);
    await bucket.close();
  });

  it("handleNotification: SNS envelopes, MinIO event names; ignores other buckets, prefixes and events", async () => {
    const key = "hooks/a b+c.pdf"; // a literal '+' arrives as %2B
    const body = "hook";
    const etag = (await put(key, body)).replace(/"/g, "");
    const bucket = open("s3://uploads/hooks/");

    const minio = createdEvent(key, 4, etag);
    const [record] = minio.Records;
    if (record) record.eventName = "s3:ObjectCreated:Put";
    const sns = { Type: "Notification", MessageId: "1", Message: JSON.stringify(minio) };
    expect(bucket.handleNotification(sns).map((o) => o.key)).toEqual(["a b+c.pdf"]);

    expect(bucket.handleNotification(createdEvent("hooks/x.pdf", 1, "e", { bucket: "other" }))).toEqual([]);
    expect(bucket.handleNotification(createdEvent("elsewhere/x.pdf", 1, "e"))).toEqual([]);
    const removed = createdEvent("hooks/y.pdf", 1, "e");
    if (removed.Records[0]) removed.Records[0].eventName = "ObjectRemoved:Delete";
    expect(bucket.handleNotification(removed)).toEqual([]);
    expect(bucket.handleNotification({ Service: "Amazon S3", Event: "s3:TestEvent", Bucket: BUCKET })).toEqual([]);

    expect(() => bucket.handleNotification({ hello: "world" })).toThrow(/Not an S3 event notification/);
    expect(() => bucket.handleNotification("{not json")).toThrow(/not JSON/);

    expect(await bucket.poll()).toEqual([]); // a b+c.pdf was delivered by the hook
    await bucket.close();
  });

  it("takes the endpoint from S3_ENDPOINT, and says which listing failed", async () => {
    await put("env/x.pdf", "x");
    const fromEnv = new S3Bucket("s3://uploads/env", { credentials, env: { S3_ENDPOINT: endpoint } });
    expect((await fromEnv.poll()).map((o) => o.key)).toEqual(["x.pdf"]);
    await fromEnv.close();

    const missing = open("s3://no-such-bucket/x");
    await expect(missing.poll()).rejects.toThrow(/Listing s3:\/\/no-such-bucket\/x\/ failed/);
    await missing.close();
    expect(() => open("s3://uploads/x", { env: { S3_FORCE_PATH_STYLE: "maybe" } })).toThrow(/S3_FORCE_PATH_STYLE/);
  });

  it("read: a deleted object gives ObjectGoneError; maxBytes is enforced", async () => {
    await put("gone/x.pdf", "soon gone");
    await put("gone/big.pdf", "0123456789A");
    const bucket = open("s3://uploads/gone", { maxBytes: 10 });
    const objects = await bucket.poll();
    const x = objects.find((o) => o.key === "x.pdf");
    const big = objects.find((o) => o.key === "big.pdf");
    expect(x && big).toBeTruthy();
    if (!x || !big) return;

    await expect(bucket.read(big)).rejects.toBeInstanceOf(ObjectTooLargeError);
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "gone/x.pdf" }));
    const error = await bucket.read(x).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectGoneError);
    expect(String(error)).toMatch(/s3:\/\/uploads\/gone\/x\.pdf no longer exists/);
    await bucket.close();
  });
});
