/**
 * Bounded reading: reconstruct + validate of pathological texts, made here from the seed
 * report, against the seed itself in the same run. Table 三 rows holding 23- and 40-digit
 * runs (cells split by ` | `, by spaces, and glued), 20,000 repeated table rows, and 1, 2 and
 * 4 MB of repeated rows, so that the growth with the text shows. The 1, 2 and 4 MB texts are
 * timed three times each, alternating, after a forced garbage collection, and their medians
 * compared: one run each gave 4.2–5.9× from 1 to 4 MB across runs of the same code, the GC left
 * over from the text before moving the figure more than the text did.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildEnvelope } from "../../src/process.js";
import { EXTRACTOR_VERSION, RefusalError, type IntermediateDocument } from "../../src/document.js";
import { corpusDir } from "../corpus.js";
import { collect } from "../memory.js";
import type { Cell, Section, SectionResult } from "../section.js";
import { median } from "../stats.js";

/** A table-三 row line of the seed: its label, then its cells. */
const ROW_LINE = /^((?:[一二三四]、|（[一二三四五六七]）|\d\.).*?) \| [\d |]+$/gm;

const digits = (n: number) => Array.from({ length: n }, (_, i) => String((i * 7 + 3) % 10 || 1)).join("");

function textDocument(text: string): IntermediateDocument {
  return { extractor: EXTRACTOR_VERSION, mediaType: "text/plain", pages: null, blocks: text.split("\n").map((t) => ({ kind: "text" as const, text: t })), warnings: [] };
}

function timed(text: string): { ms: number; status: string; heapMb: number } {
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let status: string;
  try {
    status = buildEnvelope({ sha256: "0".repeat(64), fileName: "bench.txt", document: textDocument(text) }).validation.status;
  } catch (e) {
    if (!(e instanceof RefusalError)) throw e;
    status = `refused: ${e.code}`;
  }
  const ms = performance.now() - t0;
  return { ms, status, heapMb: Math.max(0, process.memoryUsage().heapUsed - before) / 2 ** 20 };
}

export const boundedSection: Section = {
  id: "bounded",
  title: "Bounded reading: reconstruct + validate of pathological texts (one core)",
  selectors: ["hostile"],
  async run(ctx): Promise<SectionResult> {
    const seed = readFileSync(join(corpusDir(), "seed", "jingzhouqu-2021.txt"), "utf8");
    const rows = seed.split("\n").filter((l) => /^\d\.属于/.test(l));
    const repeated = (count: number) => Array.from({ length: count }, (_, i) => rows[i % rows.length]).join("\n");
    const ofSize = (mb: number) => {
      const block = `${rows.join("\n")}\n`;
      return block.repeat(Math.ceil((mb * 2 ** 20) / Buffer.byteLength(block)));
    };
    const cases: [string, string][] = [["seed report (baseline)", seed]];
    const growth: [string, string][] = [];
    for (const n of [23, 40]) {
      cases.push([`table 三 rows of ${n} digits, cells split by |`, seed.replace(ROW_LINE, (_m, label: string) => `${label} | ${digits(n)}`)]);
      cases.push([`table 三 rows of ${n} digits, after a space`, seed.replace(ROW_LINE, (_m, label: string) => `${label} ${digits(n)}`)]);
      cases.push([`table 三 rows of ${n} digits, glued`, seed.replace(ROW_LINE, (_m, label: string) => `${label}${digits(n)}`)]);
    }
    cases.push(["20,000 repeated table rows", seed.replace("4.保护第三方", `${repeated(20_000)}\n4.保护第三方`)]);
    for (const mb of ctx.quick ? [1] : [1, 2, 4]) growth.push([`${mb} MB of repeated rows`, seed.replace("4.保护第三方", `${ofSize(mb)}4.保护第三方`)]);

    const out: Record<string, Cell>[] = [];
    let gc = false;
    for (const [label, text] of cases) {
      ctx.log(`bounded: ${label}`);
      const r = timed(text);
      out.push({ input: label, kb: Buffer.byteLength(text) / 1024, ms: r.ms, heap: r.heapMb, status: r.status });
    }
    const rounds = ctx.quick ? 1 : 3;
    const runs = growth.map(() => [] as ReturnType<typeof timed>[]);
    for (let round = 0; round < rounds; round++)
      growth.forEach(([label, text], i) => {
        ctx.log(`bounded: ${label}, run ${round + 1}/${rounds}`);
        gc = collect();
        runs[i]!.push(timed(text));
      });
    growth.forEach(([label, text], i) => {
      const r = runs[i]!;
      const statuses = [...new Set(r.map((x) => x.status))].join(", ");
      out.push({ input: label, kb: Buffer.byteLength(text) / 1024, ms: median(r.map((x) => x.ms)), heap: median(r.map((x) => x.heapMb)), status: statuses });
    });
    const ms = (label: string) => (out.find((r) => r["input"] === label)?.["ms"] as number | undefined) ?? NaN;
    const worstDigits = Math.max(...out.filter((r) => String(r["input"]).includes("digits")).map((r) => r["ms"] as number));
    ctx.metrics.set("bounded.digitRowsMaxMs", worstDigits);
    ctx.metrics.set("bounded.repeatedRowsMs", ms("20,000 repeated table rows"));
    if (!ctx.quick) ctx.metrics.set("bounded.growth4to1", ms("4 MB of repeated rows") / ms("1 MB of repeated rows"));
    return {
      tables: [
        {
          columns: [
            { key: "input", label: "input" },
            { key: "kb", label: "KB", digits: 0 },
            { key: "ms", label: "ms", digits: 0 },
            { key: "heap", label: "heap Δ MB", digits: 0 },
            { key: "status", label: "status" },
          ],
          rows: out,
        },
      ],
      notes: [
        `one run each, in this process, except the 1, 2 and 4 MB texts: the median of ${rounds} alternating run(s), each ${gc ? "after a forced GC" : "WITHOUT a forced GC (unavailable)"}; heap Δ is heapUsed after minus before (no GC forced after), a rough figure`,
        `slowest digit-run text: ${worstDigits.toFixed(0)} ms (target ≤ 2,000 ms); 20,000 rows: ${ms("20,000 repeated table rows").toFixed(0)} ms (target ≤ 5,000 ms)`,
      ],
    };
  },
};
