/**
 * Batch reprocessing ("backfill") of documents already in the store: `nianbao reprocess`.
 *
 *   select   stream store.listReports() through the selectors, never all of it in memory
 *   enqueue  in chunks (queue.addBulk), at a backfill priority, starting at reconstruct from the
 *            stored extraction artifact where there is one (no file parsed), else at extract
 *   watch    poll the run's counts in Redis (queues/runs.ts) until every document is done
 *   summary  counts by status, and every document whose cells or status changed against the
 *            result stored before the run, as JSON, CSV and text
 *
 * Priorities: BullMQ runs jobs without a priority before prioritised ones, so live uploads
 * (no priority) always go first; the processors pass a job's priority on to its next stage.
 *
 * Job ids: `<documentId>-r<runId>` at every stage (jobIdOf). The live id alone would be
 * swallowed by the completed job an earlier run left in Redis. The run id is derived from the
 * pipeline version and the selection, so the same command run again is the same run: what it
 * already stored at this version is skipped, what it enqueued is deduplicated by its job id,
 * and only the rest is added. That is what makes Ctrl-C safe.
 */
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { csvLine } from "../src/csv.js";
import { diffEnvelopes, hasChanges, type FieldChange } from "../src/diff.js";
import { parseFailedReason, type FailureCode } from "../src/failures.js";
import type { ValidationStatus } from "../src/model.js";
import { normaliseName } from "../src/identity/index.js";
import { compareVersions } from "../src/store/cross-year.js";
import type { OutputStore, ReportSummary, SourceRef } from "../src/store/types.js";
import type { StageQueues } from "./connection.js";
import { documentIdOf, ExtractJob, extractionKey, jobIdOf, jobName, ReconstructJob, RunId } from "./jobs.js";
import { STAGES } from "./names.js";
import { bucketsKey } from "./producer.js";
import type { RunCounts, RunState } from "./runs.js";

// ------------------------------------------------------------------------------ selection

export interface Selection {
  all: boolean;
  /** Inclusive. */
  years: { from: number; to: number } | null;
  /** The substring to look for in the agency name, normalised (normaliseName: NFKC, no whitespace). */
  agency: string | null;
  statuses: readonly ValidationStatus[] | null;
  /** Documents whose newest stored result is older than this version. */
  sinceVersion: string | null;
  /** Where the originals were: `s3://bucket/prefix`, a local folder or file, or a source key prefix. */
  paths: readonly string[];
}

export const EMPTY_SELECTION: Selection = { all: false, years: null, agency: null, statuses: null, sinceVersion: null, paths: [] };

export function isEmptySelection(s: Selection): boolean {
  return !s.all && s.years === null && s.agency === null && s.statuses === null && s.sinceVersion === null && s.paths.length === 0;
}

/** `2019`, `2019..2021` (or `2019-2021`). Throws on anything else. */
export function parseYears(text: string): { from: number; to: number } {
  const m = /^\s*(\d{4})\s*(?:(?:\.\.|-|–)\s*(\d{4}))?\s*$/.exec(text);
  if (!m) throw new Error(`--year must be a year or a range like 2019..2020, not ${JSON.stringify(text)}`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) throw new Error(`--year ${text}: the range ends before it starts`);
  return { from, to };
}

export const STATUSES: readonly ValidationStatus[] = ["valid", "invalid", "incomplete"];

/** `--status invalid --status incomplete` or `--status invalid,incomplete`. */
export function parseStatuses(values: readonly string[]): ValidationStatus[] {
  const out = new Set<ValidationStatus>();
  for (const v of values.flatMap((x) => x.split(","))) {
    const s = v.trim();
    if (s === "") continue;
    if (!(STATUSES as readonly string[]).includes(s)) throw new Error(`--status must be one of ${STATUSES.join(", ")}, not ${JSON.stringify(s)}`);
    out.add(s as ValidationStatus);
  }
  return [...out];
}

/** The selection as command-line text, for the run's record and the summary. */
export function describeSelection(s: Selection): string {
  const parts: string[] = [];
  if (s.all) parts.push("--all");
  if (s.years) parts.push(`--year ${s.years.from === s.years.to ? s.years.from : `${s.years.from}..${s.years.to}`}`);
  if (s.agency !== null) parts.push(`--agency ${s.agency}`);
  if (s.statuses) parts.push(`--status ${s.statuses.join(",")}`);
  if (s.sinceVersion !== null) parts.push(`--since-version ${s.sinceVersion}`);
  parts.push(...s.paths);
  return parts.join(" ");
}

/** Whether the stored source of a report lies under a path argument. */
function sourceUnder(arg: string, s: ReportSummary): boolean {
  const under = (value: string, prefix: string, slash: string) =>
    value === prefix || value.startsWith(prefix.endsWith(slash) ? prefix : `${prefix}${slash}`);
  if (/^s3:\/\//i.test(arg)) return s.sourceUri !== null && s.sourceUri.startsWith(arg); // S3 prefixes are plain prefixes
  if (s.sourceUri?.startsWith("file:")) {
    let path: string | null = null;
    try {
      path = fileURLToPath(s.sourceUri);
    } catch {
      path = null;
    }
    if (path !== null && under(path, resolve(arg), sep)) return true;
  }
  // A key prefix (2019/淮安市/), wherever the inbox was.
  return !isAbsolute(arg) && s.sourceKey !== null && under(s.sourceKey, arg.replace(/^\.\//, ""), "/");
}

export function selects(sel: Selection, s: ReportSummary): boolean {
  if (sel.years && (s.year === null || s.year < sel.years.from || s.year > sel.years.to)) return false;
  if (sel.agency !== null && (s.agency === null || !normaliseName(s.agency).includes(sel.agency))) return false;
  if (sel.statuses && (s.status === null || !sel.statuses.includes(s.status))) return false;
  if (sel.sinceVersion !== null && compareVersions(s.pipelineVersion, sel.sinceVersion) >= 0) return false;
  if (sel.paths.length && !sel.paths.some((p) => sourceUnder(p, s))) return false;
  return true;
}

// ---------------------------------------------------------------------------------- runs

export type From = "auto" | "extract" | "reconstruct";

/**
 * The run id: the target version and a hash of what was asked, so that the same command run
 * again resumes the same run (same job ids). Only characters allowed in a BullMQ job id.
 */
export function runIdFor(version: string, selection: Selection, from: From, force = false): string {
  // `force` only when given, so that the runs of earlier commands keep their ids.
  const what = JSON.stringify({ ...selection, paths: [...selection.paths].sort(), from, ...(force ? { force } : {}) });
  const hash = createHash("sha256").update(what).digest("hex").slice(0, 10);
  return RunId.parse(`${version.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40)}-${hash}`);
}

// ------------------------------------------------------------------------------ enqueueing

export interface PlannedJob {
  summary: ReportSummary;
  stage: "extract" | "reconstruct";
  /** Already in the run (an earlier invocation): re-added, and deduplicated by its job id. */
  resumed: boolean;
}

export interface BackfillTally {
  /** Documents the selectors matched. */
  matched: number;
  /** Already stored at this pipeline version: nothing to do. */
  current: number;
  /** Stored at a newer version than this pipeline: left alone (also with force). */
  newer: number;
  /** Added to the run now. */
  enqueued: number;
  /** In the run from an earlier invocation and not finished: added again (deduplicated). */
  resumed: number;
  /** Failed earlier in this run and left failed (no --retry-failed). */
  failedEarlier: number;
  /** Failed earlier and enqueued again (--retry-failed). */
  retried: number;
  /** --from reconstruct, but no extraction artifact is stored. */
  noArtifact: number;
  /** To extract, but the store knows no source to read the original from. */
  noSource: number;
  byStage: { extract: number; reconstruct: number };
}

const emptyTally = (): BackfillTally => ({
  matched: 0,
  current: 0,
  newer: 0,
  enqueued: 0,
  resumed: 0,
  failedEarlier: 0,
  retried: 0,
  noArtifact: 0,
  noSource: 0,
  byStage: { extract: 0, reconstruct: 0 },
});

export interface BackfillOptions {
  store: OutputStore;
  selection: Selection;
  from: From;
  pipelineVersion: string;
  runId: string;
  /** BullMQ priority of the run's jobs (≥ 1; live jobs have none and go first). */
  priority: number;
  chunkSize: number;
  retryFailed: boolean;
  /**
   * Also the documents already stored at this pipeline version (`reprocess --force`): they are
   * run again, once per run (a resumed run skips those it has done).
   */
  force?: boolean;
  /** Null for a dry run: nothing is written anywhere. */
  queues: StageQueues | null;
  run: RunState | null;
  /** Aborting stops after the chunk being added: every job added is also in the run. */
  signal?: AbortSignal;
  /** Called for every job that is (or, in a dry run, would be) added. */
  onPlanned?: (job: PlannedJob) => void;
  onChunk?: (tally: BackfillTally) => void;
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** The upload bucket root an original can be read through: the URI without its key. */
export function bucketRootOf(source: SourceRef): string {
  if (source.uri.startsWith("s3://")) {
    if (source.key !== "" && source.uri.endsWith(`/${source.key}`)) return source.uri.slice(0, -source.key.length);
    return source.uri.replace(/^(s3:\/\/[^/]+\/).*$/s, "$1");
  }
  const path = fileURLToPath(source.uri);
  const tail = source.key.split("/").join(sep);
  const dir = source.key !== "" && path.endsWith(`${sep}${tail}`) ? path.slice(0, -tail.length - 1) : dirname(path);
  return pathToFileURL(dir).href;
}

/** The source a result was stored from, as full as the ingest record has it. */
async function sourceOf(store: OutputStore, s: ReportSummary): Promise<SourceRef | null> {
  const ingest = await store.getIngest(s.sha256);
  const sources = ingest?.sources ?? [];
  const found = sources.find((x) => x.uri === s.sourceUri) ?? sources[0];
  if (found) return found;
  return s.sourceUri === null ? null : { uri: s.sourceUri, key: s.sourceKey ?? "", size: 0 };
}

const artifactExists = async (store: OutputStore, key: string) =>
  store.hasArtifact ? store.hasArtifact(key) : (await store.getArtifact(key)) !== null;

/**
 * Streams the selection into the run, chunk by chunk. Memory holds one chunk, whatever the
 * store's size. Within a chunk the documents are first recorded in the run (with the version
 * they had before), then added as jobs: a crash in between leaves documents in the run without
 * jobs, which the next invocation adds (it re-adds every unfinished document).
 */
export async function enqueueBackfill(o: BackfillOptions): Promise<BackfillTally> {
  const tally = emptyTally();
  let chunk: ReportSummary[] = [];
  const flush = async () => {
    const batch = chunk;
    chunk = [];
    if (batch.length) await enqueueChunk(o, batch, tally);
    o.onChunk?.(tally);
  };
  for await (const s of o.store.listReports()) {
    if (o.signal?.aborted) break;
    if (!selects(o.selection, s)) continue;
    tally.matched++;
    chunk.push(s);
    if (chunk.length >= o.chunkSize) await flush();
  }
  if (!o.signal?.aborted) await flush();
  return tally;
}

async function enqueueChunk(o: BackfillOptions, batch: readonly ReportSummary[], tally: BackfillTally): Promise<void> {
  const { store, queues, run } = o;
  const state = run ? await run.lookup(batch.map((s) => s.sha256)) : batch.map(() => ({ inRun: false, done: false, failed: null }));
  const stale = run && queues ? await lostFailures(queues, o.runId, batch, state) : new Map<string, FailureCode>();
  for (const [sha, code] of stale) await run?.markFailed(sha, code);

  type Todo = { summary: ReportSummary; resumed: boolean; retry: boolean };
  const todo: Todo[] = [];
  for (const [i, s] of batch.entries()) {
    const st = state[i] ?? { inRun: false, done: false, failed: null };
    const cmp = compareVersions(s.pipelineVersion, o.pipelineVersion);
    if (cmp > 0) {
      tally.newer++;
      continue;
    }
    if (cmp === 0 && (!o.force || st.done)) {
      tally.current++;
      // Stored at this version by some other way while in the run: count it as done.
      if (st.inRun && !st.done && run) await run.markDone(s.sha256, s.status ?? "incomplete");
      continue;
    }
    const failed = st.failed ?? stale.get(s.sha256) ?? null;
    if (failed !== null && !o.retryFailed) {
      tally.failedEarlier++;
      continue;
    }
    todo.push({ summary: s, resumed: st.inRun, retry: failed !== null });
  }

  type Planned = { t: Todo; skip: "noArtifact" | "noSource" } | { t: Todo; skip: null; stage: "extract" | "reconstruct"; source: SourceRef };
  const planned = await mapLimit(todo, 16, async (t): Promise<Planned> => {
    const s = t.summary;
    const hasArtifact = o.from === "extract" ? false : await artifactExists(store, extractionKey(s.sha256));
    if (o.from === "reconstruct" && !hasArtifact) return { t, skip: "noArtifact" };
    const source = await sourceOf(store, s);
    if (!source) return { t, skip: "noSource" };
    return { t, skip: null, stage: hasArtifact ? "reconstruct" : "extract", source };
  });

  const jobs: Record<"extract" | "reconstruct", { name: string; data: unknown; opts: { jobId: string; priority: number } }[]> = { extract: [], reconstruct: [] };
  const retried: string[] = [];
  const docs: { sha256: string; previousVersion: string }[] = [];
  for (const p of planned) {
    if (p.skip !== null) {
      tally[p.skip]++;
      continue;
    }
    const s = p.t.summary;
    const base = {
      documentId: documentIdOf(s.sha256),
      bucket: bucketRootOf(p.source),
      source: { ...p.source, versionId: p.source.versionId ?? null, etag: p.source.etag ?? null, mtime: p.source.mtime ?? null },
      fileName: p.source.key.split("/").pop() || (s.sourceKey ? basename(s.sourceKey) : null),
      runId: o.runId,
    };
    const data = p.stage === "reconstruct" ? ReconstructJob.parse({ ...base, artifactKey: extractionKey(s.sha256) }) : ExtractJob.parse(base);
    jobs[p.stage].push({ name: jobName(p.stage, base.fileName), data, opts: { jobId: jobIdOf(base), priority: o.priority } });
    docs.push({ sha256: s.sha256, previousVersion: s.pipelineVersion });
    if (p.t.retry) retried.push(s.sha256);
    tally.byStage[p.stage]++;
    if (p.t.retry) tally.retried++;
    else if (p.t.resumed) tally.resumed++;
    else tally.enqueued++;
    o.onPlanned?.({ summary: s, stage: p.stage, resumed: p.t.resumed });
  }
  if (!queues || !run) return; // dry run

  // A failed job keeps its id: it must go before the same id can be added again.
  for (const sha of retried) {
    const jobId = jobIdOf({ documentId: documentIdOf(sha), runId: o.runId });
    for (const stage of STAGES) await queues.queues[stage].remove(jobId).catch(() => 0);
  }
  await run.clearFailed(retried);
  await run.addDocs(docs);
  // The originals' buckets, from the store's own records: the workers read only from
  // registered roots (job data is not trusted).
  const roots = new Set([...jobs.extract, ...jobs.reconstruct].map((j) => (j.data as { bucket: string }).bucket));
  if (roots.size) await queues.connection.sadd(bucketsKey(queues.prefix), ...roots);
  for (const stage of ["reconstruct", "extract"] as const) if (jobs[stage].length) await queues.queues[stage].addBulk(jobs[stage]);
}

/**
 * Documents of the run whose job failed for good while its failure could not be recorded (Redis
 * down at that moment): found in the queues' failed sets, so that a rerun does not wait for them.
 */
async function lostFailures(
  queues: StageQueues,
  runId: string,
  batch: readonly ReportSummary[],
  state: readonly { inRun: boolean; done: boolean; failed: string | null }[],
): Promise<Map<string, FailureCode>> {
  const open = batch.filter((_, i) => state[i]?.inRun && !state[i]?.done && state[i]?.failed === null);
  const out = new Map<string, FailureCode>();
  if (open.length === 0) return out;
  const pipeline = queues.connection.pipeline();
  const probes: string[] = [];
  for (const s of open) {
    const jobId = jobIdOf({ documentId: documentIdOf(s.sha256), runId });
    for (const stage of STAGES) {
      const q = queues.queues[stage];
      pipeline.zscore(q.toKey("failed"), jobId);
      pipeline.hget(q.toKey(jobId), "failedReason");
      probes.push(s.sha256);
    }
  }
  const results = (await pipeline.exec()) ?? [];
  probes.forEach((sha, i) => {
    const score = results[2 * i]?.[1];
    const reason = results[2 * i + 1]?.[1];
    if (score !== null && score !== undefined && !out.has(sha)) out.set(sha, parseFailedReason(typeof reason === "string" ? reason : undefined).code);
  });
  return out;
}

// ------------------------------------------------------------------------------- watching

export interface Progress extends RunCounts {
  remaining: number;
  /** Documents finished per second since this invocation started watching. */
  rate: number;
  /** Seconds left at that rate, or null before there is a rate. */
  etaSeconds: number | null;
}

/**
 * Polls the run's counts until every document is done or failed (after enqueueing has
 * finished), or the signal aborts. Bounded memory: three counters in Redis.
 */
export async function watchRun(
  run: RunState,
  o: { enqueued: () => boolean; signal?: AbortSignal; intervalMs?: number; onProgress: (p: Progress) => void },
): Promise<"finished" | "interrupted"> {
  const started = Date.now();
  let first: number | null = null;
  for (;;) {
    const c = await run.counts();
    const finished = c.done + c.failed;
    first ??= finished;
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0.5 ? (finished - first) / elapsed : 0;
    const remaining = Math.max(0, c.total - finished);
    o.onProgress({ ...c, remaining, rate, etaSeconds: rate > 0 ? remaining / rate : null });
    if (o.enqueued() && remaining === 0) return "finished";
    if (o.signal?.aborted) return "interrupted";
    await sleep(o.intervalMs ?? 500, o.signal);
  }
}

/** Waits `ms`, or less if the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const wake = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", wake);
      r();
    };
    const timer = setTimeout(wake, ms);
    signal?.addEventListener("abort", wake, { once: true });
  });
}

// -------------------------------------------------------------------------------- summary

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
  store: OutputStore,
  run: RunState,
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
