/**
 * Hostile uploads (issue #13, items 5, 6, 7, 9, 10), each against a real `nianbao worker` and
 * `nianbao watch` (separate processes, so the watcher's memory is its own), a real Redis and a
 * real file store:
 *  - partial uploads: files written in two parts with a pause far longer than the stability
 *    window (a PDF, a .docx, a text cut mid-character) give one result each, from the complete
 *    bytes; a PDF that stays cut past INCOMPLETE_GRACE_MS fails once (`corrupt`), and when it is
 *    completed later its result supersedes that failure;
 *  - in-place replacement: a file overwritten after it was enqueued, with the same size and
 *    mtime (and one with a new size), gives one result from the new content, and no failure;
 *  - an upload over MAX_FILE_BYTES: one `too-large` failure, never read (the watcher's memory
 *    stays far below the file's size), no job, no log line per poll;
 *  - forged jobs (as bull-board's "add job" would make them) naming files outside the bucket:
 *    refused `outside-bucket`, nothing read, nothing stored; hard links in the inbox are not
 *    ingested;
 *  - a file name with a newline cannot forge a line of `status`; temporary files a killed
 *    writer left in the store are removed at start.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, linkSync, mkdirSync, renameSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PIPELINE_VERSION } from "../../src/process.js";
import { extractionKey } from "../../queues/jobs.js";
import { CLI } from "../support/pipeline.js";
import { corpusBytes, docId, goodDoc, Harness, isAlive, liveCounts, RssSampler, sha256, sleep, waitFor, type Proc } from "./support.js";

const GRACE_MS = 3000;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** `bytes` cut inside a 3-byte UTF-8 character past its middle. */
function cutMidCharacter(bytes: Buffer): Buffer {
  for (let i = bytes.length >> 1; i < bytes.length; i++) {
    if ((bytes[i - 1]! & 0xf0) === 0xe0 && (bytes[i]! & 0xc0) === 0x80) return bytes.subarray(0, i);
  }
  throw new Error("no multi-byte character to cut");
}

describe.sequential("hostile uploads", () => {
  let h: Harness;
  let worker: Proc;
  let watcher: Proc;

  beforeAll(async () => {
    h = await Harness.create({
      tag: "uploads",
      store: "file",
      env: {
        // A real stability window (2 polls of 200 ms): the slow writers below pause far longer.
        POLL_INTERVAL_MS: "200",
        STABLE_CHECKS: "2",
        INCOMPLETE_GRACE_MS: String(GRACE_MS),
        MAX_FILE_BYTES: String(MAX_FILE_BYTES),
      },
    });
    // A temporary file a killed writer left (its pid gone, two hours old), and a fresh one of a
    // live writer (this process): the first is removed at start, the second kept.
    const artifacts = join(h.root, "out", "artifacts");
    mkdirSync(artifacts, { recursive: true });
    const stale = join(artifacts, ".tmp-999999-0123456789ab");
    writeFileSync(stale, "half an artifact");
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    writeFileSync(join(artifacts, `.tmp-${process.pid}-abcdefabcdef`), "being written");
    watcher = h.start("watch", ["watch", h.inbox]);
  });

  afterAll(async () => {
    await h?.close();
  });

  it("removes the temporary files a killed writer left in the store, and only those", async () => {
    const artifacts = join(h.root, "out", "artifacts");
    await waitFor("the stale temporary file removed", async () => !existsSync(join(artifacts, ".tmp-999999-0123456789ab")), 20_000);
    expect(existsSync(join(artifacts, `.tmp-${process.pid}-abcdefabcdef`))).toBe(true);
  });

  it("supersedes a job whose file was replaced in place (same size and mtime, or not): one result from the new content, no failure", async () => {
    // The worker is not running yet: both jobs wait while their files are replaced.
    const a = goodDoc(h.prefix, 0); // s007.txt
    const b = goodDoc(h.prefix, 8); // the same report, another tag of the same length
    expect(b.bytes.length).toBe(a.bytes.length);
    const c = goodDoc(h.prefix, 1); // s019.html
    const d = goodDoc(h.prefix, 17); // the same, a longer tag
    const same = join(h.inbox, "replaced/same-size.txt");
    const other = join(h.inbox, "replaced/new-size.html");
    // (a whole-second mtime, so that it can be put back exactly)
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    mkdirSync(join(h.inbox, "replaced"), { recursive: true });
    writeFileSync(join(h.inbox, ".a"), a.bytes);
    utimesSync(join(h.inbox, ".a"), mtime, mtime);
    renameSync(join(h.inbox, ".a"), same);
    h.drop("replaced/new-size.html", c.bytes);
    await waitFor("both enqueued", async () => (await h.job("extract", docId(a.bytes))) && (await h.job("extract", docId(c.bytes))), 20_000);

    // Overwritten in place (same inode), then the mtime put back: size, mtime and inode as before.
    const st = statSync(same);
    await sleep(20);
    writeFileSync(same, b.bytes);
    utimesSync(same, mtime, mtime);
    writeFileSync(other, d.bytes);
    worker = h.start("worker", ["worker"]);
    expect([statSync(same).size, statSync(same).mtimeMs, statSync(same).ino]).toEqual([st.size, st.mtimeMs, st.ino]);

    await waitFor("the new contents stored", () => h.allStored([b.bytes, d.bytes]), 60_000);
    for (const old of [a, c]) {
      const { state, job } = await h.settled("extract", docId(old.bytes));
      expect([state, job.returnvalue]).toEqual(["completed", { superseded: expect.stringMatching(/replaced since it was enqueued/) as unknown as string }]);
      expect(await h.store.hasResult(sha256(old.bytes), PIPELINE_VERSION)).toBe(false);
    }
    expect((await h.store.getResult(sha256(b.bytes)))?.source?.key).toBe("replaced/same-size.txt");
    expect((await h.store.getResult(sha256(d.bytes)))?.source?.key).toBe("replaced/new-size.html");
    expect(await h.store.listFailures(10)).toEqual([]);
    const expected = liveCounts({ completed: 4 });
    expect(await h.countsWhen(expected)).toEqual(expected);
  });

  it("takes a slowly written file only once it is complete: one result each, from the complete bytes", async () => {
    const pdf = goodDoc(h.prefix, 3); // s021.pdf
    const docx = goodDoc(h.prefix, 2); // s008.docx
    const txt = goodDoc(h.prefix, 6); // s015.txt
    const parts: [string, Buffer, number][] = [
      ["slow/report.pdf", pdf.bytes, pdf.bytes.length >> 1],
      // cut inside the central directory's last header
      ["slow/report.docx", docx.bytes, docx.bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10],
      ["slow/report.txt", txt.bytes, cutMidCharacter(txt.bytes).length],
    ];
    // Written straight into the inbox (no rename), in two parts, 2.5 s apart: the first part
    // holds still for many stability windows.
    for (const [key, bytes, cut] of parts) {
      mkdirSync(join(h.inbox, "slow"), { recursive: true });
      writeFileSync(join(h.inbox, key), bytes.subarray(0, cut));
    }
    await sleep(2500);
    for (const [key, bytes, cut] of parts) appendFileSync(join(h.inbox, key), bytes.subarray(cut));

    await waitFor("the complete files stored", () => h.allStored(parts.map(([, b]) => b)), 60_000);
    await sleep(1000); // a few more watcher rounds
    for (const [key, bytes, cut] of parts) {
      expect((await h.store.getResult(sha256(bytes)))?.source?.key, key).toBe(key);
      // the cut bytes were never taken: no ingest record, no job
      const partial = bytes.subarray(0, cut);
      expect(await h.store.getIngest(sha256(partial)), key).toBeNull();
      expect(await h.job("extract", docId(partial)), key).toBeUndefined();
    }
    expect(await h.store.listFailures(10)).toEqual([]);
  });

  it("fails a file that stays cut past INCOMPLETE_GRACE_MS once; completed later, its result supersedes that failure", async () => {
    const pdf = goodDoc(h.prefix, 7); // s040.pdf
    const cut = pdf.bytes.length >> 1;
    const key = "stuck/report.pdf";
    mkdirSync(join(h.inbox, "stuck"), { recursive: true });
    writeFileSync(join(h.inbox, key), pdf.bytes.subarray(0, cut));
    const partialId = docId(pdf.bytes.subarray(0, cut));
    const t0 = Date.now();
    const { state } = await h.settled("extract", partialId, 30_000);
    const job = (await h.job("extract", partialId))!;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(GRACE_MS - 500); // held back first
    expect([state, job.failedReason?.split(":")[0]]).toEqual(["failed", "corrupt"]);
    await waitFor("the failure recorded", async () => (await h.store.listFailures(10)).length > 0, 10_000);
    await sleep(1000);
    expect((await h.store.listFailures(10)).map((f) => [f.code, f.source?.key])).toEqual([["corrupt", key]]);

    appendFileSync(join(h.inbox, key), pdf.bytes.subarray(cut));
    await waitFor("the completed file stored", () => h.allStored([pdf.bytes]), 60_000);
    await waitFor("the old failed job removed", async () => !(await h.job("extract", partialId)), 10_000);
    expect(await h.store.listFailures(10)).toEqual([]);
    const status = spawnSync(process.execPath, [CLI, "status"], { env: { ...process.env, ...h.env }, encoding: "utf8", timeout: 30_000 });
    expect(status.stdout).toContain("no failures");
  });

  it("records an upload over MAX_FILE_BYTES once as too-large, without reading it into memory", async () => {
    const rss = new RssSampler(watcher.child.pid as number, 50);
    const before = rss.maxBytes;
    // 400 MiB (sparse: nothing written), renamed into place
    const tmp = join(h.inbox, ".huge");
    writeFileSync(tmp, "%PDF-1.7\n");
    truncateSync(tmp, 400 * 1024 * 1024);
    renameSync(tmp, join(h.inbox, "huge.pdf"));
    await waitFor("the too-large failure", async () => (await h.store.listFailures(10)).some((f) => f.code === "too-large"), 60_000);
    await sleep(2000); // ten more polls
    rss.stop();
    const failures = await h.store.listFailures(10);
    expect(failures.map((f) => [f.code, f.source?.key, f.source?.size])).toEqual([["too-large", "huge.pdf", 400 * 1024 * 1024]]);
    expect(failures[0]?.message).toMatch(/^too-large: huge\.pdf is 419430400 bytes, more than MAX_FILE_BYTES \(4194304\)/);
    expect(await h.job("extract", `sha256-${failures[0]?.sha256}`)).toBeUndefined();
    // The watcher never held the file: its memory grew by far less than the file's 400 MiB.
    expect(rss.maxBytes - before).toBeLessThan(100 * 1024 * 1024);
    expect(rss.maxBytes).toBeLessThan(300 * 1024 * 1024);
    expect(isAlive(watcher)).toBe(true);
  });

  it("refuses forged jobs naming files outside the bucket (outside-bucket), reads nothing, and does not ingest hard links", async () => {
    // A real report outside the inbox, a FIFO (reading it would block the job forever), a path
    // that does not exist, and the same report hard-linked into the inbox.
    const outside = join(h.root, "secret");
    mkdirSync(outside, { recursive: true });
    const report = goodDoc(h.prefix, 9).bytes;
    writeFileSync(join(outside, "report.txt"), report);
    const fifo = join(outside, "fifo.txt");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    linkSync(join(outside, "report.txt"), join(h.inbox, "hardlink.txt"));

    const forged = [
      { bucket: "/", path: join(outside, "report.txt") },
      { bucket: h.root, path: join(outside, "report.txt") },
      { bucket: h.inbox, path: join(h.inbox, "..", "secret", "report.txt") },
      { bucket: h.inbox, path: join(h.inbox, "hardlink.txt") },
      { bucket: h.inbox, path: fifo },
      { bucket: h.inbox, path: join(outside, "does-not-exist.txt") },
    ];
    const ids: string[] = [];
    for (const [i, f] of forged.entries()) {
      // a distinct (fake) document id each, as a forger would pick
      const id = `sha256-${sha256(Buffer.from(`forged ${h.prefix} ${i}`))}`;
      ids.push(id);
      await h.queues.extract.add(
        "forged",
        { documentId: id, bucket: f.bucket, source: { uri: pathToFileURL(f.path).href, key: "report.txt", size: report.length }, fileName: "report.txt" },
        { jobId: id },
      );
    }
    for (const [i, id] of ids.entries()) {
      const { state } = await h.settled("extract", id, 20_000);
      // (read again: settled() may hand back the job as read just before it failed)
      const job = (await h.job("extract", id))!;
      expect([state, job.failedReason?.split(":")[0]], JSON.stringify(forged[i])).toEqual(["failed", "outside-bucket"]);
      expect(await h.store.getArtifact(extractionKey(id.slice(7)))).toBeNull();
      expect(job.attemptsMade).toBe(1);
    }
    // a path that exists and one that does not get the same answer: nothing leaks
    const reasons = await Promise.all(ids.slice(4).map(async (id) => (await h.job("extract", id))?.failedReason?.replace(/file:\S+/, "URI")));
    expect(reasons[0]).toBe(reasons[1]);
    await sleep(1000);
    expect(await h.store.getIngest(sha256(report))).toBeNull();
    expect(await h.store.hasResult(sha256(report), PIPELINE_VERSION)).toBe(false);
    expect(isAlive(worker)).toBe(true);
  });

  it("escapes a file name with a newline in `status`, so it cannot forge a line", async () => {
    const forgedLine = "  2020-01-01T00:00:00.000Z  extract     corrupt          forged.pdf  corrupt: forged";
    const name = `evil\n${forgedLine}\n.pdf`;
    const bytes = Buffer.concat([corpusBytes("s021.pdf").subarray(0, 2000), Buffer.from(`\n%%EOF\n% ${h.prefix}\n`)]);
    h.drop(name, bytes);
    const { state } = await h.settled("extract", docId(bytes), 30_000);
    expect(state).toBe("failed");
    const status = spawnSync(process.execPath, [CLI, "status", "--failures", "5"], { env: { ...process.env, ...h.env }, encoding: "utf8", timeout: 30_000 });
    expect(status.status).toBe(0);
    const lines = status.stdout.split("\n");
    const failureLines = lines.slice(lines.indexOf("last failures:") + 1).filter((l) => l !== "");
    // the forged line never starts a line of its own; the name is shown escaped
    expect(lines.filter((l) => l.startsWith("  2020-01-01"))).toEqual([]);
    expect(failureLines.filter((l) => l.includes("evil"))).toHaveLength(1);
    expect(failureLines.find((l) => l.includes("evil"))).toContain("evil\\n  2020-01-01");
  });
});
