/**
 * Path safety: object keys and file names with `../`, absolute paths, NUL and control bytes,
 * backslashes, or very long names cannot make the pipeline write outside its output store.
 *
 * Three upload buckets, each run through a real pipeline (`nianbao start`) with the file store
 * in a fresh parent folder (the harness's root: `<root>/out`, beside `<root>/inbox`):
 *  - the local inbox, with names Linux allows (255-byte names, 3.5 KB paths, `..` inside
 *    names, backslashes, newlines), dotted names and symbolic links out of the inbox;
 *  - s3rver (test/support/s3rver.ts), with the keys it can hold;
 *  - a raw S3 endpoint (RawS3 in ./support.ts) for the keys s3rver cannot hold: literal
 *    `../` segments, `//` (absolute paths after the prefix), NUL and control characters,
 *    and a 3 KB key.
 * Every document with such a name is a real report; each must be stored under its exact key,
 * and afterwards every file under the parent folder is in the store (with a name the store
 * made), the inbox (only what the test put there) or the bucket's own folder; nothing appears
 * where the `../` keys point.
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { PIPELINE_VERSION } from "../../src/process.js";
import { S3RVER_CREDENTIALS, startS3rver } from "../support/s3rver.js";
import { goodDoc, Harness, liveCounts, RawS3, sha256, sleep, stopProcess, waitFor, walkFiles } from "./support.js";

const BUCKET = "uploads";

/** The names the file store itself gives its files (see src/store/file.ts). */
const STORE_FILE = [
  /^index\.ndjson$/,
  /^ingest\/[0-9a-f]{64}\.json$/,
  /^artifacts\/[\p{L}\p{N}._-]+(~[0-9a-f]{12})?\.json$/u,
  /^reports\/(\d{4}|unknown-year)\/[\p{L}\p{M}\p{N}._-]+(~[0-9a-f]{12})?\/[0-9a-f]{64}\.[0-9A-Za-z._-]+\.json$/u,
];

interface Named {
  key: string;
  bytes: Buffer;
}

/** A distinct real report (text or HTML, quick to parse) for each name; `from` keeps sets apart. */
function docsFor(h: Harness, keys: readonly string[], from = 0): Named[] {
  return keys.map((key, i) => ({ key, bytes: goodDoc(h.prefix, [0, 1, 5, 6][i % 4]! + 8 * (from + i)).bytes }));
}

/** Waits for every document to be stored, then checks each was stored once, under its exact key. */
async function expectStoredUnderTheirKeys(h: Harness, docs: readonly Named[], uriOf: (key: string) => string): Promise<void> {
  await waitFor(
    "every document stored",
    () => h.allStored(docs.map((d) => d.bytes)),
    90_000,
  );
  for (const d of docs) {
    const got = await h.store.getResult(sha256(d.bytes), PIPELINE_VERSION);
    expect(got?.source?.key).toBe(d.key);
    expect(got?.source?.uri).toBe(uriOf(d.key));
    expect(got?.envelope.source.fileName).toBe(d.key.split("/").pop());
    expect((await h.store.getIngest(sha256(d.bytes)))?.sources.map((s) => s.key)).toEqual([d.key]);
  }
  const expectedCounts = liveCounts({ completed: docs.length });
  expect(await h.countsWhen(expectedCounts)).toEqual(expectedCounts);
  expect(await h.store.listFailures(10)).toEqual([]);
}

/**
 * Every file under the harness's root is a store file named by the store, a file in one of
 * `inside` (folders the test itself fills), or one of `known`.
 */
function expectConfined(h: Harness, inside: readonly string[], known: readonly string[] = []): void {
  const out = join(h.root, "out");
  const strays: string[] = [];
  for (const f of walkFiles(h.root)) {
    if (known.includes(f)) continue;
    if (inside.some((d) => f.startsWith(d + sep))) continue;
    const rel = relative(out, f).split(sep).join("/");
    if (!rel.startsWith("..") && STORE_FILE.some((re) => re.test(rel))) continue;
    strays.push(f);
  }
  expect(strays).toEqual([]);
}

/** The places a `../` key (relative to any folder of the run) could have reached. */
function expectNoEscapes(marker: string): void {
  for (const dir of [tmpdir(), "/tmp", dirname(tmpdir())]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    expect(names.filter((n) => n.includes(marker))).toEqual([]);
  }
}

describe.sequential("path safety: the local inbox", () => {
  let h: Harness;
  afterAll(async () => {
    await h?.close();
  });

  it("stores files with hostile but legal names under their exact names, and writes nothing outside the store", async () => {
    h = await Harness.create({ tag: "pathl", store: "file" });
    const deep = Array.from({ length: 14 }, (_, i) => `${String(i).padStart(2, "0")}${"d".repeat(248)}`).join("/");
    const names = [
      `${"n".repeat(251)}.txt`, // 255 bytes, the longest name Linux allows
      `${"长".repeat(80)}.txt`, // 244 bytes of UTF-8
      `${deep}/deep.txt`, // a 3.5 KB path
      "evil\\..\\..\\..\\..\\outside-bs.txt", // backslashes are ordinary characters on Linux
      "a..b/c..d/e..f..txt",
      "line\nbreak\ttab\u0001.txt",
      "$(touch pwned); rm -rf ~ `id`.txt",
      "%2e%2e%2f%2e%2e%2fpct.txt",
      "2021/淮安市/报告 (终稿).txt",
    ]; // (a real `..` segment cannot be a name on disk: that is what the S3 cases are for)
    const docs = docsFor(h, names);
    for (const d of docs) h.drop(d.key, d.bytes);

    // Never picked up: dotfiles (names starting with `.`, `..` ones included) and symbolic
    // links, even one pointing at a real report outside the inbox.
    const outside = join(h.root, "outside-report.txt");
    const ignored = docsFor(h, ["..evil.txt", "...", "..\\..\\x.txt", ".. /y.txt"].map((n) => `ignored/${n}`), 50);
    for (const d of ignored) h.drop(d.key, d.bytes);
    const outsideBytes = goodDoc(h.prefix, 99).bytes;
    writeFileSync(outside, outsideBytes);
    mkdirSync(join(h.inbox, "links"), { recursive: true });
    symlinkSync(outside, join(h.inbox, "links", "to-outside.txt"));
    symlinkSync("../..", join(h.inbox, "links", "up"));

    h.start("start", ["start", h.inbox]);
    await expectStoredUnderTheirKeys(h, docs, (key) => pathToFileURL(join(h.inbox, key)).href);
    await sleep(1000); // a few more watcher rounds
    for (const d of ignored) expect(await h.store.getIngest(sha256(d.bytes))).toBeNull();
    expect(await h.store.getIngest(sha256(outsideBytes))).toBeNull();

    expectConfined(h, [h.inbox], [outside]);
    // the inbox holds exactly what the test put there
    const inboxFiles = walkFiles(h.inbox).map((f) => relative(h.inbox, f).split(sep).join("/"));
    expect(inboxFiles.sort()).toEqual([...docs, ...ignored].map((d) => d.key).concat(["links/to-outside.txt", "links/up"]).sort());
    expect(existsSync(join(h.root, "pwned")) || existsSync("pwned")).toBe(false);
  });
});

describe.sequential("path safety: keys in an S3 bucket (s3rver)", () => {
  let h: Harness;
  let server: ChildProcess | undefined;
  afterAll(async () => {
    await h?.close();
    server?.stdin?.end();
    if (server) await stopProcess(server);
  });

  it("stores objects with hostile keys s3rver can hold under their exact keys; s3rver refuses NUL and `//`", async () => {
    h = await Harness.create({ tag: "paths3", store: "file" });
    const s3dir = join(h.root, "s3");
    const s3 = await startS3rver(s3dir, BUCKET);
    server = s3.child;
    const endpoint = `http://127.0.0.1:${s3.port}`;
    const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: S3RVER_CREDENTIALS, requestChecksumCalculation: "WHEN_REQUIRED" });
    const keys = [
      "inbox/2021/淮安市/报告 (终稿).txt",
      "inbox/a..b/..c../x..y.txt",
      "inbox/..\\..\\..\\outside-bs.txt",
      "inbox/%2e%2e/%2e%2e/pct.txt",
      "inbox/$(touch pwned); rm -rf ~.txt",
      "inbox/line\nbreak\ttab.txt",
      // 1,000 bytes, near S3's limit of 1,024 (segments of 200: s3rver stores each as a file name)
      `inbox/${Array.from({ length: 4 }, (_, i) => `${i}${"s".repeat(199)}`).join("/")}/${"y".repeat(188)}.txt`,
    ];
    const docs = docsFor(h, keys);
    for (const d of docs) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: d.key, Body: d.bytes }));
    // What s3rver cannot hold (these go through the raw endpoint below instead). A `../`
    // segment is not sent at all: s3rver resolves it in its own folder and would write the
    // object outside it. A segment over ~230 bytes crashes s3rver (ENAMETOOLONG, unhandled).
    await expect(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "inbox/nul\u0000.txt", Body: "x" }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 500 },
    });
    await expect(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "inbox//etc/x.txt", Body: "x" }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });

    h.start("start", ["start", `s3://${BUCKET}/inbox/`], {
      S3_ENDPOINT: endpoint,
      S3_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    });
    await expectStoredUnderTheirKeys(
      h,
      docs.map((d) => ({ key: d.key.slice("inbox/".length), bytes: d.bytes })),
      (key) => `s3://${BUCKET}/inbox/${key}`,
    );
    client.destroy();
    expectConfined(h, [h.inbox, s3dir]);
    expect(walkFiles(h.inbox)).toEqual([]);
  });
});

describe.sequential("path safety: keys in an S3 bucket (raw endpoint: `../`, `//`, NUL)", () => {
  let h: Harness;
  const raw = new RawS3(BUCKET);
  afterAll(async () => {
    await h?.close();
    await raw.close();
  });

  it("stores objects with keys that are not paths under their exact keys, and writes nothing where they point", async () => {
    h = await Harness.create({ tag: "pathr", store: "file" });
    const marker = `escape-${h.prefix}`;
    const keys = [
      `inbox/${"../".repeat(12)}tmp/${marker}-1.txt`,
      `inbox/../../out/reports/2021/${marker}-2.json`,
      `inbox/../${marker}-3.txt`,
      "inbox/..",
      `inbox//tmp/${marker}-4.txt`, // an absolute path after the prefix
      `inbox/${h.root}/out/ingest/${marker}-5.json`, // the store's own folder, absolute
      `inbox/nul\u0000byte/../../${marker}-6.txt`,
      "inbox/ctl\u0001\u001f\r\n\t.txt",
      `inbox/..\\..\\${marker}-7.txt`,
      // 3.3 KB: over S3's own limit, with 300-byte segments
      `inbox/${Array.from({ length: 11 }, (_, i) => `${String(i).padStart(2, "0")}${"k".repeat(298)}`).join("/")}/end.txt`,
    ];
    const docs = docsFor(h, keys);
    for (const d of docs) raw.objects.set(d.key, d.bytes);
    const endpoint = await raw.start();

    h.start("start", ["start", `s3://${BUCKET}/inbox/`], {
      S3_ENDPOINT: endpoint,
      S3_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "raw",
      AWS_SECRET_ACCESS_KEY: "raw",
    });
    await expectStoredUnderTheirKeys(
      h,
      docs.map((d) => ({ key: d.key.slice("inbox/".length), bytes: d.bytes })),
      (key) => `s3://${BUCKET}/inbox/${key}`,
    );
    // The worker asked for each object by its literal key (`..` segments sent as they are).
    expect(raw.requests.some((r) => r.startsWith(`/${BUCKET}/inbox/../../../`))).toBe(true);
    expect(raw.requests.some((r) => r.startsWith(`/${BUCKET}/inbox/nul%00byte/`))).toBe(true);

    expectConfined(h, [h.inbox]);
    expect(walkFiles(h.inbox)).toEqual([]);
    expectNoEscapes(marker);
  });
});
