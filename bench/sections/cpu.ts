/**
 * Whole-job CPU, as the user pays it: `nianbao extract` over every corpus PDF in one process,
 * and over one PDF, against a `pdftotext -layout` loop over the same files. Each command runs
 * as its own process tree under bash, whose `times` gives the user + system CPU of everything
 * it started (module loading, JIT and GC threads, pdf.js, poppler): no in-process timer leaves
 * anything out. The commands run alternately, five times (once in --quick); the figures are
 * medians: on this 2-core VM one command's CPU moves by 10–25% from run to run, and a median of
 * three still moved the ratio from 4.1× to 5.1× between runs of the same code. An untimed run
 * first writes pdf.js's code cache, which the timed runs read; one more command runs the single
 * file without it, as a first run on a machine does.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ofFormat, repoRoot } from "../corpus.js";
import type { Cell, Section, SectionResult } from "../section.js";
import { median } from "../stats.js";
import { INSTALL_HINT } from "./pdftotext.js";

/** The one file of the single-file run: a synthetic 2019-format report of five pages. */
const SINGLE = "s004.pdf";

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** CPU seconds (user + system) of `command` and all it started, measured by bash's `times`. */
function cpuSeconds(command: string): number {
  const r = spawnSync("bash", ["-c", `${command} >/dev/null 2>&1; status=$?; times; exit $status`], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.error) throw r.error;
  // `times` prints two lines: the shell's own user/system, then its children's.
  const children = r.stdout.trim().split("\n").pop() ?? "";
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (parts.length !== 2) throw new Error(`cannot read the CPU times of ${command}: ${JSON.stringify(r.stdout)}`);
  if (r.status !== 0) throw new Error(`${command} exited with ${r.status}`);
  return (parts[0] as number) + (parts[1] as number);
}

export const cpuSection: Section = {
  id: "cpu",
  title: "Whole-job CPU: nianbao extract as processes against a pdftotext loop",
  selectors: ["pdf", "baseline"],
  skip() {
    const r = spawnSync("pdftotext", ["-v"], { timeout: 10_000 });
    return r.error ? `pdftotext not found on PATH, CPU comparison skipped: ${INSTALL_HINT}` : undefined;
  },
  async run(ctx): Promise<SectionResult> {
    const pdfs = ofFormat(ctx.corpus, "pdf");
    const single = pdfs.find((d) => d.fileName === SINGLE) ?? pdfs[0];
    if (!single) throw new Error("no PDF in the corpus");
    const cli = join(repoRoot(), "dist", "cli", "main.js");
    const files = pdfs.map((d) => quote(d.path)).join(" ");
    const commands = {
      batch: `node ${quote(cli)} extract ${files}`,
      single: `node ${quote(cli)} extract ${quote(single.path)}`,
      pdftotext: `for f in ${files}; do pdftotext -layout "$f" - || exit 1; done`,
      // What the first run on a machine pays: pdf.js's worker code compiled, not read from
      // the code cache (src/extract/pdf/code-cache.ts), and no cache written.
      cold: `NIANBAO_CODE_CACHE=off node ${quote(cli)} extract ${quote(single.path)}`,
    };
    // One untimed run first, so that the code cache the timed runs read exists.
    cpuSeconds(commands.single);
    const runs = ctx.quick ? 1 : 5;
    const seconds: Record<keyof typeof commands, number[]> = { batch: [], single: [], pdftotext: [], cold: [] };
    for (let i = 0; i < runs; i++)
      for (const key of Object.keys(commands) as (keyof typeof commands)[]) {
        seconds[key].push(cpuSeconds(commands[key]));
        ctx.log(`cpu: run ${i + 1}/${runs}, ${key}: ${(seconds[key].at(-1) as number).toFixed(2)} s`);
      }
    const batch = median(seconds.batch);
    const base = median(seconds.pdftotext);
    const one = median(seconds.single);
    ctx.metrics.set("cpu.batchSeconds", batch);
    ctx.metrics.set("cpu.pdftotextSeconds", base);
    ctx.metrics.set("cpu.batchVsPdftotext", batch / base);
    ctx.metrics.set("cpu.singleSeconds", one);
    const row = (label: string, key: keyof typeof commands, n: number): Record<string, Cell> => ({
      command: label,
      files: n,
      median: median(seconds[key]),
      runs: seconds[key].map((s) => s.toFixed(2)).join(" / "),
    });
    return {
      tables: [
        {
          columns: [
            { key: "command", label: "command (one process tree)" },
            { key: "files", label: "files", digits: 0 },
            { key: "median", label: "CPU s (median)", digits: 2 },
            { key: "runs", label: "each run" },
          ],
          rows: [
            row("nianbao extract, all corpus PDFs in one process", "batch", pdfs.length),
            row("pdftotext -layout, a loop over the same files", "pdftotext", pdfs.length),
            row(`nianbao extract ${single.fileName}`, "single", 1),
            row(`the same without the code cache (a first run)`, "cold", 1),
          ],
        },
      ],
      notes: [
        `CPU = user + system of the whole process tree (bash times), commands alternating, ${runs} run(s), medians; pdf.js's code cache written by an untimed run first`,
        `nianbao / pdftotext: ${(batch / base).toFixed(2)}× (goal ≤ 5×); one file: ${one.toFixed(2)} s (goal ≤ 0.5 s)`,
      ],
    };
  },
};
