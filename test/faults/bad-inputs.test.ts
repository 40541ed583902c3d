/**
 * Bad inputs through the real pipeline (a `nianbao worker` and a `nianbao watch` process, the
 * real Redis, the file store). Each hostile file must end as ONE failed job, in the stage that
 * refuses it, with its specific reason code and a single attempt; its failure is recorded in
 * the store; the original is untouched; and the worker still serves the next job (a good
 * document dropped after each failure is stored). Over the whole run the worker's resident
 * memory stays bounded and every job is quick. A second worker, with a small JOB_TIMEOUT_MS,
 * shows a job past its time limit failing with "timeout".
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PIPELINE_VERSION } from "../../src/process.js";
import { parseFailedReason } from "../../src/failures.js";
import {
  buildPdf,
  buildZip,
  CONTENT_TYPES,
  corpusBytes,
  deflated,
  deflatedZeros,
  expectRefusedAlone,
  expectServesNext,
  goodDoc,
  Harness,
  isAlive,
  pdfText,
  RssSampler,
  liveCounts,
  settledCounts,
  sha256,
  waitFor,
  type Proc,
} from "./support.js";

const MiB = 1024 * 1024;
const MAX_FILE_BYTES = 11 * MiB;
/** The bound on the worker's resident memory over the whole run (threads included). */
const MAX_RSS = 600 * MiB;

interface BadCase {
  title: string;
  file: string;
  make: () => Buffer | Promise<Buffer>;
  /** The stage that refuses it. */
  stage: "extract" | "reconstruct";
  code: string;
  reason: RegExp;
}

/** Deterministic "random" bytes (a linear congruential generator), so the case never changes. */
function noise(n: number, seed = 12345): Buffer {
  const b = Buffer.alloc(n);
  let r = seed;
  for (let i = 0; i < n; i++) {
    r = (r * 1103515245 + 12345) & 0x7fffffff;
    b[i] = (r >> 16) & 0xff;
  }
  return b;
}

const SCRIPT = "<script>while (true) {}</script><script>document.write('<table>'.repeat(1e6))</script>";

const CASES: BadCase[] = [
  {
    title: "a truncated PDF",
    file: "truncated.pdf",
    make: () => corpusBytes("s011.pdf").subarray(0, 3000),
    stage: "extract",
    code: "corrupt",
    reason: /^corrupt: PDF cannot be parsed \(damaged or truncated\)/,
  },
  {
    title: "an encrypted PDF",
    file: "encrypted.pdf",
    make: () => readFileSync(new URL("../fixtures/pdf/encrypted.pdf", import.meta.url)),
    stage: "extract",
    code: "encrypted",
    reason: /^encrypted: PDF is encrypted: it needs a password to open$/,
  },
  {
    title: "a PDF with no text layer (one image, no text)",
    file: "scan.pdf",
    make: () => buildPdf(["q 400 0 0 560 100 140 cm /Im1 Do Q"], { xobjects: { Im1: [40, 56] } }),
    stage: "extract",
    code: "no-text-layer",
    reason: /^no-text-layer: PDF has no text layer on any of its 1 page\(s\)/,
  },
  {
    title: "a 0-byte file",
    file: "empty.pdf",
    make: () => Buffer.alloc(0),
    stage: "extract",
    code: "corrupt",
    reason: /^corrupt: empty file$/,
  },
  {
    title: "random bytes named .pdf",
    file: "random.pdf",
    make: () => noise(64 * 1024),
    stage: "extract",
    code: "unsupported-type",
    reason: /^unsupported-type: unrecognised binary data: not a supported format/,
  },
  {
    title: "a .docx zip bomb (document.xml: 256 MiB of zeros in 250 KB, sizes declared honestly)",
    file: "bomb.docx",
    make: async () => {
      const z = await deflatedZeros(256);
      return buildZip([deflated("[Content_Types].xml", CONTENT_TYPES), { name: "word/document.xml", method: 8, ...z }]);
    },
    stage: "extract",
    code: "too-large",
    // MAX_EXPANDED_BYTES, set to 128 MiB below (the default is 200 MiB)
    reason: /^too-large: archive expands to \d+ bytes, more than the limit of 134217728$/,
  },
  {
    title: "a .docx zip bomb that lies (declares 1 MiB, inflates to 256 MiB)",
    file: "bomb-lying.docx",
    make: async () => {
      const z = await deflatedZeros(256);
      return buildZip([
        deflated("[Content_Types].xml", CONTENT_TYPES),
        { name: "word/document.xml", method: 8, data: z.data, crc: z.crc, size: MiB },
      ]);
    },
    stage: "extract",
    code: "too-large",
    reason: /^too-large: archive entry word\/document\.xml inflates past its declared 1048576 bytes$/,
  },
  {
    title: "a .docx without word/document.xml",
    file: "no-document.docx",
    make: () => buildZip([deflated("[Content_Types].xml", CONTENT_TYPES), deflated("word/styles.xml", "<w:styles/>")]),
    stage: "extract",
    code: "corrupt",
    reason: /^corrupt: Word package without its main part: word\/document\.xml is missing/,
  },
  {
    title: "HTML with <script> and 10 MB of tables nested in one another",
    file: "nested-tables.html",
    make: () => {
      const head = `<!DOCTYPE html><html><head><meta charset="utf-8">${SCRIPT}</head><body>${SCRIPT}`;
      return Buffer.from(head + "<table><tr><td>x".repeat(Math.ceil((10 * 1000 * 1000) / 16)), "utf8");
    },
    stage: "extract",
    code: "too-large",
    reason: /^too-large: HTML tables nested deeper than 32 levels$/,
  },
  {
    title: "HTML with <script> and 10 MB of side-by-side 20-deep nested tables",
    file: "many-tables.html",
    make: () => {
      const nest = "<table><tr><td>a</td><td>".repeat(20) + "b" + "</td></tr></table>".repeat(20);
      const head = `<!DOCTYPE html><html><head><meta charset="utf-8">${SCRIPT}</head><body>`;
      return Buffer.from(head + nest.repeat(Math.ceil((10 * 1000 * 1000) / nest.length)) + "</body></html>", "utf8");
    },
    stage: "extract",
    code: "too-large",
    reason: /^too-large: HTML page has more than 300000 elements$/,
  },
  {
    title: "a PDF that is not a report (ordinary text)",
    file: "minutes.pdf",
    make: () =>
      buildPdf([
        [
          pdfText(72, 760, "Minutes of the allotment committee, 3 March"),
          pdfText(72, 740, "The weather was fine. Lunch was served at noon and the minutes were approved."),
          pdfText(72, 720, "Next meeting: the first Tuesday of April."),
        ].join("\n"),
      ]),
    stage: "reconstruct",
    code: "not-a-report",
    reason: /^not-a-report: no statistics table, and no report title \(or the body.s name and year in the first sentences\) followed by its sections in order: a text about reports, not one$/,
  },
  // (A file over MAX_FILE_BYTES never becomes a job: the watcher records it as a too-large
  // failure from its size, without reading it; see uploads.test.ts.)
  {
    title: "a PDF with 2,000 pages",
    file: "pages-2000.pdf",
    make: () => buildPdf(Array.from({ length: 2000 }, (_, i) => pdfText(72, 720, `page ${i + 1}`))),
    stage: "extract",
    code: "too-large",
    reason: /^too-large: PDF has 2000 pages, more than the limit of 500$/,
  },
];

describe.sequential("bad inputs: one failed job each, with its reason code; the worker keeps serving", () => {
  let h: Harness;
  let worker: Proc;
  let rss: RssSampler;
  const goodShas: string[] = [];
  const durations: Record<string, number> = {};

  beforeAll(async () => {
    h = await Harness.create({
      tag: "bad",
      store: "file",
      env: { MAX_FILE_BYTES: String(MAX_FILE_BYTES), MAX_EXPANDED_BYTES: String(128 * MiB), JOB_TIMEOUT_MS: "30000", CONCURRENCY: "1" },
    });
    ({ worker, rss } = h.startPipeline());
  });

  afterAll(async () => {
    rss?.stop();
    await h?.close();
  });

  CASES.forEach((c, i) => {
    it(`${c.title}: ${c.stage} fails with ${c.code}`, async () => {
      const bytes = await c.make();
      durations[c.file] = await expectRefusedAlone(h, c, bytes);
      // and the same worker serves the next job
      goodShas.push(await expectServesNext(h, worker, i));
    });
  });

  it("ends in exactly this state: counts per stage, store contents, memory and time bounded", async () => {
    const expectedCounts = settledCounts(CASES, goodShas.length);
    expect(await h.countsWhen(expectedCounts)).toEqual(expectedCounts);
    const stored: string[] = [];
    for await (const r of h.store.listReports()) stored.push(r.sha256);
    expect(stored.sort()).toEqual([...goodShas].sort());
    const failures = await h.store.listFailures(100);
    expect(failures.map((f) => f.code).sort()).toEqual(CASES.map((c) => c.code).sort());

    // one process served every job
    expect(isAlive(worker)).toBe(true);
    rss.stop();
    expect(rss.samples).toBeGreaterThan(20);
    expect(rss.maxBytes).toBeLessThan(MAX_RSS);
    // every refusal was quick (the parser's own time limit here is 30 s)
    for (const ms of Object.values(durations)) expect(ms).toBeLessThan(10_000);
    console.log(
      `bad inputs: worker max RSS ${(rss.maxBytes / MiB).toFixed(0)} MiB over ${rss.samples} samples; job ms`,
      JSON.stringify(durations),
    );
  });
});

describe.sequential("a job past JOB_TIMEOUT_MS fails with timeout", () => {
  const TIMEOUT = 2000;
  let h: Harness;
  let worker: Proc;

  beforeAll(async () => {
    h = await Harness.create({ tag: "slow", store: "file", env: { JOB_TIMEOUT_MS: String(TIMEOUT), CONCURRENCY: "1" } });
    worker = h.start("worker", ["worker"]);
    h.start("watch", ["watch", h.inbox]);
  });

  afterAll(async () => {
    await h?.close();
  });

  it("stops the parser at the limit, fails the job once, and serves the next job", async () => {
    // 480 pages of 400 text items each: about 5 s of parsing, far past the 2 s limit.
    const page = Array.from({ length: 400 }, (_, i) => pdfText(40 + (i % 5) * 100, 800 - Math.floor(i / 5) * 10, `word${i} text`)).join("\n");
    const slow = buildPdf(Array.from({ length: 480 }, () => page));
    const id = h.drop("slow.pdf", slow);
    const { job, state } = await h.settled("extract", id, 60_000);
    expect(state).toBe("failed");
    expect(parseFailedReason(job.failedReason).code).toBe("timeout");
    expect(job.failedReason).toBe(`timeout: parsing took longer than ${TIMEOUT} ms`);
    expect(job.attemptsMade).toBe(1);
    const ms = (job.finishedOn ?? 0) - (job.processedOn ?? 0);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT);
    expect(ms).toBeLessThan(TIMEOUT + 3000); // the time per job is capped
    // (the failure is recorded just after the job is marked failed)
    const failures = await waitFor("the failure record", async () => {
      const all = await h.store.listFailures(10);
      return all.length > 0 ? all : null;
    });
    expect(failures.map((f) => [f.sha256, f.code])).toEqual([[sha256(slow), "timeout"]]);
    expect(sha256(readFileSync(join(h.inbox, "slow.pdf")))).toBe(sha256(slow));

    const good = goodDoc(h.prefix, 0); // a text report: parsed well within the limit
    h.drop(good.name, good.bytes);
    await waitFor("the next document", () => h.store.hasResult(sha256(good.bytes), PIPELINE_VERSION), 60_000);
    expect(isAlive(worker)).toBe(true);
    const expectedCounts = liveCounts({ completed: 1, failed: 1 });
    expect(await h.countsWhen(expectedCounts)).toEqual(expectedCounts);
    console.log(`timeout: the slow job failed after ${ms} ms`);
  });
});
