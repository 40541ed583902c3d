/**
 * Per format: extract + reconstruct + validate in this process, one document at a time (one
 * core). The first document of each format is timed apart as its cold start (for the first
 * format run, pdf, that is the first document of the process: pdf.js font/CMap set-up, module
 * and JIT warm-up); then one unmeasured warm-up round, then measured rounds. RSS is sampled
 * on a timer and after every document for the whole section.
 */
import { FORMATS, ofFormat, type Format } from "../corpus.js";
import { collect, maxRssBytes, RssSampler } from "../memory.js";
import { timePipeline } from "../pipeline.js";
import type { BenchContext, Cell, Section, SectionResult } from "../section.js";
import { mb, runRounds, summarize, type RoundPlan } from "../stats.js";

const FULL: RoundPlan = { minRounds: 10, minSamples: 200, maxMs: 30_000 };
const QUICK: RoundPlan = { minRounds: 2, minSamples: 0, maxMs: 0 };

/** The formats named in `--only`, or all of them when none is named. */
export function selectedFormats(only: ReadonlySet<string> | null): Format[] {
  const named = FORMATS.filter((f) => only?.has(f));
  return named.length > 0 ? named : [...FORMATS];
}

async function runFormat(ctx: BenchContext, format: Format, sampler: RssSampler, notes: string[]): Promise<Record<string, Cell>> {
  const docs = ofFormat(ctx.corpus, format);
  if (docs.length === 0) {
    notes.push(`${format}: no corpus documents`);
    return { format, files: 0 };
  }
  const first = docs[0]!;
  const cold = await timePipeline(first);
  sampler.sample();
  for (const d of docs) await timePipeline(d);

  const total: number[] = [];
  const extract: number[] = [];
  const build: number[] = [];
  const cpu: number[] = [];
  const perDoc = new Map<string, number[]>(docs.map((d) => [d.id, []]));
  const refusals = new Map<string, string>();
  const done = await runRounds(docs, ctx.quick ? QUICK : FULL, async (d) => {
    const t = await timePipeline(d);
    sampler.sample();
    total.push(t.totalMs);
    extract.push(t.extractMs);
    build.push(t.buildMs);
    cpu.push(t.cpuMs);
    perDoc.get(d.id)!.push(t.totalMs);
    if (t.refused) refusals.set(d.id, t.refused);
  });
  for (const [id, times] of perDoc) ctx.perDocument.set(`nianbao/${id}`, summarize(times));

  const s = summarize(total);
  const docsPerSec = (1000 * s.n) / s.total;
  const firstWarm = ctx.perDocument.get(`nianbao/${first.id}`)!.p50;
  ctx.metrics.set(`${format}.meanMs`, s.mean);
  ctx.metrics.set(`${format}.p50Ms`, s.p50);
  ctx.metrics.set(`${format}.p95Ms`, s.p95);
  ctx.metrics.set(`${format}.docsPerSec`, docsPerSec);
  ctx.metrics.set(`${format}.coldMs`, cold.totalMs);
  ctx.log(`${format}: ${docs.length} files × ${done.rounds} rounds in ${(done.elapsedMs / 1000).toFixed(1)} s`);
  notes.push(
    `${format}: cold first document ${first.id} ${cold.totalMs.toFixed(0)} ms, the same document warm p50 ${firstWarm.toFixed(0)} ms`,
  );
  if (refusals.size > 0) notes.push(`${format}: refused (timed as normal outcomes): ${[...refusals].map(([id, code]) => `${id} ${code}`).join(", ")}`);
  return {
    format,
    files: docs.length,
    runs: s.n,
    docsPerSec,
    mean: s.mean,
    p50: s.p50,
    p95: s.p95,
    max: s.max,
    extractP50: summarize(extract).p50,
    buildP50: summarize(build).p50,
    cpuMean: summarize(cpu).mean,
    cold: cold.totalMs,
  };
}

export const formatsSection: Section = {
  id: "formats",
  title: "Per format: extract + reconstruct + validate, in-process, one core",
  selectors: [...FORMATS],
  async run(ctx): Promise<SectionResult> {
    const notes: string[] = [];
    const sampler = new RssSampler().start();
    const rows: Record<string, Cell>[] = [];
    for (const format of selectedFormats(ctx.only)) rows.push(await runFormat(ctx, format, sampler, notes));
    sampler.stop();

    const rssAfter = process.memoryUsage().rss;
    const gc = collect();
    const after = process.memoryUsage();
    const memory: Record<string, number> = {
      "memory.peakRssMb": mb(sampler.peak),
      "memory.osMaxRssMb": mb(maxRssBytes()),
      "memory.rssAfterMb": mb(rssAfter),
      "memory.rssAfterGcMb": mb(after.rss),
      "memory.heapUsedAfterGcMb": mb(after.heapUsed),
    };
    for (const [k, v] of Object.entries(memory)) ctx.metrics.set(k, v);
    notes.push(
      `times in ms; docs/s = runs / summed pipeline time; cpu = process CPU time per document (all threads); cold = first document of the format in this process`,
      `RSS sampled ${sampler.samples} times (every 20 ms and after each document)${gc ? "" : "; forced GC unavailable, 'after GC' figures are without it"}`,
    );
    return {
      tables: [
        {
          columns: [
            { key: "format", label: "format" },
            { key: "files", label: "files", digits: 0 },
            { key: "runs", label: "runs", digits: 0 },
            { key: "docsPerSec", label: "docs/s" },
            { key: "mean", label: "mean" },
            { key: "p50", label: "p50" },
            { key: "p95", label: "p95" },
            { key: "max", label: "max" },
            { key: "extractP50", label: "extract p50" },
            { key: "buildP50", label: "rec+val p50" },
            { key: "cpuMean", label: "cpu mean" },
            { key: "cold", label: "cold 1st doc", digits: 0 },
          ],
          rows,
        },
        {
          title: "Memory during the per-format run (MB)",
          columns: [
            { key: "what", label: "measure" },
            { key: "mb", label: "MB", digits: 0 },
          ],
          rows: [
            { what: "peak RSS (sampled)", mb: memory["memory.peakRssMb"]! },
            { what: "peak RSS (OS high-water mark, process so far)", mb: memory["memory.osMaxRssMb"]! },
            { what: "RSS after the run", mb: memory["memory.rssAfterMb"]! },
            { what: "RSS after the run, after GC", mb: memory["memory.rssAfterGcMb"]! },
            { what: "heap used after the run, after GC", mb: memory["memory.heapUsedAfterGcMb"]! },
          ],
        },
      ],
      notes,
    };
  },
};
