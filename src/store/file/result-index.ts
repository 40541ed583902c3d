/**
 * `<root>/index.ndjson` folded in memory: where the current file of each (sha256, version) is
 * (the last line for it wins), and which entries each agency-year holds, so that R6 never scans
 * the whole index. Lines appended by other processes are folded in on the next refresh().
 */
import type { AgencyAliases } from "../../identity/aliases.js";
import type { ValidationStatus } from "../../model.js";
import { pickNeighbour, resultKey, slotKey, type CrossYearSlot } from "../cross-year.js";
import { AppendLog } from "./ndjson.js";

/** One line of index.ndjson: where the current file of a (sha256, version) is. */
export interface IndexEntry {
  sha256: string;
  pipelineVersion: string;
  /** Relative to the root, with `/` separators. */
  path: string;
  format: string;
  agency: string | null;
  /** The report's agencyKey before aliases (storedKey: lines of older versions hold the normalised name), or null without an agency. */
  agencyKey: string | null;
  year: number | null;
  /** Validation status and source key (absent on lines written before they were indexed). */
  status?: ValidationStatus | null;
  sourceKey?: string | null;
  sourceUri?: string | null;
  /** When the report file was written (absent on lines written before 0.3.1): picks a neighbour without reading files. */
  storedAt?: string;
}

/** Whether two entries of one (sha256, version) say the same (storing it again adds no line). */
export const sameEntry = (a: IndexEntry, b: IndexEntry) =>
  a.path === b.path &&
  a.format === b.format &&
  a.agency === b.agency &&
  a.agencyKey === b.agencyKey &&
  a.year === b.year &&
  a.status === b.status &&
  a.sourceKey === b.sourceKey &&
  a.sourceUri === b.sourceUri &&
  a.storedAt === b.storedAt;

export class ResultIndex {
  private readonly log: AppendLog<IndexEntry>;
  /** The current entry per (sha256, version), by resultKey. */
  private readonly entries = new Map<string, IndexEntry>();
  /** The entries of each agency-year (slotKey → entry keys). */
  private readonly slots = new Map<string, Set<string>>();

  constructor(
    file: string,
    private readonly aliases: AgencyAliases,
  ) {
    this.log = new AppendLog<IndexEntry>(file);
  }

  terminateLastLine(): Promise<void> {
    return this.log.terminateLastLine();
  }

  /** Folds the lines appended to index.ndjson since the last read (by this or another process). */
  async refresh(): Promise<void> {
    const { restarted, records } = await this.log.readNew();
    if (restarted) {
      // Replaced by a shorter file (compacted or restored): folded again from the start.
      this.entries.clear();
      this.slots.clear();
    }
    for (const e of records) if (e && typeof e.sha256 === "string" && typeof e.pipelineVersion === "string") this.fold(e);
  }

  async append(entry: IndexEntry): Promise<void> {
    await this.log.append(entry);
    await this.refresh();
  }

  get(key: string): IndexEntry | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<IndexEntry> {
    return this.entries.values();
  }

  /** The entry keys of an agency-year (a copy: safe to hold across writes). */
  members(slot: CrossYearSlot): string[] {
    return [...(this.slots.get(slotKey(slot)) ?? [])];
  }

  /** The agency-year an entry takes part in R6 as, or null (legacy, no agency, no year). */
  slotOf(e: IndexEntry): CrossYearSlot | null {
    if ((e.format !== "2021" && e.format !== "2019") || !e.agencyKey || e.year === null) return null;
    return { agencyKey: this.aliases.resolve(e.agencyKey), year: e.year };
  }

  /**
   * The entry key of the report standing for an agency-year (pickNeighbour), from the index
   * alone (null: none), other than document `exclude` and the keys in `skip`. Entries whose
   * storedAt is unknown (their file is gone) are no candidates.
   */
  standing(slot: CrossYearSlot, exclude: string, skip: ReadonlySet<string> = new Set()): string | null {
    const candidates: { key: string; sha256: string; pipelineVersion: string; storedAt: string }[] = [];
    for (const key of this.slots.get(slotKey(slot)) ?? []) {
      const e = this.entries.get(key);
      if (!e || e.storedAt === undefined || e.sha256 === exclude || skip.has(key)) continue;
      candidates.push({ key, sha256: e.sha256, pipelineVersion: e.pipelineVersion, storedAt: e.storedAt });
    }
    return pickNeighbour(candidates)?.key ?? null;
  }

  /** Folds one index line in: the current entry of its (sha256, version), and its slot. */
  private fold(e: IndexEntry): void {
    const key = resultKey(e.sha256, e.pipelineVersion);
    const old = this.entries.get(key);
    const oldSlot = old ? this.slotOf(old) : null;
    if (oldSlot) this.slots.get(slotKey(oldSlot))?.delete(key);
    this.entries.set(key, e);
    const slot = this.slotOf(e);
    if (!slot) return;
    let members = this.slots.get(slotKey(slot));
    if (!members) this.slots.set(slotKey(slot), (members = new Set()));
    members.add(key);
  }
}
