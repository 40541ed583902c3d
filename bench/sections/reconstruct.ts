/**
 * Reconstruct-only: every corpus document is extracted once and its IntermediateDocument kept
 * as JSON, as the pipeline stores the extraction artifact; then each round reads that JSON back
 * (readStoredDocument: JSON.parse and the schema check) and runs buildEnvelope (reconstruct +
 * validate + envelope check), as the reconstruct worker does on reprocessing. The read is
 * included in the time.
 */
import { readStoredDocument, RefusalError } from "../../src/document.js";
import { buildEnvelope, extractBytes, type Extraction } from "../../src/process.js";
import { FORMATS, type CorpusDocument } from "../corpus.js";
import type { Cell, Section, SectionResult } from "../section.js";
import { runRounds, summarize, type RoundPlan } from "../stats.js";

const FULL: RoundPlan = { minRounds: 20, minSamples: 3000, maxMs: 20_000 };
const QUICK: RoundPlan = { minRounds: 3, minSamples: 0, maxMs: 0 };

interface Artifact {
  doc: CorpusDocument;
  sha256: string;
  json: string;
}

interface Timing {
  format: string;
  parseMs: number;
  buildMs: number;
}

function rebuild(a: Artifact): Timing {
  const t0 = performance.now();
  const stored = readStoredDocument(a.json);
  if (!stored.ok) throw new Error(stored.reason);
  const document = stored.document;
  const t1 = performance.now();
  const extraction: Extraction = { sha256: a.sha256, fileName: a.doc.fileName, document };
  try {
    buildEnvelope(extraction);
  } catch (e) {
    if (!(e instanceof RefusalError)) throw e;
  }
  return { format: a.doc.format, parseMs: t1 - t0, buildMs: performance.now() - t1 };
}

export const reconstructSection: Section = {
  id: "reconstruct",
  title: "Reconstruct-only: JSON.parse(stored extraction) + buildEnvelope, one core",
  selectors: [],
  async run(ctx): Promise<SectionResult> {
    const artifacts: Artifact[] = [];
    for (const doc of ctx.corpus) {
      const e = await extractBytes(doc.bytes, { fileName: doc.fileName });
      artifacts.push({ doc, sha256: e.sha256, json: JSON.stringify(e.document) });
    }
    for (const a of artifacts) rebuild(a);

    const timings: Timing[] = [];
    const done = await runRounds(artifacts, ctx.quick ? QUICK : FULL, async (a) => {
      timings.push(rebuild(a));
    });
    ctx.log(`reconstruct: ${artifacts.length} documents × ${done.rounds} rounds in ${(done.elapsedMs / 1000).toFixed(1)} s`);

    const summary = (ts: Timing[]) => summarize(ts.map((t) => t.parseMs + t.buildMs));
    const row = (label: string, ts: Timing[], docs: Artifact[]): Record<string, Cell> => {
      const total = summary(ts);
      return {
        format: label,
        docs: docs.length,
        runs: total.n,
        kb: docs.reduce((s, a) => s + a.json.length, 0) / docs.length / 1024,
        mean: total.mean,
        p50: total.p50,
        p95: total.p95,
        max: total.max,
        parse: summarize(ts.map((t) => t.parseMs)).mean,
        build: summarize(ts.map((t) => t.buildMs)).mean,
        perSec: (1000 * total.n) / total.total,
      };
    };
    const rows = FORMATS.filter((f) => artifacts.some((a) => a.doc.format === f)).map((f) =>
      row(
        f,
        timings.filter((t) => t.format === f),
        artifacts.filter((a) => a.doc.format === f),
      ),
    );
    rows.push(row("all", timings, artifacts));
    const all = summary(timings);
    ctx.metrics.set("reconstruct.meanMs", all.mean);
    ctx.metrics.set("reconstruct.p50Ms", all.p50);
    ctx.metrics.set("reconstruct.p95Ms", all.p95);
    return {
      tables: [
        {
          columns: [
            { key: "format", label: "source" },
            { key: "docs", label: "docs", digits: 0 },
            { key: "runs", label: "runs", digits: 0 },
            { key: "kb", label: "JSON KB", digits: 0 },
            { key: "mean", label: "mean ms", digits: 2 },
            { key: "p50", label: "p50", digits: 2 },
            { key: "p95", label: "p95", digits: 2 },
            { key: "max", label: "max", digits: 2 },
            { key: "parse", label: "parse mean", digits: 2 },
            { key: "build", label: "build mean", digits: 2 },
            { key: "perSec", label: "docs/s", digits: 0 },
          ],
          rows,
        },
      ],
      notes: [
        "times in ms; JSON KB = mean size of the stored extraction; docs/s on one core",
        `ms per document per core (mean over all corpus documents, each equally often): ${all.mean.toFixed(2)} ms; target ≤ 4 ms`,
      ],
    };
  },
};
