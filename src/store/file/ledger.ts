/**
 * The file store's ingest ledger: one JSON file per content, `<root>/ingest/<sha256>.json`
 * (an IngestRecord). Across processes firstTime is still exact: the record is created with
 * link(), which fails if the file exists; adding a source to it is a read-modify-write under
 * the lock file `<root>/.ingest.lock`, so two processes adding sources at once lose none.
 */
import { mkdir } from "node:fs/promises";
import type { IngestLedger, IngestRecord, SourceRef } from "../types.js";
import { json, readJson, writeAtomic, writeExclusive } from "./fs.js";
import { LockFile, WriteQueue } from "./lock.js";
import { assertSha, type StoreRoot } from "./paths.js";

const sameSource = (a: SourceRef, b: SourceRef) => a.uri === b.uri && (a.versionId ?? null) === (b.versionId ?? null);

export class FileIngestLedger implements IngestLedger {
  private readonly lock: LockFile;

  constructor(
    private readonly root: StoreRoot,
    private readonly queue = new WriteQueue(),
  ) {
    this.lock = new LockFile(root.root, ".ingest.lock");
  }

  async init(): Promise<void> {
    await mkdir(this.root.path("ingest"), { recursive: true });
  }

  async recordIngest(sha256: string, source: SourceRef): Promise<{ firstTime: boolean }> {
    const file = this.file(sha256);
    return this.queue.run(async () => {
      const fresh: IngestRecord = { sha256, sources: [source], firstSeen: new Date().toISOString() };
      if (await writeExclusive(file, json(fresh))) return { firstTime: true };
      await this.lock.hold(async () => {
        const rec = await readJson<IngestRecord>(file);
        if (rec && !rec.sources.some((s) => sameSource(s, source))) {
          rec.sources.push(source);
          await writeAtomic(file, json(rec));
        }
      });
      return { firstTime: false };
    });
  }

  async getIngest(sha256: string): Promise<IngestRecord | null> {
    return readJson<IngestRecord>(this.file(sha256));
  }

  private file(sha256: string): string {
    assertSha(sha256);
    return this.root.path("ingest", `${sha256}.json`);
  }
}
