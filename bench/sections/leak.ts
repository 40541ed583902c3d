/**
 * Leak check: a long loop of PDF documents through the whole core (extract + reconstruct +
 * validate), cycling over the corpus PDFs. Heap used is read after a forced GC before the
 * loop (after one warm-up pass) and at checkpoints; a leak shows as a steady climb.
 */
import { ofFormat } from "../corpus.js";
import { collect } from "../memory.js";
import { timePipeline } from "../pipeline.js";
import type { Cell, Section, SectionResult } from "../section.js";
import { mb } from "../stats.js";

const FULL_ITERATIONS = 300;
const QUICK_ITERATIONS = 30;
const CHECKPOINTS = 6;

function snapshot(done: number): Record<string, Cell> {
  collect();
  const m = process.memoryUsage();
  return { done, heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), rss: mb(m.rss) };
}

export const leakSection: Section = {
  id: "leak",
  title: "Leak check: heap after GC across a long loop of PDF documents",
  selectors: ["memory"],
  async run(ctx): Promise<SectionResult> {
    const pdfs = ofFormat(ctx.corpus, "pdf");
    if (pdfs.length === 0) return { tables: [], notes: ["no corpus PDFs"] };
    const iterations = ctx.quick ? QUICK_ITERATIONS : FULL_ITERATIONS;
    const every = Math.ceil(iterations / CHECKPOINTS);
    for (const d of pdfs) await timePipeline(d);

    const t0 = performance.now();
    const rows = [snapshot(0)];
    for (let i = 1; i <= iterations; i++) {
      await timePipeline(pdfs[(i - 1) % pdfs.length]!);
      if (i % every === 0 || i === iterations) rows.push(snapshot(i));
    }
    ctx.log(`leak: ${iterations} PDF documents in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const before = rows[0]!.heapUsed as number;
    const after = rows[rows.length - 1]!.heapUsed as number;
    const growth = after - before;
    ctx.metrics.set("leak.iterations", iterations);
    ctx.metrics.set("leak.heapBeforeMb", before);
    ctx.metrics.set("leak.heapAfterMb", after);
    ctx.metrics.set("leak.heapGrowthMb", growth);
    ctx.metrics.set("leak.rssAfterMb", rows[rows.length - 1]!.rss as number);
    const gc = collect();
    return {
      tables: [
        {
          columns: [
            { key: "done", label: "PDF documents done", digits: 0 },
            { key: "heapUsed", label: "heap used MB" },
            { key: "heapTotal", label: "heap total MB" },
            { key: "external", label: "external MB" },
            { key: "rss", label: "RSS MB" },
          ],
          rows,
        },
      ],
      notes: [
        `${iterations} documents cycling over ${pdfs.length} corpus PDFs, after one warm-up pass; figures ${gc ? "after a forced GC" : "WITHOUT a forced GC (unavailable), so noisy"}`,
        `heap used ${before.toFixed(1)} → ${after.toFixed(1)} MB (${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB, ${((1024 * growth) / iterations).toFixed(1)} KB per document)`,
      ],
    };
  },
};
