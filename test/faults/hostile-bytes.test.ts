/**
 * Hostile bytes (issue #13): files whose cost is hidden in their bytes, through the real
 * pipeline (a `nianbao worker` and a `nianbao watch` process, the real Redis, the file store)
 * and through `nianbao extract`:
 *
 * - a text whose reconstruction needs a 350 MB heap (reconstruct runs in a parser thread
 *   now, under PARSER_MEMORY_MB: before, it ran on the worker's event loop, stalled it, lost
 *   the job's lock and was both failed and stored);
 * - a 1 MB PDF whose content stream inflates to 1 GiB (a flate bomb);
 * - a .docx whose `_rels/.rels` makes `word/main.bin` its document, declaring 1 MiB and
 *   inflating to 1 GiB (past a guard that looked at .xml and .rels names only);
 * - a truncated .doc (its directory cut off).
 *
 * Each ends as ONE failed job with its code, within the job's time limit, with one failure
 * record, no stored result and the original untouched; the same worker serves the next file;
 * its RSS stays below 1 GiB. `nianbao extract` on each ends within 30 s, below 1 GiB, with the
 * refusal's exit status and one line.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitStatus, type FailureCode } from "../../src/failures.js";
import { CLI } from "../support/pipeline.js";
import {
  corpusBytes,
  expectRefusedAlone,
  expectServesNext,
  flateBombPdf,
  Harness,
  isAlive,
  relsBombDocx,
  repeatedRowsText,
  RssSampler,
  settledCounts,
  type Proc,
} from "./support.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const JOB_TIMEOUT_MS = 20_000;
const ENV = {
  CONCURRENCY: "1",
  JOB_TIMEOUT_MS: String(JOB_TIMEOUT_MS),
  // Reading the text below takes a 40 MB heap; reconstructing it 350 MB.
  PARSER_MEMORY_MB: "128",
  MAX_EXPANDED_BYTES: String(128 * MiB),
};

interface HostileCase {
  title: string;
  file: string;
  make: () => Buffer | Promise<Buffer>;
  stage: "extract" | "reconstruct";
  code: FailureCode;
  reason: RegExp;
}

const CASES: HostileCase[] = [
  {
    title: "a text whose reconstruction needs a 350 MB heap (PARSER_MEMORY_MB 128)",
    file: "rows.txt",
    make: repeatedRowsText,
    stage: "reconstruct",
    code: "crashed",
    reason: /^crashed: the parser thread died: .*memory/,
  },
  {
    title: "a 1 MB PDF whose content stream inflates to 1 GiB",
    file: "flate-bomb.pdf",
    make: () => flateBombPdf(1024),
    stage: "extract",
    code: "too-large",
    reason: new RegExp(`^too-large: PDF streams inflate past the limit of ${128 * MiB} bytes \\(object 4 0\\)$`),
  },
  {
    title: "a .docx whose _rels/.rels points at word/main.bin, which declares 1 MiB and inflates to 1 GiB",
    file: "rels-bomb.docx",
    make: () => relsBombDocx(1024),
    stage: "extract",
    code: "too-large",
    reason: /^too-large: archive entry word\/main\.bin inflates past its declared 1048576 bytes$/,
  },
  {
    title: "a truncated .doc (cut at 30,000 of its 67,584 bytes)",
    file: "truncated.doc",
    make: () => corpusBytes("s020.doc").subarray(0, 30_000),
    stage: "extract",
    code: "corrupt",
    reason: /^corrupt: truncated or damaged OLE compound file \(\.doc, \.xls, \.ppt\): FAT sector 128 lies past the end of the file \(30000 bytes\)$/,
  },
];

describe.sequential("hostile bytes: one refusal each, bounded, and the worker keeps serving", () => {
  let h: Harness;
  let worker: Proc;
  let rss: RssSampler;
  const made = new Map<string, Buffer>();
  const goodShas: string[] = [];
  const durations: Record<string, number> = {};

  beforeAll(async () => {
    h = await Harness.create({ tag: "hostile", store: "file", env: ENV });
    ({ worker, rss } = h.startPipeline());
  });

  afterAll(async () => {
    rss?.stop();
    await h?.close();
  });

  CASES.forEach((c, i) => {
    it(`${c.title}: ${c.stage} fails once with ${c.code}`, async () => {
      const bytes = await c.make();
      made.set(c.file, bytes);
      durations[c.file] = await expectRefusedAlone(h, c, bytes, 90_000);
      expect(durations[c.file]).toBeLessThan(JOB_TIMEOUT_MS);
      goodShas.push(await expectServesNext(h, worker, i));
    });
  });

  it("ends in exactly this state: one failure per file, no result for any, the worker alive below 1 GiB", async () => {
    const expected = settledCounts(CASES, goodShas.length);
    expect(await h.countsWhen(expected)).toEqual(expected);
    const stored: string[] = [];
    for await (const r of h.store.listReports()) stored.push(r.sha256);
    expect(stored.sort()).toEqual([...goodShas].sort());
    expect((await h.store.listFailures(100)).map((f) => f.code).sort()).toEqual(CASES.map((c) => c.code).sort());
    expect(isAlive(worker)).toBe(true);
    rss.stop();
    expect(rss.samples).toBeGreaterThan(20);
    expect(rss.maxBytes).toBeLessThan(GiB);
    console.log(`hostile bytes: worker max RSS ${(rss.maxBytes / MiB).toFixed(0)} MiB; job ms ${JSON.stringify(durations)}`);
  });

  it("nianbao extract on each: within 30 s, below 1 GiB, the refusal's exit status and one line", async () => {
    for (const c of CASES) {
      const bytes = made.get(c.file) ?? (await c.make());
      const path = join(h.root, c.file);
      writeFileSync(path, bytes);
      const started = Date.now();
      const child = spawn(process.execPath, [CLI, "extract", path], { env: { ...process.env, ...ENV }, stdio: ["ignore", "pipe", "pipe"] });
      const sampler = new RssSampler(child.pid as number, 20);
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
      child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
      const code = await new Promise<number | null>((r) => child.on("close", r));
      sampler.stop();
      const ms = Date.now() - started;
      expect(code, c.file).toBe(exitStatus(c.code));
      expect(stdout).toBe("");
      expect(stderr.split("\n")).toHaveLength(2); // one line, and its newline
      expect(stderr.startsWith(`nianbao: ${path}: `)).toBe(true);
      expect(stderr.slice(`nianbao: ${path}: `.length).trimEnd()).toMatch(c.reason);
      expect(ms).toBeLessThan(30_000);
      expect(sampler.maxBytes).toBeLessThan(GiB);
      console.log(`nianbao extract ${c.file}: exit ${code} in ${ms} ms, max RSS ${(sampler.maxBytes / MiB).toFixed(0)} MiB`);
    }
  });
});
