/**
 * FileStore: the default output store, plain files under one folder (./data/out), one module
 * per job in file/:
 *
 *   <root>/ingest/<sha256>.json          the ingest ledger                  file/ledger.ts
 *   <root>/artifacts/<safe key>.json     artifacts                          file/artifacts.ts
 *   <root>/reports/<year>/<agency>/…     results, with R6                   file/results.ts
 *   <root>/index.ndjson                  where each result's file is        file/result-index.ts
 *   <root>/failures.ndjson               the failure log                    file/failures.ts
 *
 * What the parts share lives once: paths kept under the root (file/paths.ts), atomic writes
 * (file/fs.ts), append-only NDJSON read as it grows (file/ndjson.ts), and the write queue and
 * lock files (file/lock.ts). Writes are serialised inside one process (one WriteQueue for the
 * whole store); across the processes of one host, lock files guard the read-modify-writes.
 * Several hosts sharing one folder should use PgStore.
 */
import { stat } from "node:fs/promises";
import { AgencyAliases } from "../identity/aliases.js";
import { ComposedStore } from "./composed.js";
import { FileArtifactStore } from "./file/artifacts.js";
import { FileFailureLog } from "./file/failures.js";
import { removeStaleTemps } from "./file/fs.js";
import type { IndexEntry } from "./file/result-index.js";
import { FileIngestLedger } from "./file/ledger.js";
import { WriteQueue } from "./file/lock.js";
import { StoreRoot } from "./file/paths.js";
import { FileResultStore } from "./file/results.js";
import type { StoreOptions } from "./types.js";

export { MAX_SEGMENT_BYTES, safeSegment } from "./file/paths.js";
export { removeStaleTemps } from "./file/fs.js";
export type { IndexEntry } from "./file/result-index.js";

interface FileParts {
  ledger: FileIngestLedger;
  artifacts: FileArtifactStore;
  results: FileResultStore;
  failures: FileFailureLog;
}

export class FileStore extends ComposedStore<FileParts> {
  readonly root: string;
  private readonly queue: WriteQueue;

  constructor(root: string, options: StoreOptions = {}) {
    const dir = new StoreRoot(root);
    const queue = new WriteQueue();
    super({
      ledger: new FileIngestLedger(dir, queue),
      artifacts: new FileArtifactStore(dir, queue),
      results: new FileResultStore(dir, options.aliases ?? AgencyAliases.none, queue),
      failures: new FileFailureLog(dir, queue),
    });
    this.root = dir.root;
    this.queue = queue;
  }

  async init(): Promise<void> {
    const { ledger, artifacts, results, failures } = this.parts;
    for (const part of [ledger, artifacts, results, failures]) await part.init();
    await this.queue.run(() => removeStaleTemps(this.root));
  }

  async probe(): Promise<void> {
    if (!(await stat(this.root)).isDirectory()) throw new Error(`${this.root} is not a folder`);
    await this.hasResult("0".repeat(64), "0.0.0");
  }

  async close(): Promise<void> {
    await this.queue.idle();
  }

  /** The current index entries (one per (sha256, version)), for tools and tests. */
  indexEntries(): Promise<IndexEntry[]> {
    return this.parts.results.indexEntries();
  }
}
