/**
 * The file store's results, with rule R6:
 *
 *   <root>/reports/<year|unknown-year>/<agency|unknown-agency>/<sha256>.<version>.json   StoredReport
 *   <root>/index.ndjson   append-only; the last line for a (sha256, version) is the current one (result-index.ts)
 *
 * putResult holds the lock file `<root>/.results.lock`, so that two workers storing an
 * agency's year N and year N+1 at the same time (a backfill does) each see the other's result
 * and R6 comes out the same as in one process.
 */
import { mkdir, rm } from "node:fs/promises";
import type { AgencyAliases } from "../../identity/aliases.js";
import { normaliseName } from "../../identity/index.js";
import type { Envelope, Finding } from "../../model.js";
import { compareVersions, crossYearSlot, lookupKeys, r6Findings, resultKey, slotKey, standingChanged, storedKey, type CrossYearSlot } from "../cross-year.js";
import type { ReportSummary, ResultStore, SourceRef, StoredReport } from "../types.js";
import { exists, json, readJson, writeAtomic } from "./fs.js";
import { ResultIndex, sameEntry, type IndexEntry } from "./result-index.js";
import { LockFile, WriteQueue } from "./lock.js";
import { assertSha, safeSegment, type StoreRoot } from "./paths.js";

export class FileResultStore implements ResultStore {
  private readonly index: ResultIndex;
  private readonly lock: LockFile;

  constructor(
    private readonly root: StoreRoot,
    readonly aliases: AgencyAliases,
    private readonly queue = new WriteQueue(),
  ) {
    this.index = new ResultIndex(root.path("index.ndjson"), aliases);
    this.lock = new LockFile(root.root, ".results.lock");
  }

  async init(): Promise<void> {
    await this.queue.run(async () => {
      await mkdir(this.root.path("reports"), { recursive: true });
      await this.index.terminateLastLine();
      await this.index.refresh();
    });
  }

  async putResult(envelope: Envelope, source: SourceRef | null): Promise<{ crossYear: Finding[] }> {
    const { sha256 } = envelope.source;
    const version = envelope.pipeline.version;
    assertSha(sha256);
    return this.queue.run(() => this.lock.hold(async () => {
      await this.index.refresh();
      const slot = crossYearSlot(envelope, this.aliases);
      const previous = slot ? await this.neighbour({ agencyKey: slot.agencyKey, year: slot.year - 1 }, sha256) : null;
      const old = this.index.get(resultKey(sha256, version));
      const oldSlot = old ? this.index.slotOf(old) : null;
      // Which report stands for the slots this put touches, before it: the next year's R6 is
      // checked again only where that changes (or where it is this report, whose numbers may have).
      const touched = new Map<string, { slot: CrossYearSlot; before: string | null }>();
      for (const s of [slot, oldSlot]) {
        if (!s) continue;
        await this.learnStoredAt(s);
        touched.set(slotKey(s), { slot: s, before: this.index.standing(s, "") });
      }
      const crossYear = previous ? r6Findings(previous.envelope, envelope) : [];

      const r = envelope.report;
      const entry: IndexEntry = {
        sha256,
        pipelineVersion: version,
        path: reportPath(r.year, r.agency, sha256, version),
        format: r.format,
        agency: r.agency,
        agencyKey: storedKey(r),
        year: r.year,
        status: envelope.validation.status,
        sourceKey: source?.key ?? null,
        sourceUri: source?.uri ?? null,
      };
      // An unchanged result stored again keeps its storedAt: the index gains no line, and the
      // report does not become the newer copy of its agency-year by being written again.
      const storedAt = old?.storedAt !== undefined && sameEntry(old, { ...entry, storedAt: old.storedAt }) ? old.storedAt : new Date().toISOString();
      entry.storedAt = storedAt;
      const stored: StoredReport = { envelope, crossYear, source, storedAt };
      await writeAtomic(this.root.abs(entry.path), json(stored));

      if (!old || !sameEntry(old, entry)) await this.index.append(entry);
      // The agency or year changed since this (sha256, version) was last stored: its old file
      // goes (the index now points at the new one), and its old next year is checked again.
      if (old && old.path !== entry.path) await rm(this.root.abs(old.path), { force: true });

      for (const { slot: s, before } of touched.values()) {
        if (standingChanged(before, this.index.standing(s, ""), resultKey(sha256, version))) await this.recheckNextYear(s);
      }
      return { crossYear };
    }));
  }

  async getResult(sha256: string, pipelineVersion?: string): Promise<StoredReport | null> {
    assertSha(sha256);
    await this.refresh();
    let entry: IndexEntry | undefined;
    if (pipelineVersion !== undefined) entry = this.index.get(resultKey(sha256, pipelineVersion));
    else
      for (const e of this.index.values())
        if (e.sha256 === sha256 && (!entry || compareVersions(e.pipelineVersion, entry.pipelineVersion) > 0)) entry = e;
    return entry ? this.read(entry) : null;
  }

  async hasResult(sha256: string, pipelineVersion: string): Promise<boolean> {
    assertSha(sha256);
    await this.refresh();
    const entry = this.index.get(resultKey(sha256, pipelineVersion));
    return entry !== undefined && (await exists(this.root.abs(entry.path)));
  }

  async findByAgencyYear(agency: string, year: number): Promise<StoredReport[]> {
    await this.refresh();
    const keys = new Set(lookupKeys(agency, this.aliases));
    const entries = [...this.index.values()]
      .filter((e) => e.agencyKey !== null && keys.has(e.agencyKey) && e.year === year)
      .sort((a, b) => (a.sha256 === b.sha256 ? compareVersions(b.pipelineVersion, a.pipelineVersion) : a.sha256 < b.sha256 ? -1 : 1));
    const out: StoredReport[] = [];
    for (const e of entries) {
      const rec = await this.read(e);
      if (rec) out.push(rec);
    }
    return out;
  }

  async *listReports(): AsyncIterable<ReportSummary> {
    await this.refresh();
    const newest = new Map<string, IndexEntry>();
    for (const e of this.index.values()) {
      const cur = newest.get(e.sha256);
      if (!cur || compareVersions(e.pipelineVersion, cur.pipelineVersion) > 0) newest.set(e.sha256, e);
    }
    for (const e of newest.values()) {
      let { status, sourceKey, sourceUri } = e;
      if (status === undefined) {
        // an index line from before status was indexed: read the report itself
        const rec = await this.read(e);
        status = rec?.envelope.validation.status ?? null;
        sourceKey = rec?.source?.key ?? null;
        sourceUri = rec?.source?.uri ?? null;
      }
      yield {
        sha256: e.sha256,
        pipelineVersion: e.pipelineVersion,
        format: e.format,
        agency: e.agency,
        agencyKey: e.agencyKey ?? null,
        year: e.year,
        status: status ?? null,
        sourceKey: sourceKey ?? null,
        sourceUri: sourceUri ?? null,
      };
    }
  }

  /** The current index entries (one per (sha256, version)), for tools and tests. */
  async indexEntries(): Promise<IndexEntry[]> {
    await this.refresh();
    return [...this.index.values()];
  }

  /** Folds in what other processes appended to the index, after this store's own writes. */
  private refresh(): Promise<void> {
    return this.queue.run(() => this.index.refresh());
  }

  private read(e: IndexEntry): Promise<StoredReport | null> {
    return readJson<StoredReport>(this.root.abs(e.path));
  }

  /** The stored report standing for an agency-year (see pickNeighbour), other than `exclude`. */
  private async neighbour(slot: CrossYearSlot, exclude: string): Promise<StoredReport | null> {
    await this.learnStoredAt(slot);
    // The index carries what pickNeighbour compares: only the pick is read.
    const skip = new Set<string>();
    for (;;) {
      const key = this.index.standing(slot, exclude, skip);
      if (key === null) return null;
      const rec = await this.read(this.index.get(key) as IndexEntry);
      if (rec) return rec;
      skip.add(key); // removed since the index was read
    }
  }

  /** Index lines written before storedAt was indexed: their report files tell it, once. */
  private async learnStoredAt(slot: CrossYearSlot): Promise<void> {
    for (const key of this.index.members(slot)) {
      const e = this.index.get(key);
      if (!e || e.storedAt !== undefined) continue;
      const rec = await this.read(e);
      if (rec) e.storedAt = rec.storedAt;
    }
  }

  /** Recomputes R6 of every report in the year after `slot`, against what `slot` now holds. */
  private async recheckNextYear(slot: CrossYearSlot): Promise<void> {
    const next: CrossYearSlot = { agencyKey: slot.agencyKey, year: slot.year + 1 };
    const standing = await this.neighbour(slot, "");
    for (const key of this.index.members(next)) {
      const e = this.index.get(key);
      if (!e) continue;
      const rec = await this.read(e);
      if (!rec) continue;
      // The same document stored in both years (two versions that read the year differently)
      // is never its own neighbour.
      const previous = standing && standing.envelope.source.sha256 === e.sha256 ? await this.neighbour(slot, e.sha256) : standing;
      const crossYear = previous ? r6Findings(previous.envelope, rec.envelope) : [];
      if (JSON.stringify(crossYear) !== JSON.stringify(rec.crossYear)) await writeAtomic(this.root.abs(e.path), json({ ...rec, crossYear }));
    }
  }
}

/** Where a result's file goes: reports/<year>/<agency>/<sha256>.<version>.json, every segment sanitised. */
function reportPath(year: number | null, agency: string | null, sha256: string, version: string): string {
  const y = year !== null && Number.isSafeInteger(year) ? safeSegment(String(year)) : "unknown-year";
  const key = agency === null ? "" : normaliseName(agency);
  const a = key === "" ? "unknown-agency" : safeSegment(key);
  return ["reports", y, a, `${sha256}.${safeSegment(version)}.json`].join("/");
}
