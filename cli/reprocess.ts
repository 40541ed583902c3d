/**
 * `nianbao reprocess` (batch reprocessing of stored documents) and `nianbao import` (a whole
 * archive at backfill priority). Adapters: the logic is in queues/backfill.ts and queues/runs.ts.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { exitStatus } from "../src/failures.js";
import { openBucket } from "../src/bucket/index.js";
import type { BucketObject, UploadBucket } from "../src/bucket/types.js";
import type { Config } from "../src/config.js";
import { PIPELINE_VERSION } from "../src/process.js";
import { normaliseName } from "../src/identity/index.js";
import { withStore } from "../src/store/index.js";
import { describeSelection, EMPTY_SELECTION, isEmptySelection, RunId, runIdFor, STATUSES, type From, type Selection } from "../src/backfill/selection.js";
import { formatSummary, summarizeRun } from "../src/backfill/summary.js";
import type { ValidationStatus } from "../src/model.js";
import { enqueueBackfill, watchRun, type BackfillTally, type Progress } from "../queues/backfill.js";
import { StageQueues } from "../queues/connection.js";
import { ENQUEUE_BATCH, Producer } from "../queues/producer.js";
import { RunState } from "../queues/runs.js";

// ------------------------------------------------------------------------- arguments

/** `2019`, `2019..2021` (or `2019-2021`). Throws on anything else. */
export function parseYears(text: string): { from: number; to: number } {
  const m = /^\s*(\d{4})\s*(?:(?:\.\.|-|–)\s*(\d{4}))?\s*$/.exec(text);
  if (!m) throw new Error(`--year must be a year or a range like 2019..2020, not ${JSON.stringify(text)}`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) throw new Error(`--year ${text}: the range ends before it starts`);
  return { from, to };
}

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


/** Default BullMQ priority of backfill jobs (live jobs have none, and so always go first). */
export const BACKFILL_PRIORITY = 10;

export const REPROCESS_USAGE = `usage: nianbao reprocess SELECTOR... [OPTIONS]

  Reprocesses stored documents with this pipeline version (${PIPELINE_VERSION}), at backfill
  priority: live uploads always go first. Selectors (all given must match):
    --year 2019 | 2019..2020     the year reported on
    --agency TEXT                 agency name contains TEXT (NFKC, whitespace ignored)
    --status invalid,incomplete   status of the newest stored result (repeatable)
    --since-version X.Y.Z         newest stored result is older than this version
    PATH | s3://bucket/prefix     the original was stored under this folder, key or prefix
    --all                         every stored document
  Options:
    --from extract|reconstruct    start stage (default: reconstruct where the extraction
                                  artifact is stored, else extract; reconstruct parses no file)
    --dry-run                     print what would be enqueued; change nothing
    --out DIR                     summary folder (default ./data/reprocess/<run id>/)
    --run-id ID                   name the run (default: from the version and the selectors)
    --chunk N                     jobs per addBulk (default 500)
    --priority N                  BullMQ priority of the run's jobs (default ${BACKFILL_PRIORITY})
    --retry-failed                enqueue again the documents that failed in this run
    --force                       also the documents already stored at ${PIPELINE_VERSION}
                                  (e.g. --all --from extract --force: everything parsed again)
    --detach                      enqueue and exit; run the same command again to watch

  Running the same command again resumes the run: what is stored at this version is skipped,
  what is enqueued is not added twice. Exit codes: 0 finished (failed documents are listed
  in the summary), 2 usage, 130 interrupted.`;

export const IMPORT_USAGE = `usage: nianbao import [--priority N] DIR|s3://bucket/prefix

  Enqueues every file under DIR (any depth) or the S3 prefix at backfill priority. Files
  already ingested are skipped. Year and agency are read from each document, not the path.`;

class UsageError extends Error {}

function usage(text: string, message: string): number {
  process.stderr.write(`nianbao: ${message}\n\n${text}\n`);
  return exitStatus("usage");
}

function help(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

function positiveInt(name: string, text: string | undefined, def: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(text)}`);
  return n;
}

interface ReprocessArgs {
  selection: Selection;
  from: From;
  dryRun: boolean;
  out: string | null;
  runId: string | null;
  chunk: number;
  priority: number;
  retryFailed: boolean;
  force: boolean;
  detach: boolean;
}

export function parseReprocessArgs(args: string[]): ReprocessArgs | "help" {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      year: { type: "string" },
      agency: { type: "string" },
      status: { type: "string", multiple: true },
      "since-version": { type: "string" },
      all: { type: "boolean" },
      from: { type: "string" },
      "dry-run": { type: "boolean" },
      out: { type: "string" },
      "run-id": { type: "string" },
      chunk: { type: "string" },
      priority: { type: "string" },
      "retry-failed": { type: "boolean" },
      force: { type: "boolean" },
      detach: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const selection: Selection = { ...EMPTY_SELECTION, all: values.all ?? false, paths: positionals };
  try {
    if (values.year !== undefined) selection.years = parseYears(values.year);
    if (values.status !== undefined) selection.statuses = parseStatuses(values.status);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.agency !== undefined) {
    const key = normaliseName(values.agency);
    if (key === "") throw new UsageError("--agency needs some text");
    selection.agency = key;
  }
  if (values["since-version"] !== undefined) {
    if (!/^\d+(\.\d+)*([-+][0-9A-Za-z.-]+)?$/.test(values["since-version"])) throw new UsageError(`--since-version must be a version like 0.2.0`);
    selection.sinceVersion = values["since-version"];
  }
  if (isEmptySelection(selection)) throw new UsageError("say what to reprocess: --year, --agency, --status, --since-version, a path, or --all");
  const from = values.from ?? "auto";
  if (from !== "auto" && from !== "extract" && from !== "reconstruct") throw new UsageError(`--from must be extract or reconstruct, not ${from}`);
  const runId = values["run-id"] ?? null;
  if (runId !== null && !RunId.safeParse(runId).success) throw new UsageError("--run-id: letters, digits, . _ - only (at most 64)");
  return {
    selection,
    from,
    dryRun: values["dry-run"] ?? false,
    out: values.out ?? null,
    runId,
    chunk: positiveInt("--chunk", values.chunk, 500, 10_000),
    priority: positiveInt("--priority", values.priority, BACKFILL_PRIORITY, 2_097_151),
    retryFailed: values["retry-failed"] ?? false,
    force: values.force ?? false,
    detach: values.detach ?? false,
  };
}

/** First Ctrl-C (or SIGTERM) aborts gracefully; a second one exits at once. */
function interruptible(onFirst: () => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const on = () => {
    if (controller.signal.aborted) process.exit(130);
    onFirst();
    controller.abort();
  };
  process.on("SIGINT", on);
  process.on("SIGTERM", on);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
    },
  };
}

function tallyLine(t: BackfillTally, dryRun: boolean): string {
  const verb = dryRun ? "would enqueue" : "enqueued";
  const parts = [
    `${t.matched} matched`,
    `${verb} ${t.enqueued + t.resumed + t.retried} (${t.byStage.reconstruct} at reconstruct, ${t.byStage.extract} at extract` +
      (t.resumed ? `; ${t.resumed} already in the run` : "") +
      (t.retried ? `; ${t.retried} retried` : "") +
      ")",
    `${t.current} already at ${PIPELINE_VERSION}`,
  ];
  if (t.newer) parts.push(`${t.newer} stored at a newer version (left alone)`);
  if (t.failedEarlier) parts.push(`${t.failedEarlier} failed earlier in this run (--retry-failed to retry)`);
  if (t.noArtifact) parts.push(`${t.noArtifact} without an extraction artifact (skipped: --from reconstruct)`);
  if (t.noSource) parts.push(`${t.noSource} without a known original (skipped)`);
  return parts.join("; ");
}

const seconds = (s: number | null) =>
  s === null || !Number.isFinite(s) ? "?" : s < 90 ? `${Math.ceil(s)}s` : s < 5400 ? `${Math.round(s / 60)}min` : `${(s / 3600).toFixed(1)}h`;

/** A bar on a terminal; on anything else (a log, a pipe) one plain line every few seconds. */
function progressView(runId: string): { update: (p: Progress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        // {etaText}, not {eta}: that name is cli-progress's own estimate, from the bar's value alone.
        format: "reprocess |{bar}| {percentage}% {value}/{total} | {done} done, {failed} failed, {remaining} remaining | {rate}/s | ETA {etaText}",
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const payload = { done: p.done, failed: p.failed, remaining: p.remaining, rate: p.rate.toFixed(1), etaText: seconds(p.etaSeconds) };
        if (p.total === 0) return; // nothing enqueued yet
        if (!started) {
          bar.start(p.total, p.done + p.failed, payload);
          started = true;
        }
        bar.setTotal(p.total);
        bar.update(p.done + p.failed, payload);
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  let printed: Progress | null = null;
  let latest: Progress | null = null;
  const print = (p: Progress) => {
    const line = `reprocess ${runId}: ${p.done + p.failed}/${p.total} (${p.done} done, ${p.failed} failed, ${p.remaining} remaining), ${p.rate.toFixed(1)}/s, ETA ${seconds(p.etaSeconds)}`;
    process.stderr.write(`${line}\n`);
    printed = p;
    last = Date.now();
  };
  return {
    update: (p) => {
      latest = p;
      if (p.total > 0 && Date.now() - last >= 2000) print(p);
    },
    // The final state, unless it was the last line printed.
    stop: () => {
      const p = latest;
      if (p && (printed?.total !== p.total || printed.done !== p.done || printed.failed !== p.failed)) print(p);
    },
  };
}

export async function reprocessCommand(config: Config, args: string[]): Promise<number> {
  let parsed: ReprocessArgs | "help";
  try {
    parsed = parseReprocessArgs(args);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) return usage(REPROCESS_USAGE, (e as Error).message);
    throw e;
  }
  if (parsed === "help") return help(REPROCESS_USAGE);
  const opts = parsed;
  const runId = opts.runId ?? runIdFor(PIPELINE_VERSION, opts.selection, opts.from, opts.force);
  const selection = describeSelection(opts.selection);
  const outDir = resolve(opts.out ?? `./data/reprocess/${runId}`);
  const backfill = {
    selection: opts.selection,
    from: opts.from,
    pipelineVersion: PIPELINE_VERSION,
    runId,
    priority: opts.priority,
    chunkSize: opts.chunk,
    retryFailed: opts.retryFailed,
    force: opts.force,
  };

  return withStore(config, async (store) => {
    if (opts.dryRun) {
      // Reads the store only: no Redis, no run, no files.
      const tally = await enqueueBackfill({
        ...backfill,
        store,
        queues: null,
        run: null,
        onPlanned: (j) =>
          process.stdout.write(`${j.stage}\tsha256-${j.summary.sha256}\t${j.summary.year ?? "?"}\t${j.summary.agency ?? "?"}\t${j.summary.pipelineVersion}\t${j.summary.sourceKey ?? ""}\n`),
      });
      process.stdout.write(`dry run ${runId} (${selection}): ${tallyLine(tally, true)}\n`);
      return 0;
    }

    const queues = new StageQueues(config, "producer");
    const run = new RunState(queues.connection, config.QUEUE_PREFIX, runId, config.KEEP_FAILED_S);
    let interrupted = false;
    const stopping = interruptible(() => {
      interrupted = true;
      process.stderr.write(`\nnianbao: stopping (the jobs already enqueued stay in Redis); Ctrl-C again to quit at once\n`);
    });
    try {
      await queues.ready(config.QUEUE_CONNECT_TIMEOUT_MS);
      const meta = await run.open({ runId, pipelineVersion: PIPELINE_VERSION, selection, from: opts.from, createdAt: new Date().toISOString() });
      if (meta.selection !== selection || meta.from !== opts.from)
        process.stderr.write(`nianbao: run ${runId} was started as "${meta.selection}" (from ${meta.from}); continuing it with "${selection}"\n`);
      process.stderr.write(`reprocess ${runId}: ${selection}, from ${opts.from}, to pipeline ${PIPELINE_VERSION}\n`);

      let enqueued = false;
      const enqueueing = enqueueBackfill({
        ...backfill,
        store,
        queues,
        run,
        signal: stopping.signal,
      }).finally(() => (enqueued = true));

      if (opts.detach) {
        const tally = await enqueueing;
        process.stderr.write(`reprocess ${runId}: ${tallyLine(tally, false)}\n`);
        process.stdout.write(`${runId}\n`);
        return interrupted ? 130 : 0;
      }

      const view = progressView(runId);
      const watching = watchRun(run, { enqueued: () => enqueued, signal: stopping.signal, onProgress: (p) => view.update(p) });
      // Both run together: the workers start on the first chunk while the rest is added.
      const [tally, how] = await Promise.all([enqueueing, watching]);
      view.stop();
      process.stderr.write(`reprocess ${runId}: ${tallyLine(tally, false)}\n`);
      if (how === "interrupted" || interrupted) {
        const c = await run.counts();
        process.stderr.write(
          `reprocess ${runId}: interrupted with ${c.done} done, ${c.failed} failed, ${Math.max(0, c.total - c.done - c.failed)} remaining of ${c.total}; ` +
            `the workers go on with what is enqueued. Run the same command again to continue.\n`,
        );
        return 130;
      }
      const summary = await summarizeRun(store, run, { pipelineVersion: PIPELINE_VERSION, selection, from: opts.from, outDir });
      process.stdout.write(formatSummary(summary));
      return 0;
    } finally {
      stopping.dispose();
      await queues.close();
    }
  });
}

// ---------------------------------------------------------------------------------- import

/** The first listing; an unreadable root is the archive's fault, not a bug. */
async function firstPoll(bucket: UploadBucket): Promise<BucketObject[]> {
  try {
    return await bucket.poll();
  } catch (e) {
    throw new UnreadableError((e as Error).message);
  }
}

class UnreadableError extends Error {}

/** How many files `nianbao import` hashes at once. */
const HASH_LANES = 4;

export async function importCommand(config: Config, args: string[]): Promise<number> {
  let values: { priority?: string | undefined; help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args, allowPositionals: true, options: { priority: { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (e) {
    return usage(IMPORT_USAGE, (e as Error).message);
  }
  if (values.help) return help(IMPORT_USAGE);
  if (positionals.length !== 1) return usage(IMPORT_USAGE, "give one folder or s3:// prefix");
  let priority: number;
  try {
    priority = positiveInt("--priority", values.priority, BACKFILL_PRIORITY, 2_097_151);
  } catch (e) {
    return usage(IMPORT_USAGE, (e as Error).message);
  }
  const root = positionals[0] as string;
  let bucket: UploadBucket;
  try {
    // An archive is at rest: a file is complete the first time it is listed.
    bucket = openBucket(root, { stableChecks: 1, incompleteGraceMs: 0 });
  } catch (e) {
    return usage(IMPORT_USAGE, (e as Error).message);
  }
  return withStore(config, async (store) => {
    const queues = new StageQueues(config, "producer");
    const producer = new Producer(queues, store, bucket.root, config.QUEUE_PREFIX);
    await queues.ready(config.QUEUE_CONNECT_TIMEOUT_MS).catch(async (e: unknown) => {
      await bucket.close();
      await queues.close();
      throw e;
    });
    const stats = { enqueued: 0, duplicates: 0, failed: 0 };
    let interrupted = false;
    const stopping = interruptible(() => {
      interrupted = true;
      process.stderr.write(`\nnianbao: stopping the import; what is enqueued stays enqueued, and importing again skips it\n`);
    });
    let last = Date.now();
    const report = () => `import ${bucket.root}: ${stats.enqueued} enqueued, ${stats.duplicates} already ingested, ${stats.failed} failed`;
    try {
      // Poll until a poll finds nothing new: the whole tree, at any depth.
      for (let batch = await firstPoll(bucket); batch.length && !interrupted; batch = await bucket.poll()) {
        // ENQUEUE_BATCH objects at a time: hashed four at once, then enqueued in one round
        // trip (Producer.enqueueMany), as the watcher does.
        for (let from = 0; from < batch.length && !interrupted; from += ENQUEUE_BATCH) {
          const chunk = batch.slice(from, from + ENQUEUE_BATCH);
          // In the listing's order, whichever lane finished first (the first of two identical
          // files is the one enqueued).
          const byPosition: ({ object: BucketObject; sha: string } | undefined)[] = [];
          let next = 0;
          await Promise.all(
            Array.from({ length: HASH_LANES }, async () => {
              for (let i = next++; i < chunk.length && !interrupted; i = next++) {
                const object = chunk[i] as BucketObject;
                try {
                  byPosition[i] = { object, sha: await bucket.hash(object) };
                } catch (e) {
                  stats.failed++;
                  process.stderr.write(`nianbao: ${object.key}: ${(e as Error).message}\n`);
                }
              }
            }),
          );
          const hashed = byPosition.filter((h) => h !== undefined);
          try {
            for (const out of await producer.enqueueMany(hashed, { priority })) {
              if (out.status === "enqueued") stats.enqueued++;
              else stats.duplicates++;
            }
          } catch (e) {
            stats.failed += hashed.length;
            process.stderr.write(`nianbao: ${hashed.length} files from ${hashed[0]?.object.key ?? "?"}: ${(e as Error).message}\n`);
          }
          if (Date.now() - last > 2000) {
            last = Date.now();
            process.stderr.write(`${report()}\n`);
          }
        }
      }
      process.stdout.write(`${report()}\n`);
      return interrupted ? 130 : stats.failed ? exitStatus("unreadable") : 0;
    } catch (e) {
      if (!(e instanceof UnreadableError)) throw e;
      process.stderr.write(`nianbao: ${root}: unreadable: ${e.message}\n`);
      return exitStatus("unreadable");
    } finally {
      stopping.dispose();
      await bucket.close();
      await queues.close();
    }
  });
}
