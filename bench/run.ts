/**
 * `npm run bench`: how fast the core is, in this process, on the test corpus.
 *
 *   npm run bench                          everything (a few minutes on 2 cores)
 *   npm run bench -- --quick               fewer iterations (CI smoke run)
 *   npm run bench -- --only pdf,reconstruct
 *
 * `--only` takes section ids (formats, pdftotext, reconstruct, leak) and format names (pdf,
 * docx, doc, html, txt: those formats of the per-format run; pdf also runs the pdftotext
 * baseline). Prints tables to stdout, progress to stderr, and writes everything to
 * bench-results/bench-<date>.json. The pdftotext baseline needs poppler-utils
 * (apt-get install poppler-utils); without it that section is skipped and says so.
 *
 * Sections live in bench/sections/ and are listed in bench/sections/index.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { FORMATS, loadCorpus, repoRoot } from "./corpus.js";
import { describeMachine, machineInfo } from "./machine.js";
import { selected, type BenchContext, type SectionResult } from "./section.js";
import { SECTIONS } from "./sections/index.js";
import type { Summary } from "./stats.js";
import { renderTable } from "./table.js";
import { TARGETS, type TargetResult } from "./targets.js";
import { tuneV8ForParsing } from "../src/tuning.js";

/** Time from process start to here: node start-up and loading the core's modules. */
const startupMs = performance.now();

/** Every word `--only` accepts: section ids, their extra selectors, format names. */
const SELECTORS = [...new Set([...SECTIONS.flatMap((s) => [s.id, ...s.selectors]), ...FORMATS])];

const USAGE = `usage: npm run bench -- [--quick] [--only LIST]
  --quick       fewer iterations (CI smoke run)
  --only LIST   comma-separated, any of: ${SELECTORS.join(", ")}`;

interface SectionReport {
  id: string;
  title: string;
  skipped: string | null;
  seconds: number;
  result: SectionResult | null;
}

function parseOptions(): { quick: boolean; only: Set<string> | null } {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, only: { type: "string" }, help: { type: "boolean", default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.only === undefined) return { quick: values.quick, only: null };
  const only = new Set(
    values.only
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const unknown = [...only].filter((s) => !SELECTORS.includes(s));
  if (unknown.length > 0 || only.size === 0) {
    console.error(`unknown --only ${unknown.join(", ") || "(empty)"}\n${USAGE}`);
    process.exit(2);
  }
  return { quick: values.quick, only };
}

const stamp = (d: Date) => d.toISOString().slice(0, 19).replace(/:/g, "-");

function printTargets(results: { label: string; goal: string; result: TargetResult | undefined }[]): void {
  const rows = results.map(({ label, goal, result }) => ({
    target: label,
    value: result ? `${result.value.toFixed(2)} ${result.unit}` : "not measured",
    goal,
    verdict: !result ? "–" : result.pass === null ? "info" : result.pass ? "PASS" : "FAIL",
  }));
  console.log(
    renderTable({
      title: "== Targets",
      columns: [
        { key: "target", label: "figure" },
        { key: "value", label: "value" },
        { key: "goal", label: "goal" },
        { key: "verdict", label: "verdict" },
      ],
      rows,
    }),
  );
}

async function main(): Promise<void> {
  const { quick, only } = parseOptions();
  // The in-process sections run the core here: with the V8 settings the parser threads get.
  tuneV8ForParsing();
  const root = repoRoot();
  const startedAt = new Date();
  const machine = machineInfo(root);
  const corpus = loadCorpus();
  const ctx: BenchContext = {
    quick,
    only,
    corpus,
    metrics: new Map<string, number>(),
    perDocument: new Map<string, Summary>(),
    log: (message) => process.stderr.write(`[bench] ${message}\n`),
  };
  const sections = SECTIONS.filter((s) => selected(s, only));

  console.log(`nianbao bench, ${startedAt.toISOString()}, ${quick ? "quick" : "full"} run: ${sections.map((s) => s.id).join(", ")}`);
  for (const line of describeMachine(machine)) console.log(line);
  const counts = FORMATS.map((f) => `${corpus.filter((d) => d.format === f).length} ${f}`).join(", ");
  console.log(`corpus    ${corpus.length} documents (${counts}) from ${relative(root, join(root, "test/fixtures/corpus"))}`);
  console.log(`start-up  ${startupMs.toFixed(0)} ms from process start to the first line of the benchmark (node + module loading)`);

  const reports: SectionReport[] = [];
  for (const section of sections) {
    console.log(`\n== ${section.title}`);
    const t0 = performance.now();
    const skipped = (await section.skip?.(ctx)) ?? null;
    if (skipped) {
      console.log(`SKIPPED: ${skipped}`);
      reports.push({ id: section.id, title: section.title, skipped, seconds: 0, result: null });
      continue;
    }
    ctx.log(`${section.id}…`);
    const result = await section.run(ctx);
    const seconds = (performance.now() - t0) / 1000;
    for (const table of result.tables) console.log(`${renderTable(table)}\n`);
    for (const note of result.notes) console.log(`  ${note}`);
    console.log(`  (section took ${seconds.toFixed(1)} s)`);
    reports.push({ id: section.id, title: section.title, skipped: null, seconds, result });
  }

  const targets = TARGETS.map((t) => ({ id: t.id, label: t.label, goal: t.goal, result: t.evaluate(ctx.metrics) }));
  console.log("");
  printTargets(targets);

  const finishedAt = new Date();
  const loadAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  const outDir = join(root, "bench-results");
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, `bench-${stamp(startedAt)}.json`);
  const json = {
    schema: "nianbao-bench/1",
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    options: { quick, only: only ? [...only] : null },
    machine,
    startupMs,
    loadAverageAtEnd: loadAtEnd,
    corpus: corpus.map((d) => ({ id: d.id, format: d.format, bytes: d.bytes.byteLength })),
    sections: reports,
    metrics: Object.fromEntries(ctx.metrics),
    perDocument: Object.fromEntries(ctx.perDocument),
    targets,
  };
  writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nload avg at end ${loadAtEnd.join(" ")}`);
  console.log(`wrote ${relative(process.cwd(), outFile)} (${json.seconds.toFixed(0)} s in all)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
