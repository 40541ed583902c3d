/**
 * Batch reprocessing ("backfill") of documents already in the store: `nianbao reprocess`.
 *
 *   select   stream store.listReports() through the selectors (src/backfill/selection.ts),
 *            never all of it in memory
 *   enqueue  in chunks (queue.addBulk), at a backfill priority, starting at reconstruct from the
 *            stored extraction artifact where there is one (no file parsed), else at extract
 *   watch    poll the run's counts in Redis (queues/runs.ts) until every document is done
 *   summary  src/backfill/summary.ts: counts by status, and every document whose cells or
 *            status changed against the result stored before the run, as JSON, CSV and text
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
import { fileURLToPath, pathToFileURL } from "node:url";
import { basename, dirname, sep } from "node:path";
import { mapLimit } from "../src/backfill/concurrency.js";
import { selects, type From, type Selection } from "../src/backfill/selection.js";
import { parseFailedReason, type FailureCode } from "../src/failures.js";
import { compareVersions } from "../src/store/cross-year.js";
import type { ArtifactStore, IngestLedger, ReportSummary, ResultStore, SourceRef } from "../src/store/types.js";
import type { StageQueues } from "./connection.js";
import { documentIdOf, ExtractJob, extractionKey, jobIdOf, jobName, ReconstructJob } from "./jobs.js";
import { STAGES } from "./names.js";
import { bucketsKey } from "./producer.js";
import type { RunCounts, RunState } from "./runs.js";

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
  /** The listing to select from, the ingest records that tell each original, the artifacts to start from. */
  store: ResultStore & IngestLedger & ArtifactStore;
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
async function sourceOf(store: IngestLedger, s: ReportSummary): Promise<SourceRef | null> {
  const ingest = await store.getIngest(s.sha256);
  const sources = ingest?.sources ?? [];
  const found = sources.find((x) => x.uri === s.sourceUri) ?? sources[0];
  if (found) return found;
  return s.sourceUri === null ? null : { uri: s.sourceUri, key: s.sourceKey ?? "", size: 0 };
}

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
    const hasArtifact = o.from === "extract" ? false : await store.hasArtifact(extractionKey(s.sha256));
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

