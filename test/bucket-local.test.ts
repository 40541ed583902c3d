/**
 * LocalInbox against a real temp folder: stability over polls, nested Chinese folders,
 * in-progress names, write-then-rename, originals left untouched, vanished files, rewrites.
 */
import { createHash } from "node:crypto";
import { appendFile, link, mkdir, mkdtemp, readFile, rename, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openBucket, parseS3Url } from "../src/bucket/index.js";
import { LocalInbox, ObjectGoneError, ObjectOutsideBucketError, ObjectTooLargeError } from "../src/bucket/local.js";
import { S3Bucket } from "../src/bucket/s3.js";

let dir: string;
let outside: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "nianbao-inbox-"));
  outside = await mkdtemp(path.join(tmpdir(), "nianbao-outside-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const keys = (objects: { key: string }[]) => objects.map((o) => o.key);

async function put(rel: string, data: string | Uint8Array): Promise<string> {
  const abs = path.join(dir, rel);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(abs, data);
  return abs;
}

describe("LocalInbox", () => {
  it("doesn't return a file until its size and mtime held still over two polls", async () => {
    const inbox = new LocalInbox(dir);
    const abs = await put("report.pdf", "%PDF-1.7 first chunk");
    expect(await inbox.poll()).toEqual([]); // first sight

    await appendFile(abs, " second chunk\n%%EOF\n"); // still being written
    expect(await inbox.poll()).toEqual([]); // changed: counting starts again

    const [object, ...rest] = await inbox.poll(); // unchanged since the last poll
    expect(rest).toEqual([]);
    const st = await stat(abs, { bigint: true });
    expect(object).toEqual({
      uri: pathToFileURL(abs).href,
      key: "report.pdf",
      size: Number(st.size),
      // Whole milliseconds, truncated (the float in a plain stat() may round up instead).
      mtime: new Date(Number(st.mtimeNs / 1_000_000n)).toISOString(),
      etag: null,
      versionId: null,
    });
    expect(await inbox.poll()).toEqual([]); // returned once
    await inbox.close();
  });

  it("walks nested Chinese subfolders and gives keys with /", async () => {
    const inbox = new LocalInbox(dir);
    await put("2021/淮安市/淮安市人民政府 2021年政府信息公开工作年度报告.pdf", "a");
    await put("2022/江苏省/南京市/玄武区.docx", "b");
    await put("top.html", "c");
    await inbox.poll();
    const objects = await inbox.poll();
    expect(keys(objects)).toEqual([
      "2021/淮安市/淮安市人民政府 2021年政府信息公开工作年度报告.pdf",
      "2022/江苏省/南京市/玄武区.docx",
      "top.html",
    ]);
    const [first] = objects;
    expect(first?.uri).toBe(pathToFileURL(path.join(dir, "2021/淮安市/淮安市人民政府 2021年政府信息公开工作年度报告.pdf")).href);
    expect(first && (await inbox.read(first)).toString()).toBe("a");
  });

  it("ignores in-progress names and dotfiles, and returns a .part file once renamed and stable", async () => {
    const inbox = new LocalInbox(dir);
    const part = await put("2021/淮安市/报告.pdf.part", "complete bytes");
    await put("a.tmp", "x");
    await put("b.crdownload", "x");
    await put("~$草稿.docx", "x");
    await put(".DS_Store", "x");
    await put(".git/objects/blob", "x");
    expect(await inbox.poll()).toEqual([]);
    expect(await inbox.poll()).toEqual([]); // stable, but still ignored

    await rename(part, path.join(dir, "2021/淮安市/报告.pdf"));
    expect(await inbox.poll()).toEqual([]); // first sight of the final name
    expect(keys(await inbox.poll())).toEqual(["2021/淮安市/报告.pdf"]);
    expect(await inbox.poll()).toEqual([]);
  });

  it("with stableChecks 1 returns files at first sight", async () => {
    const inbox = new LocalInbox(dir, { stableChecks: 1 });
    await put("x.pdf", "x");
    expect(keys(await inbox.poll())).toEqual(["x.pdf"]);
    expect(() => new LocalInbox(dir, { stableChecks: 0 })).toThrow(/stableChecks/);
  });

  it("leaves the original's bytes and mtime unchanged after poll and read", async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    const abs = await put("2021/原件.pdf", bytes);
    const old = new Date("2022-01-15T08:00:00Z");
    await utimes(abs, old, old);
    const before = await stat(abs, { bigint: true });

    const inbox = new LocalInbox(dir);
    await inbox.poll();
    const [object] = await inbox.poll();
    expect(object?.mtime).toBe("2022-01-15T08:00:00.000Z");
    const read = object && (await inbox.read(object));
    expect(read && sha256(read)).toBe(sha256(bytes));

    const after = await stat(abs, { bigint: true });
    expect(sha256(await readFile(abs))).toBe(sha256(bytes));
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.size).toBe(before.size);
    expect(after.ino).toBe(before.ino);
    expect(after.mode).toBe(before.mode);
  });

  it("a file deleted between poll and read gives a clear error", async () => {
    const inbox = new LocalInbox(dir);
    const abs = await put("gone.pdf", "x");
    await inbox.poll();
    const [object] = await inbox.poll();
    expect(object).toBeDefined();
    if (!object) return;
    await rm(abs);
    const error = await inbox.read(object).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ObjectGoneError);
    expect(String(error)).toMatch(/no longer exists/);
    expect(await inbox.poll()).toEqual([]); // and polling is fine
  });

  it("returns each file once, and again after a rewrite with new content", async () => {
    const inbox = new LocalInbox(dir);
    const abs = await put("a.pdf", "version one");
    await put("b.pdf", "other");
    await inbox.poll();
    expect(keys(await inbox.poll())).toEqual(["a.pdf", "b.pdf"]);
    expect(await inbox.poll()).toEqual([]);
    expect(await inbox.poll()).toEqual([]);

    await writeFile(abs, "version two, longer");
    expect(await inbox.poll()).toEqual([]); // changed: wait for it to settle
    const [again, ...rest] = await inbox.poll();
    expect(rest).toEqual([]);
    expect(again?.key).toBe("a.pdf");
    expect(again && (await inbox.read(again)).toString()).toBe("version two, longer");

    // Same size, new mtime: still a rewrite.
    await writeFile(abs, "version 3, longer!!");
    const later = new Date(Date.now() + 60_000);
    await utimes(abs, later, later);
    await inbox.poll();
    expect(keys(await inbox.poll())).toEqual(["a.pdf"]);
    expect(await inbox.poll()).toEqual([]);
  });

  it("doesn't follow symlinks out of the root and skips non-regular files", async () => {
    await writeFile(path.join(outside, "secret.pdf"), "secret");
    await mkdir(path.join(outside, "dir"));
    await writeFile(path.join(outside, "dir", "inner.pdf"), "inner");
    await symlink(path.join(outside, "secret.pdf"), path.join(dir, "link.pdf"));
    await symlink(path.join(outside, "dir"), path.join(dir, "linkdir"));
    await put("real.pdf", "real");

    const inbox = new LocalInbox(dir);
    await inbox.poll();
    expect(keys(await inbox.poll())).toEqual(["real.pdf"]);

    // Nor does read() open a link or a path outside the root.
    await expect(inbox.read({ uri: pathToFileURL(path.join(dir, "link.pdf")).href })).rejects.toThrow(/symbolic link/);
    await expect(inbox.read({ uri: pathToFileURL(path.join(outside, "secret.pdf")).href })).rejects.toThrow(
      /outside the inbox/,
    );
    await expect(inbox.read({ uri: "s3://uploads/x.pdf" })).rejects.toThrow(/file: URI/);
  });

  it("refuses hard links (told once) and paths that leave the root through a linked folder, without reading them", async () => {
    await writeFile(path.join(outside, "secret.txt"), "secret");
    await link(path.join(outside, "secret.txt"), path.join(dir, "hard.txt"));
    await mkdir(path.join(outside, "sub"));
    await writeFile(path.join(outside, "sub", "x.txt"), "x");
    await symlink(path.join(outside, "sub"), path.join(dir, "via"));
    await put("real.txt", "real");
    const inbox = new LocalInbox(dir);
    await inbox.poll();
    expect(keys(await inbox.poll())).toEqual(["real.txt"]);
    expect(inbox.takeRefused()).toEqual([{ key: "hard.txt", reason: expect.stringMatching(/2 hard links/) as unknown as string }]);
    await inbox.poll();
    expect(inbox.takeRefused()).toEqual([]); // once
    await expect(inbox.read({ uri: pathToFileURL(path.join(dir, "hard.txt")).href })).rejects.toBeInstanceOf(ObjectOutsideBucketError);
    await expect(inbox.hash({ uri: pathToFileURL(path.join(dir, "hard.txt")).href })).rejects.toThrow(/2 hard links/);
    await expect(inbox.read({ uri: pathToFileURL(path.join(dir, "via", "x.txt")).href })).rejects.toThrow(/real path leaves the inbox/);
    // a path outside that does not exist gets the same answer as one that does: nothing leaks
    const missing = inbox.read({ uri: pathToFileURL(path.join(outside, "nope.txt")).href });
    await expect(missing).rejects.toBeInstanceOf(ObjectOutsideBucketError);
    expect(await inbox.hash({ uri: pathToFileURL(path.join(dir, "real.txt")).href })).toBe(createHash("sha256").update("real").digest("hex"));
  });

  it("sees a file rewritten in place with the same size and mtime (its ctime moved)", async () => {
    const inbox = new LocalInbox(dir, { stableChecks: 1 });
    const abs = await put("same.txt", "version A");
    const before = await stat(abs);
    expect(keys(await inbox.poll())).toEqual(["same.txt"]);
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(abs, "version B");
    await utimes(abs, before.atime, before.mtime);
    expect(keys(await inbox.poll())).toEqual(["same.txt"]);
  });

  it("holds back a file that holds still but looks cut short, until it changes or the grace time passes", async () => {
    const inbox = new LocalInbox(dir, { stableChecks: 1, incompleteGraceMs: 300 });
    const abs = await put("cut.pdf", "%PDF-1.7\n1 0 obj");
    await put("cut.txt", Buffer.from("年度报告").subarray(0, 7));
    expect(keys(await inbox.poll())).toEqual([]);
    await appendFile(abs, "\n%%EOF\n");
    expect(keys(await inbox.poll())).toEqual(["cut.pdf"]);
    await new Promise((r) => setTimeout(r, 350));
    expect(keys(await inbox.poll())).toEqual(["cut.txt"]);
  });

  it("enforces maxBytes on read", async () => {
    const inbox = new LocalInbox(dir, { maxBytes: 10 });
    await put("big.pdf", "01234567890");
    await put("small.pdf", "0123456789");
    await inbox.poll();
    const objects = await inbox.poll();
    const big = objects.find((o) => o.key === "big.pdf");
    const small = objects.find((o) => o.key === "small.pdf");
    expect(big && small).toBeTruthy();
    if (!big || !small) return;
    await expect(inbox.read(big)).rejects.toBeInstanceOf(ObjectTooLargeError);
    await expect(inbox.read(big)).rejects.toThrow(/11 bytes, more than the limit of 10/);
    expect((await inbox.read(small)).length).toBe(10);
  });

  it("forgets deleted files, so the same name dropped again is returned again", async () => {
    const inbox = new LocalInbox(dir);
    const abs = await put("x.pdf", "x");
    await inbox.poll();
    expect(keys(await inbox.poll())).toEqual(["x.pdf"]);
    await rm(abs);
    await inbox.poll();
    await put("x.pdf", "x");
    await inbox.poll();
    expect(keys(await inbox.poll())).toEqual(["x.pdf"]);
  });

  it("overlapping polls are serialised and don't return a file twice", async () => {
    const inbox = new LocalInbox(dir);
    await put("x.pdf", "x");
    await inbox.poll();
    const [a, b] = await Promise.all([inbox.poll(), inbox.poll()]);
    expect([...(a ?? []), ...(b ?? [])].map((o) => o.key)).toEqual(["x.pdf"]);
  });

  it("a missing root folder is a clear error", async () => {
    const inbox = new LocalInbox(path.join(dir, "nope"));
    await expect(inbox.poll()).rejects.toThrow(/Inbox folder .*nope can't be read: ENOENT/);
  });
});

describe("openBucket", () => {
  it("opens folders, file: URLs and s3:// URLs, and refuses other schemes", async () => {
    const byPath = openBucket(dir);
    expect(byPath).toBeInstanceOf(LocalInbox);
    expect(byPath.root).toBe(pathToFileURL(dir).href);
    const byUrl = openBucket(pathToFileURL(dir).href);
    expect(byUrl).toBeInstanceOf(LocalInbox);
    expect(byUrl.root).toBe(byPath.root);

    const s3 = openBucket("s3://uploads/2021", { endpoint: "http://127.0.0.1:1", env: {} });
    expect(s3).toBeInstanceOf(S3Bucket);
    expect(s3.root).toBe("s3://uploads/2021/");
    await s3.close();

    expect(() => openBucket("https://example.com/inbox")).toThrow(/Unsupported upload bucket/);
    expect(() => openBucket("gs://bucket/x")).toThrow(/Unsupported upload bucket/);
    expect(() => openBucket("")).toThrow(/empty/);
    expect(() => openBucket("s3://")).toThrow(/s3:\/\/bucket/);
  });

  it("parseS3Url", () => {
    expect(parseS3Url("s3://uploads")).toEqual({ bucket: "uploads", prefix: "" });
    expect(parseS3Url("s3://uploads/")).toEqual({ bucket: "uploads", prefix: "" });
    expect(parseS3Url("s3://uploads/2021")).toEqual({ bucket: "uploads", prefix: "2021/" });
    expect(parseS3Url("s3://uploads/年报/江苏 省/")).toEqual({ bucket: "uploads", prefix: "年报/江苏 省/" });
    expect(() => parseS3Url("s3://a/x")).toThrow(/Invalid S3 bucket name/);
    expect(() => parseS3Url("http://uploads/x")).toThrow(/Not an s3:/);
  });
});
