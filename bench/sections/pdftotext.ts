/**
 * Baseline: poppler's `pdftotext -layout FILE -` on the same PDFs, one process spawned per
 * document as a worker would, output read into memory. It only gets text (no tables), so it
 * is a floor, not a competitor. Timed like the per-format run: a warm-up round, then rounds.
 */
import { spawn, spawnSync } from "node:child_process";
import { basename } from "node:path";
import { ofFormat } from "../corpus.js";
import type { Cell, Section, SectionResult } from "../section.js";
import { runRounds, summarize, type RoundPlan } from "../stats.js";

const FULL: RoundPlan = { minRounds: 10, minSamples: 200, maxMs: 30_000 };
const QUICK: RoundPlan = { minRounds: 2, minSamples: 0, maxMs: 0 };

export const INSTALL_HINT = "install poppler-utils (Debian/Ubuntu: apt-get install poppler-utils)";

/** "pdftotext version 22.02.0", or null when pdftotext is not on PATH. */
function pdftotextVersion(): string | null {
  const r = spawnSync("pdftotext", ["-v"], { encoding: "utf8", timeout: 10_000 });
  if (r.error) return null;
  return `${r.stderr}${r.stdout}`.split("\n").find((l) => /version/i.test(l))?.trim() ?? "pdftotext (version unknown)";
}

/** Runs pdftotext on one file; resolves with the length of the text it printed. */
function pdftotext(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("pdftotext", ["-layout", path, "-"], { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8").length);
      else reject(new Error(`pdftotext ${basename(path)} exited with ${code}: ${err.trim()}`));
    });
  });
}

export const pdftotextSection: Section = {
  id: "pdftotext",
  title: "Baseline: pdftotext -layout, one process per PDF",
  selectors: ["pdf", "baseline"],
  skip() {
    return pdftotextVersion() ? undefined : `pdftotext not found on PATH, baseline skipped: ${INSTALL_HINT}`;
  },
  async run(ctx): Promise<SectionResult> {
    const version = pdftotextVersion();
    const pdfs = ofFormat(ctx.corpus, "pdf");
    for (const d of pdfs) await pdftotext(d.path);
    const all: number[] = [];
    const perDoc = new Map<string, number[]>(pdfs.map((d) => [d.id, []]));
    const done = await runRounds(pdfs, ctx.quick ? QUICK : FULL, async (d) => {
      const t0 = performance.now();
      await pdftotext(d.path);
      const ms = performance.now() - t0;
      all.push(ms);
      perDoc.get(d.id)!.push(ms);
    });
    ctx.log(`pdftotext: ${pdfs.length} files × ${done.rounds} rounds in ${(done.elapsedMs / 1000).toFixed(1)} s`);
    for (const [id, times] of perDoc) ctx.perDocument.set(`pdftotext/${id}`, summarize(times));

    const s = summarize(all);
    ctx.metrics.set("pdftotext.meanMs", s.mean);
    ctx.metrics.set("pdftotext.p50Ms", s.p50);
    ctx.metrics.set("pdftotext.p95Ms", s.p95);
    ctx.metrics.set("pdftotext.docsPerSec", (1000 * s.n) / s.total);

    const m = (k: string) => ctx.metrics.get(k) ?? null;
    const rows: Record<string, Cell>[] = [
      { tool: "pdftotext -layout (spawn)", runs: s.n, docsPerSec: (1000 * s.n) / s.total, mean: s.mean, p50: s.p50, p95: s.p95, max: s.max },
    ];
    if (m("pdf.meanMs") !== null)
      rows.push({ tool: "nianbao pdf end-to-end", runs: null, docsPerSec: m("pdf.docsPerSec"), mean: m("pdf.meanMs"), p50: m("pdf.p50Ms"), p95: m("pdf.p95Ms"), max: null });

    const perFile = pdfs.map((d) => {
      const base = ctx.perDocument.get(`pdftotext/${d.id}`)!.p50;
      const ours = ctx.perDocument.get(`nianbao/${d.id}`)?.p50 ?? null;
      return { file: d.id, kb: d.bytes.byteLength / 1024, nianbao: ours, pdftotext: base, ratio: ours === null ? null : ours / base };
    });
    const notes = [`${version ?? "pdftotext"}; times in ms, spawn to exit, stdout read in full`];
    const meanRatio = m("pdf.meanMs") === null ? null : m("pdf.meanMs")! / s.mean;
    if (meanRatio === null) notes.push("ratio needs the pdf per-format run too (--only pdf)");
    else {
      ctx.metrics.set("pdf.vsPdftotextMean", meanRatio);
      ctx.metrics.set("pdf.vsPdftotextP50", m("pdf.p50Ms")! / s.p50);
      notes.push(
        `nianbao PDF end-to-end / pdftotext per document: ${meanRatio.toFixed(2)}× (mean), ${(m("pdf.p50Ms")! / s.p50).toFixed(2)}× (p50); target ≤ 3×`,
      );
    }
    return {
      tables: [
        {
          columns: [
            { key: "tool", label: "PDF, per document" },
            { key: "runs", label: "runs", digits: 0 },
            { key: "docsPerSec", label: "docs/s" },
            { key: "mean", label: "mean" },
            { key: "p50", label: "p50" },
            { key: "p95", label: "p95" },
            { key: "max", label: "max" },
          ],
          rows,
        },
        {
          title: "Per PDF (p50 ms)",
          columns: [
            { key: "file", label: "file" },
            { key: "kb", label: "KB", digits: 0 },
            { key: "nianbao", label: "nianbao" },
            { key: "pdftotext", label: "pdftotext" },
            { key: "ratio", label: "ratio", digits: 2 },
          ],
          rows: perFile,
        },
      ],
      notes,
    };
  },
};
