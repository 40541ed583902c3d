/**
 * The summary of a reprocessing run: counts by status and failure, and every document whose
 * cells or status changed against the result stored before the run, written as JSON, CSV and
 * text. It reads the run's record through RunRecord (queues/runs.ts's RunState is one) and the
 * results through the store.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { basename, relative, resolve, sep } from "node:path";
import { csvLine } from "../csv.js";
import { diffEnvelopes, hasChanges, type FieldChange } from "../diff.js";
import type { ValidationStatus } from "../model.js";
import { documentIdOf } from "../document.js";
import type { ResultStore } from "../store/types.js";
import { mapLimit } from "./concurrency.js";
import { STATUSES } from "./selection.js";

/** What the summary reads of a run: its counts, and its documents page by page. */
export interface RunRecord {
  readonly runId: string;
  counts(): Promise<{ total: number; done: number; failed: number }>;
  documents(): AsyncIterable<readonly { sha256: string; previousVersion: string; status: string | null; failed: string | null }[]>;
}

export interface ChangedDocument {
  documentId: string;
  file: string | null;
  agency: string | null;
  year: number | null;
  previousVersion: string;
  status: { before: ValidationStatus; after: ValidationStatus };
  /** The cells (and format, year, agency) that changed. */
  fields: FieldChange[];
}

export interface RunSummary {
  runId: string;
  pipelineVersion: string;
  selection: string;
  from: string;
  documents: number;
  done: number;
  failed: number;
  remaining: number;
  byStatus: Record<ValidationStatus, number>;
  failures: Record<string, number>;
  changedDocuments: number;
  changedFields: number;
  /** Done documents whose previous result is no longer in the store (nothing to compare). */
  noPrevious: number;
  /** The first changed documents, for the printed summary (the files have them all). */
  sample: ChangedDocument[];
  files: { json: string; csv: string; failures: string; text: string };
}

const SAMPLE = 20;

function writeLine(stream: WriteStream, line: string): Promise<void> {
  return new Promise((resolveWrite, reject) => {
    if (stream.write(line)) resolveWrite();
    else stream.once("drain", resolveWrite).once("error", reject);
  });
}

const closeStream = (stream: WriteStream) => new Promise<void>((r, reject) => stream.end((e?: Error | null) => (e ? reject(e) : r())));

/**
 * Compares every done document of the run with the result stored before it, page by page, and
 * writes `summary.json`, `changes.csv` (one row per changed cell or status), `failures.csv` and
 * `summary.txt` into `outDir`. Memory: one page of documents, plus the ids of changed ones
 * (HSCAN may return a document twice).
 */
export async function summarizeRun(
  store: ResultStore,
  run: RunRecord,
  o: { pipelineVersion: string; selection: string; from: string; outDir: string },
): Promise<RunSummary> {
  mkdirSync(o.outDir, { recursive: true });
  const files = {
    json: resolve(o.outDir, "summary.json"),
    csv: resolve(o.outDir, "changes.csv"),
    failures: resolve(o.outDir, "failures.csv"),
    text: resolve(o.outDir, "summary.txt"),
  };
  const json = createWriteStream(files.json);
  const csv = createWriteStream(files.csv);
  const failuresCsv = createWriteStream(files.failures);
  await writeLine(csv, `${csvLine(["document", "file", "agency", "year", "previous_version", "path", "before", "after"])}\n`);
  await writeLine(failuresCsv, `${csvLine(["document", "code"])}\n`);
  const head = { runId: run.runId, pipelineVersion: o.pipelineVersion, selection: o.selection, from: o.from, writtenAt: new Date().toISOString() };
  await writeLine(json, `${JSON.stringify(head, null, 2).slice(0, -2)},\n  "changes": [`);

  const counts = await run.counts();
  const byStatus: Record<ValidationStatus, number> = { valid: 0, invalid: 0, incomplete: 0 };
  const failures: Record<string, number> = {};
  const seen = new Set<string>();
  const sample: ChangedDocument[] = [];
  let changedDocuments = 0;
  let changedFields = 0;
  let noPrevious = 0;
  for await (const page of run.documents()) {
    for (const d of page.filter((x) => x.failed !== null)) {
      failures[d.failed as string] = (failures[d.failed as string] ?? 0) + 1;
      await writeLine(failuresCsv, `${csvLine([documentIdOf(d.sha256), d.failed])}\n`);
    }
    const done = page.filter((x) => x.status !== null && x.failed === null);
    for (const d of done) if (d.status && d.status in byStatus) byStatus[d.status as ValidationStatus]++;
    const compared = await mapLimit(done, 16, async (d) => {
      const [after, before] = await Promise.all([store.getResult(d.sha256, o.pipelineVersion), store.getResult(d.sha256, d.previousVersion)]);
      return { d, after, before };
    });
    for (const { d, after, before } of compared) {
      if (!after) continue;
      if (!before) {
        noPrevious++;
        continue;
      }
      const diff = diffEnvelopes(before.envelope, after.envelope);
      if (!hasChanges(diff) || seen.has(d.sha256)) continue;
      seen.add(d.sha256);
      const r = after.envelope.report;
      const changed: ChangedDocument = {
        documentId: documentIdOf(d.sha256),
        file: after.source?.key ?? after.envelope.source.fileName,
        agency: r.agency,
        year: r.year,
        previousVersion: d.previousVersion,
        status: { before: diff.statusBefore, after: diff.statusAfter },
        fields: diff.fields,
      };
      await writeLine(json, `${changedDocuments ? "," : ""}\n    ${JSON.stringify(changed)}`);
      const row = (path: string, b: unknown, a: unknown) =>
        `${csvLine([changed.documentId, changed.file, changed.agency, changed.year, d.previousVersion, path, cellText(b), cellText(a)])}\n`;
      if (diff.statusBefore !== diff.statusAfter) await writeLine(csv, row("validation.status", diff.statusBefore, diff.statusAfter));
      for (const f of diff.fields) await writeLine(csv, row(f.path, f.before, f.after));
      changedDocuments++;
      changedFields += diff.fields.length;
      if (sample.length < SAMPLE) sample.push(changed);
    }
  }
  const summary: RunSummary = {
    ...head,
    documents: counts.total,
    done: counts.done,
    failed: counts.failed,
    remaining: Math.max(0, counts.total - counts.done - counts.failed),
    byStatus,
    failures,
    changedDocuments,
    changedFields,
    noPrevious,
    sample,
    files,
  };
  const totals = {
    documents: summary.documents,
    done: summary.done,
    failed: summary.failed,
    remaining: summary.remaining,
    byStatus,
    failures,
    changedDocuments,
    changedFields,
    noPrevious,
  };
  await writeLine(json, `${changedDocuments ? "\n  " : ""}],\n  "totals": ${JSON.stringify(totals)}\n}\n`);
  await Promise.all([closeStream(json), closeStream(csv), closeStream(failuresCsv)]);
  const text = createWriteStream(files.text);
  await writeLine(text, formatSummary(summary));
  await closeStream(text);
  return summary;
}

const cellText = (v: unknown): string | number | null => (v === null || v === undefined ? null : typeof v === "number" ? v : String(v));

/** The human summary (printed, and saved as summary.txt). */
export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  lines.push(`run ${s.runId} (pipeline ${s.pipelineVersion}; ${s.selection}; from ${s.from})`);
  lines.push(`  ${plural(s.documents, "document")}: ${s.done} done, ${s.failed} failed, ${s.remaining} remaining`);
  lines.push(`  status: ${STATUSES.map((k) => `${k} ${s.byStatus[k]}`).join(", ")}`);
  const codes = Object.entries(s.failures);
  if (codes.length) lines.push(`  failures: ${codes.map(([c, n]) => `${c} ${n}`).join(", ")}`);
  lines.push(
    `  changed against the previous version: ${plural(s.changedDocuments, "document")}, ${plural(s.changedFields, "cell")}` +
      (s.noPrevious ? ` (${s.noPrevious} without a previous result to compare)` : ""),
  );
  for (const c of s.sample) {
    const status = c.status.before === c.status.after ? c.status.after : `${c.status.before} → ${c.status.after}`;
    const cells = c.fields.map((f) => `${f.path} ${f.before ?? "null"} → ${f.after ?? "null"}`);
    lines.push(`    ${c.documentId.slice(0, 19)}…  ${c.year ?? "?"} ${c.agency ?? "?"}  ${c.file ?? ""}  ${status}`);
    for (const cell of cells.slice(0, 8)) lines.push(`        ${cell}`);
    if (cells.length > 8) lines.push(`        … and ${cells.length - 8} more`);
  }
  if (s.changedDocuments > s.sample.length) lines.push(`    … and ${s.changedDocuments - s.sample.length} more documents`);
  // Relative to the working directory when inside it: shorter, and what the user typed.
  const shown = (p: string) => (p.startsWith(`${process.cwd()}${sep}`) ? relative(process.cwd(), p) : p);
  lines.push(`  written: ${shown(s.files.json)}, ${basename(s.files.csv)}, ${basename(s.files.failures)}, ${basename(s.files.text)}`);
  return `${lines.join("\n")}\n`;
}
