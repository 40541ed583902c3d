/**
 * A pool of long-lived parser threads. Everything that costs time or memory in proportion to
 * a file runs in one: reconstructing and validating a stored extraction (buildEnvelope), or
 * parsing and then that: for `nianbao extract` (processBytes), and for the extract stage
 * (`build`: the envelope, and the extraction as JSON for its artifact); the caller's event
 * loop only waits.
 *
 * - Threads live across jobs, so pdf.js's font and CMap set-up is paid once per thread.
 * - Each task has a time limit: past it the thread is terminated (whatever it was doing) and
 *   replaced, and the task fails with code "timeout". The time runs from when a thread
 *   takes the task, not while it waits for one; a `build` task has it once for parsing and
 *   again for reconstructing and validating, as the two stages had when they ran apart.
 * - Each thread has a heap limit: a task that needs more kills only its own thread, and it
 *   fails with code "crashed"; the other tasks in flight are not touched.
 */
import { Worker } from "node:worker_threads";
import { removeScratchOf } from "../src/extract/programs.js";
import { tuneV8ForParsing } from "../src/tuning.js";
import type { Limits } from "../src/settings.js";
import { FailureError, type FailureCode } from "../src/failures.js";
import type { IntermediateDocument } from "../src/document.js";
import type { Envelope } from "../src/model.js";
import type { Extraction } from "../src/process.js";

/** The limits a file is read under (src/config.ts). */
export interface FileLimits {
  maxBytes: number;
  maxPages: number;
  maxExpandedBytes: number;
}

/** A file's limits from the configuration (a worker's Config, or `nianbao extract`'s Limits). */
export function fileLimits(c: Pick<Limits, "MAX_FILE_BYTES" | "MAX_PAGES" | "MAX_EXPANDED_BYTES">): FileLimits {
  return { maxBytes: c.MAX_FILE_BYTES, maxPages: c.MAX_PAGES, maxExpandedBytes: c.MAX_EXPANDED_BYTES };
}

/** What a thread is asked to do; each kind names the core function it runs. */
export type ThreadWork =
  | { kind: "envelope"; extraction: Extraction }
  | ({ kind: "process"; bytes: Uint8Array; fileName: string | null } & FileLimits)
  | ({ kind: "build"; bytes: Uint8Array; fileName: string | null } & FileLimits);

/**
 * A task as posted to a thread, with its time limit: the thread ends the programs a reader
 * runs (OCR, LibreOffice) by then, since the pool cannot once it has stopped the thread.
 */
export type ThreadTask = ThreadWork & { id: number; timeoutMs: number };

/**
 * What a `build` task gives back: the extraction, as the JSON of its artifact (a string
 * crosses the thread boundary far cheaper than the object), and the envelope, or the refusal
 * of reconstruct + validate (`not-a-report`) when the file parsed but is no report.
 */
export interface Built {
  documentJson: string;
  summary: Pick<IntermediateDocument, "pages" | "mediaType"> & { blocks: number };
  outcome: { ok: true; envelope: Envelope } | { ok: false; code: FailureCode; message: string };
}

/** What each kind of work gives back. */
export interface ThreadResult {
  envelope: Envelope;
  process: Envelope;
  build: Built;
}

export type ThreadReply =
  | { id: number; ok: true; result: ThreadResult[ThreadWork["kind"]] }
  | { id: number; ok: false; code: FailureCode; message: string }
  /** A `build` task has parsed the file: its time limit starts again for the second half. */
  | { id: number; parsed: true };

/** What a timed-out task was doing, for its message. */
const DOING: Record<ThreadWork["kind"], string> = {
  envelope: "reconstructing and validating",
  process: "reading the file",
  build: "parsing",
};

/** Failure of a task: a refusal code of the core, or "timeout" / "crashed" / "internal". */
export class ExtractFailure extends FailureError {
  constructor(code: FailureCode, message: string) {
    super(code, message);
    this.name = "ExtractFailure";
  }
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Pending {
  work: ThreadWork;
  timeoutMs: number;
  resolve: (result: ThreadResult[ThreadWork["kind"]]) => void;
  reject: (e: Error) => void;
}

export interface PoolOptions {
  size: number;
  /** Heap limit of each thread, in MB. */
  memoryMb: number;
  /** The thread script; defaults to thread-entry.js beside this module (the bundled extract-thread, code-cached). */
  script?: URL;
}

/**
 * A file's bytes move to the thread instead of being copied, so that a file (up to
 * MAX_FILE_BYTES) is held once, not twice, while it is read. They move when they fill a buffer
 * of their own, as a file read gives them: their buffer is then detached here, so the caller
 * must not use them after build() or process(). Bytes that are a view of a larger or shared
 * buffer are copied, leaving the buffer as it was.
 */
function handOver(work: ThreadWork): ArrayBuffer[] {
  if (work.kind === "envelope") return [];
  const { buffer, byteOffset, byteLength } = work.bytes;
  return buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength ? [buffer] : [];
}

export class ExtractPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Pending[] = [];
  private nextId = 1;
  private closed = false;
  /** Stopped threads being terminated, their scratch folders removed after. */
  private readonly stopping = new Set<Promise<void>>();
  private readonly script: URL;

  constructor(private readonly options: PoolOptions) {
    this.script = options.script ?? new URL("./thread-entry.js", import.meta.url);
    tuneV8ForParsing(); // before the first thread starts (src/tuning.ts)
    for (let i = 0; i < options.size; i++) this.slots.push({ worker: this.spawn(), busy: false });
  }

  private spawn(): Worker {
    const w = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb } });
    // An idle thread must not keep the process alive on its own.
    w.unref();
    return w;
  }

  /** Reconstructs and validates an extraction (buildEnvelope) in a parser thread, within `timeoutMs`. */
  envelope(extraction: Extraction, timeoutMs: number): Promise<Envelope> {
    return this.submit({ kind: "envelope", extraction }, timeoutMs);
  }

  /**
   * Both halves in one thread for the extract stage: the extraction (as its artifact's JSON)
   * and the envelope, within `timeoutMs` for parsing and `timeoutMs` again for the rest.
   * Takes `bytes` (see handOver).
   */
  build(task: Omit<Extract<ThreadWork, { kind: "build" }>, "kind">, timeoutMs: number): Promise<Built> {
    return this.submit({ kind: "build", ...task }, timeoutMs);
  }

  /** Both halves (processBytes, as `nianbao extract` runs them) in one thread, within `timeoutMs`. Takes `bytes` (see handOver). */
  process(task: Omit<Extract<ThreadWork, { kind: "process" }>, "kind">, timeoutMs: number): Promise<Envelope> {
    return this.submit({ kind: "process", ...task }, timeoutMs);
  }

  private submit<K extends ThreadWork["kind"]>(work: ThreadWork & { kind: K }, timeoutMs: number): Promise<ThreadResult[K]> {
    if (this.closed) return Promise.reject(new ExtractFailure("internal", "the parser pool is closed"));
    return new Promise((resolve, reject) => {
      this.waiting.push({ work, timeoutMs, resolve: resolve as (r: ThreadResult[ThreadWork["kind"]]) => void, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const next = this.waiting.shift();
      if (!next) return;
      this.start(slot, next);
    }
  }

  private start(slot: Slot, job: Pending): void {
    slot.busy = true;
    const id = this.nextId++;
    const worker = slot.worker;
    let done = false;
    let doing = DOING[job.work.kind];
    const finish = (replace: boolean, settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      if (replace) {
        this.stop(worker);
        if (!this.closed) slot.worker = this.spawn();
      } else {
        worker.unref();
      }
      slot.busy = false;
      settle();
      this.dispatch();
    };
    const expire = () => finish(true, () => job.reject(new ExtractFailure("timeout", `${doing} took longer than ${job.timeoutMs} ms`)));
    const onMessage = (reply: ThreadReply) => {
      if (reply.id !== id) return;
      if ("parsed" in reply) {
        doing = DOING.envelope;
        timer.refresh();
        return;
      }
      if (reply.ok) finish(false, () => job.resolve(reply.result));
      else finish(false, () => job.reject(new ExtractFailure(reply.code, reply.message)));
    };
    const onError = (e: Error) =>
      finish(true, () => job.reject(new ExtractFailure("crashed", `the parser thread died: ${e.message}`)));
    const onExit = (code: number) =>
      finish(true, () => job.reject(new ExtractFailure("crashed", `the parser thread exited with code ${code}`)));
    const timer = setTimeout(expire, job.timeoutMs);
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.ref();
    worker.postMessage({ id, timeoutMs: job.timeoutMs, ...job.work } satisfies ThreadTask, handOver(job.work));
  }

  /**
   * Terminates a thread (maybe mid-task), then removes the scratch folders its readers left
   * (their `finally` never ran; src/extract/programs.ts).
   */
  private stop(worker: Worker): void {
    const thread = worker.threadId;
    const done = worker
      .terminate()
      .then(() => void removeScratchOf(thread))
      .catch(() => undefined)
      .finally(() => this.stopping.delete(done));
    this.stopping.add(done);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.reject(new ExtractFailure("internal", "the parser pool was closed"));
    // A thread still busy is stopped like one past its time limit, its scratch folders removed.
    for (const s of this.slots) this.stop(s.worker);
    await Promise.all(this.stopping);
  }
}
