/**
 * FileStore: the default output store, plain JSON files under one folder (./data/out).
 *
 *   <root>/reports/<year|unknown-year>/<agency|unknown-agency>/<sha256>.<version>.json   StoredReport
 *   <root>/index.ndjson        append-only; the last line for a (sha256, version) is the current one
 *   <root>/ingest/<sha256>.json                                                           IngestRecord
 *   <root>/artifacts/<safe key>.json                                                      artifact text
 *   <root>/failures.ndjson     append-only FailureRecord lines
 *
 * Agency names, artifact keys and versions come from untrusted documents and uploads, so every
 * path segment is sanitised (`safeSegment`) and every path is checked to stay under the root.
 * Whole files are written to a temporary name in the same folder and renamed into place, so a
 * crash leaves the old file or the new one, never half a JSON.
 *
 * Writes are serialised inside one process. Across processes, the ingest record's firstTime is
 * still exact (it is created with link(), which fails if the file exists), adding a source to
 * it takes `<root>/.ingest.lock`, and index lines are single O_APPEND writes; putResult also
 * takes a lock file (`<root>/.results.lock`), so that
 * two workers storing an agency's year N and year N+1 at the same time (a backfill does) each
 * see the other's result and R6 comes out the same as in one process. A lock left by a
 * process that died is taken over. Several hosts sharing one folder should use PgStore.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { appendFile, link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Envelope, Finding, ValidationStatus } from "../model.js";
import { AgencyAliases } from "../identity/aliases.js";
import { normaliseName } from "../identity/index.js";
import { compareVersions, crossYearSlot, lookupKeys, pickNeighbour, r6Findings, resultKey, slotKey, standingChanged, storedKey, type CrossYearSlot } from "./cross-year.js";
import type { FailureRecord, IngestRecord, OutputStore, ReportSummary, SourceRef, StoreOptions, StoredReport } from "./types.js";

/** Lock files of the root: one serialises putResult, the other additions to ingest records. */
const RESULTS_LOCK = ".results.lock";
const INGEST_LOCK = ".ingest.lock";

/** Longest segment, in UTF-8 bytes (file systems allow 255; this leaves room for suffixes and temp names). */
export const MAX_SEGMENT_BYTES = 100;
const HASH_CHARS = 12;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Makes one untrusted string safe as a single file-name segment. Keeps letters (Chinese
 * included), digits and `-_.`; replaces everything else (`/`, `\`, NUL, control characters,
 * spaces, `:*?"<>|`, `~`) with `_`; refuses a leading dot (`.`, `..`, hidden files). Whenever
 * anything was changed or cut to MAX_SEGMENT_BYTES, `~<hash of the original>` is appended, and
 * since `~` never survives sanitising, two different inputs cannot meet in one name.
 */
export function safeSegment(raw: string): string {
  let s = raw.replace(/[^\p{L}\p{M}\p{N}._-]/gu, "_").replace(/^\./u, "_");
  const changed = s !== raw || s === "";
  const bytes = Buffer.byteLength(s, "utf8");
  if (!changed && bytes <= MAX_SEGMENT_BYTES) return s;
  const suffix = `~${createHash("sha256").update(raw, "utf8").digest("hex").slice(0, HASH_CHARS)}`;
  s = truncateBytes(s, MAX_SEGMENT_BYTES - suffix.length);
  return `${s}${suffix}`;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
function truncateBytes(s: string, max: number): string {
  let out = "";
  let used = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}

function assertSha(sha256: string): void {
  if (!SHA256.test(sha256)) throw new Error(`not a sha256 (64 lowercase hex digits): ${JSON.stringify(sha256.slice(0, 80))}`);
}

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

const sameEntry = (a: IndexEntry, b: IndexEntry) =>
  a.path === b.path &&
  a.format === b.format &&
  a.agency === b.agency &&
  a.agencyKey === b.agencyKey &&
  a.year === b.year &&
  a.status === b.status &&
  a.sourceKey === b.sourceKey &&
  a.sourceUri === b.sourceUri &&
  a.storedAt === b.storedAt;
const sameSource = (a: SourceRef, b: SourceRef) => a.uri === b.uri && (a.versionId ?? null) === (b.versionId ?? null);

function errorCode(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

export class FileStore implements OutputStore {
  readonly root: string;
  readonly aliases: AgencyAliases;
  private readonly indexFile: string;
  private readonly failuresFile: string;
  /** The folded index: the current entry per (sha256, version). */
  private readonly index = new Map<string, IndexEntry>();
  /** The entries of each agency-year (slotKey → entry keys), so R6 never scans the whole index. */
  private readonly slots = new Map<string, Set<string>>();
  /** Bytes of index.ndjson already folded in; later lines (other processes) are read on demand. */
  private indexOffset = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(root: string, options: StoreOptions = {}) {
    this.root = resolve(root);
    this.aliases = options.aliases ?? AgencyAliases.none;
    this.indexFile = join(this.root, "index.ndjson");
    this.failuresFile = join(this.root, "failures.ndjson");
  }

  async init(): Promise<void> {
    await this.serial(async () => {
      for (const d of ["reports", "ingest", "artifacts"]) await mkdir(join(this.root, d), { recursive: true });
      // A crash in the middle of an append leaves a line without its newline; end it here, or
      // the next record would be glued onto the broken line and lost with it.
      for (const f of [this.indexFile, this.failuresFile]) await terminateLastLine(f);
      await this.refreshIndex();
      await removeStaleTemps(this.root);
    });
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  // ------------------------------------------------------------------------- ingest records
  async recordIngest(sha256: string, source: SourceRef): Promise<{ firstTime: boolean }> {
    assertSha(sha256);
    const file = this.path("ingest", `${sha256}.json`);
    return this.serial(async () => {
      const fresh: IngestRecord = { sha256, sources: [source], firstSeen: new Date().toISOString() };
      if (await writeExclusive(file, json(fresh))) return { firstTime: true };
      // Adding a source is a read-modify-write: under the ingest lock, so that two processes
      // adding sources at once do not lose one.
      await this.locked(INGEST_LOCK, async () => {
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
    assertSha(sha256);
    return readJson<IngestRecord>(this.path("ingest", `${sha256}.json`));
  }

  // ------------------------------------------------------------------------------ artifacts
  async putArtifact(key: string, data: string): Promise<void> {
    const file = this.path("artifacts", `${safeSegment(key)}.json`);
    await this.serial(() => writeAtomic(file, data));
  }

  async getArtifact(key: string): Promise<string | null> {
    return readText(this.path("artifacts", `${safeSegment(key)}.json`));
  }

  async hasArtifact(key: string): Promise<boolean> {
    return exists(this.path("artifacts", `${safeSegment(key)}.json`));
  }

  // -------------------------------------------------------------------------------- results
  async putResult(envelope: Envelope, source: SourceRef | null): Promise<{ crossYear: Finding[] }> {
    const { sha256 } = envelope.source;
    const version = envelope.pipeline.version;
    assertSha(sha256);
    return this.serial(() => this.locked(RESULTS_LOCK, async () => {
      await this.refreshIndex();
      const slot = crossYearSlot(envelope, this.aliases);
      const previous = slot ? await this.neighbour({ agencyKey: slot.agencyKey, year: slot.year - 1 }, sha256) : null;
      const old = this.index.get(resultKey(sha256, version));
      const oldSlot = old ? this.slotOf(old) : null;
      // Which report stands for the slots this put touches, before it: the next year's R6 is
      // checked again only where that changes (or where it is this report, whose numbers may have).
      const touched = new Map<string, { slot: CrossYearSlot; before: string | null }>();
      for (const s of [slot, oldSlot]) {
        if (!s) continue;
        await this.learnStoredAt(s);
        touched.set(slotKey(s), { slot: s, before: this.standing(s, "") });
      }
      const crossYear = previous ? r6Findings(previous.envelope, envelope) : [];

      const r = envelope.report;
      const entry: IndexEntry = {
        sha256,
        pipelineVersion: version,
        path: this.reportPath(r.year, r.agency, sha256, version),
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
      await writeAtomic(this.abs(entry.path), json(stored));

      if (!old || !sameEntry(old, entry)) await this.appendIndex(entry);
      // The agency or year changed since this (sha256, version) was last stored: its old file
      // goes (the index now points at the new one), and its old next year is checked again.
      if (old && old.path !== entry.path) await rm(this.abs(old.path), { force: true });

      for (const { slot: s, before } of touched.values()) {
        if (standingChanged(before, this.standing(s, ""), resultKey(sha256, version))) await this.recheckNextYear(s);
      }
      return { crossYear };
    }));
  }

  async getResult(sha256: string, pipelineVersion?: string): Promise<StoredReport | null> {
    assertSha(sha256);
    await this.serial(() => this.refreshIndex());
    let entry: IndexEntry | undefined;
    if (pipelineVersion !== undefined) entry = this.index.get(resultKey(sha256, pipelineVersion));
    else
      for (const e of this.index.values())
        if (e.sha256 === sha256 && (!entry || compareVersions(e.pipelineVersion, entry.pipelineVersion) > 0)) entry = e;
    return entry ? readJson<StoredReport>(this.abs(entry.path)) : null;
  }

  async probe(): Promise<void> {
    if (!(await stat(this.root)).isDirectory()) throw new Error(`${this.root} is not a folder`);
    await this.hasResult("0".repeat(64), "0.0.0");
  }

  async hasResult(sha256: string, pipelineVersion: string): Promise<boolean> {
    assertSha(sha256);
    await this.serial(() => this.refreshIndex());
    const entry = this.index.get(resultKey(sha256, pipelineVersion));
    return entry !== undefined && (await exists(this.abs(entry.path)));
  }

  async findByAgencyYear(agency: string, year: number): Promise<StoredReport[]> {
    await this.serial(() => this.refreshIndex());
    const keys = new Set(lookupKeys(agency, this.aliases));
    const entries = [...this.index.values()]
      .filter((e) => e.agencyKey !== null && keys.has(e.agencyKey) && e.year === year)
      .sort((a, b) => (a.sha256 === b.sha256 ? compareVersions(b.pipelineVersion, a.pipelineVersion) : a.sha256 < b.sha256 ? -1 : 1));
    const out: StoredReport[] = [];
    for (const e of entries) {
      const rec = await readJson<StoredReport>(this.abs(e.path));
      if (rec) out.push(rec);
    }
    return out;
  }

  async *listReports(): AsyncIterable<ReportSummary> {
    await this.serial(() => this.refreshIndex());
    const newest = new Map<string, IndexEntry>();
    for (const e of this.index.values()) {
      const cur = newest.get(e.sha256);
      if (!cur || compareVersions(e.pipelineVersion, cur.pipelineVersion) > 0) newest.set(e.sha256, e);
    }
    for (const e of newest.values()) {
      let { status, sourceKey, sourceUri } = e;
      if (status === undefined) {
        // an index line from before status was indexed: read the report itself
        const rec = await readJson<StoredReport>(this.abs(e.path));
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
    await this.serial(() => this.refreshIndex());
    return [...this.index.values()];
  }

  // ------------------------------------------------------------------------------- failures
  async recordFailure(failure: FailureRecord): Promise<void> {
    await this.serial(() => appendFile(this.failuresFile, `${JSON.stringify(failure)}\n`, "utf8"));
  }

  /** The newest `limit` failures, newest first, without the superseded ones. */
  async listFailures(limit: number): Promise<FailureRecord[]> {
    if (limit <= 0) return [];
    const out: FailureRecord[] = [];
    for (const rec of await this.currentFailures()) {
      if (out.length >= limit) break;
      out.push(rec);
    }
    return out;
  }

  /**
   * Appends a `{"superseded": {uri, by, at}}` line to failures.ndjson (append-only): the
   * failures before it for that source and other content are hidden from then on.
   */
  async supersedeFailures(uri: string, sha256: string): Promise<string[]> {
    const stale = [...new Set((await this.currentFailures()).filter((f) => f.source?.uri === uri && f.sha256 !== sha256).map((f) => f.sha256))];
    if (!stale.length) return [];
    const line: SupersededLine = { superseded: { uri, by: sha256, at: new Date().toISOString() } };
    await this.serial(() => appendFile(this.failuresFile, `${JSON.stringify(line)}\n`, "utf8"));
    return stale;
  }

  /** Every failure not superseded, newest first. */
  private async currentFailures(): Promise<FailureRecord[]> {
    const text = await readText(this.failuresFile);
    if (text === null) return [];
    const out: FailureRecord[] = [];
    /** uri → the content that superseded the failures before (read newest first). */
    const superseded = new Map<string, string>();
    const lines = text.split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      const rec = parseLine<FailureRecord | SupersededLine>(lines[i] ?? "");
      if (!rec) continue;
      if ("superseded" in rec) {
        if (!superseded.has(rec.superseded.uri)) superseded.set(rec.superseded.uri, rec.superseded.by);
        continue;
      }
      const by = rec.source ? superseded.get(rec.source.uri) : undefined;
      if (by !== undefined && by !== rec.sha256) continue;
      out.push(rec);
    }
    return out;
  }

  // -------------------------------------------------------------------------------- helpers
  /** Runs `fn` after every earlier write of this store has finished (one writer at a time). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs `fn` holding a lock file of the root (RESULTS_LOCK, INGEST_LOCK) across processes. */
  private async locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(this.root, name);
    const owner = `${hostname()} ${process.pid}\n`;
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFileExclusive(lock, owner);
        break;
      } catch (e) {
        if (errorCode(e) !== "EEXIST") throw e;
        const held = await readText(lock);
        if (held !== null && (await isStaleLock(lock, held))) {
          // Remove only the lock just judged stale, not one another process has taken since.
          if ((await readText(lock)) === held) await rm(lock, { force: true });
          continue;
        }
        await new Promise((r) => setTimeout(r, Math.min(1 + attempt, 20)));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** Joins sanitised segments under the root and refuses anything that would land outside it. */
  private path(...segments: string[]): string {
    const p = resolve(this.root, ...segments);
    const rel = relative(this.root, p);
    if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new Error(`path escapes the store root: ${p}`);
    return p;
  }

  /** An index path (relative, `/`-separated) made absolute, with the same check. */
  private abs(relPath: string): string {
    return this.path(...relPath.split("/"));
  }

  private reportPath(year: number | null, agency: string | null, sha256: string, version: string): string {
    const y = year !== null && Number.isSafeInteger(year) ? safeSegment(String(year)) : "unknown-year";
    const key = agency === null ? "" : normaliseName(agency);
    const a = key === "" ? "unknown-agency" : safeSegment(key);
    return ["reports", y, a, `${sha256}.${safeSegment(version)}.json`].join("/");
  }

  private async appendIndex(entry: IndexEntry): Promise<void> {
    await appendFile(this.indexFile, `${JSON.stringify(entry)}\n`, "utf8");
    await this.refreshIndex();
  }

  /** Folds the lines appended to index.ndjson since the last read (by this or another process). */
  private async refreshIndex(): Promise<void> {
    let fh;
    try {
      fh = await open(this.indexFile, "r");
    } catch (e) {
      if (errorCode(e) === "ENOENT") return;
      throw e;
    }
    try {
      const { size } = await fh.stat();
      if (size < this.indexOffset) {
        // Replaced by a shorter file (compacted or restored): fold it again from the start.
        this.index.clear();
        this.slots.clear();
        this.indexOffset = 0;
      }
      if (size === this.indexOffset) return;
      const buf = Buffer.alloc(size - this.indexOffset);
      await fh.read(buf, 0, buf.length, this.indexOffset);
      // Only complete lines: a line still being appended is read next time.
      const end = buf.lastIndexOf(0x0a);
      if (end < 0) return;
      for (const line of buf.subarray(0, end).toString("utf8").split("\n")) {
        const e = parseLine<IndexEntry>(line);
        if (e && typeof e.sha256 === "string" && typeof e.pipelineVersion === "string") this.fold(e);
      }
      this.indexOffset += end + 1;
    } finally {
      await fh.close();
    }
  }

  /** The stored report standing for an agency-year (see pickNeighbour), other than `exclude`. */
  private async neighbour(slot: CrossYearSlot, exclude: string): Promise<StoredReport | null> {
    await this.learnStoredAt(slot);
    // The index carries what pickNeighbour compares: only the pick is read.
    const skip = new Set<string>();
    for (;;) {
      const key = this.standing(slot, exclude, skip);
      if (key === null) return null;
      const rec = await readJson<StoredReport>(this.abs((this.index.get(key) as IndexEntry).path));
      if (rec) return rec;
      skip.add(key); // removed since the index was read
    }
  }

  /** Index lines written before storedAt was indexed: their report files tell it, once. */
  private async learnStoredAt(slot: CrossYearSlot): Promise<void> {
    for (const key of this.slots.get(slotKey(slot)) ?? []) {
      const e = this.index.get(key);
      if (!e || e.storedAt !== undefined) continue;
      const rec = await readJson<StoredReport>(this.abs(e.path));
      if (rec) e.storedAt = rec.storedAt;
    }
  }

  /**
   * The entry key of the report standing for an agency-year, from the index alone (null: none).
   * Entries whose storedAt is unknown (their file is gone) are no candidates.
   */
  private standing(slot: CrossYearSlot, exclude: string, skip: ReadonlySet<string> = new Set()): string | null {
    const candidates: { key: string; sha256: string; pipelineVersion: string; storedAt: string }[] = [];
    for (const key of this.slots.get(slotKey(slot)) ?? []) {
      const e = this.index.get(key);
      if (!e || e.storedAt === undefined || e.sha256 === exclude || skip.has(key)) continue;
      candidates.push({ key, sha256: e.sha256, pipelineVersion: e.pipelineVersion, storedAt: e.storedAt });
    }
    return pickNeighbour(candidates)?.key ?? null;
  }

  private slotOf(e: IndexEntry): CrossYearSlot | null {
    if ((e.format !== "2021" && e.format !== "2019") || !e.agencyKey || e.year === null) return null;
    return { agencyKey: this.aliases.resolve(e.agencyKey), year: e.year };
  }

  /** Folds one index line in: the current entry of its (sha256, version), and its slot. */
  private fold(e: IndexEntry): void {
    const key = resultKey(e.sha256, e.pipelineVersion);
    const old = this.index.get(key);
    const oldSlot = old ? this.slotOf(old) : null;
    if (oldSlot) this.slots.get(slotKey(oldSlot))?.delete(key);
    this.index.set(key, e);
    const slot = this.slotOf(e);
    if (!slot) return;
    let members = this.slots.get(slotKey(slot));
    if (!members) this.slots.set(slotKey(slot), (members = new Set()));
    members.add(key);
  }

  /** Recomputes R6 of every report in the year after `slot`, against what `slot` now holds. */
  private async recheckNextYear(slot: CrossYearSlot): Promise<void> {
    const next: CrossYearSlot = { agencyKey: slot.agencyKey, year: slot.year + 1 };
    const standing = await this.neighbour(slot, "");
    for (const key of [...(this.slots.get(slotKey(next)) ?? [])]) {
      const e = this.index.get(key);
      if (!e) continue;
      const file = this.abs(e.path);
      const rec = await readJson<StoredReport>(file);
      if (!rec) continue;
      // The same document stored in both years (two versions that read the year differently)
      // is never its own neighbour.
      const previous = standing && standing.envelope.source.sha256 === e.sha256 ? await this.neighbour(slot, e.sha256) : standing;
      const crossYear = previous ? r6Findings(previous.envelope, rec.envelope) : [];
      if (JSON.stringify(crossYear) !== JSON.stringify(rec.crossYear)) await writeAtomic(file, json({ ...rec, crossYear }));
    }
  }
}



const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

function parseLine<T>(line: string): T | null {
  if (line.trim() === "") return null;
  try {
    return JSON.parse(line) as T;
  } catch {
    return null; // a line torn by a crash
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (e) {
    if (errorCode(e) === "ENOENT") return false;
    throw e;
  }
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if (errorCode(e) === "ENOENT") return null;
    throw e;
  }
}

async function readJson<T>(file: string): Promise<T | null> {
  const text = await readText(file);
  return text === null ? null : (JSON.parse(text) as T);
}

/** A line of failures.ndjson that supersedes the earlier failures of a source (supersedeFailures). */
interface SupersededLine {
  superseded: { uri: string; by: string; at: string };
}

const TEMP = /^\.tmp-(\d+)-[0-9a-f]{12}$/;

/**
 * Removes the temporary files (`.tmp-<pid>-<random>`, writeTemp) that a writer killed between
 * writing and renaming left behind: those whose process no longer runs on this host and that
 * are over a minute old, and any over an hour old (a pid can be reused). A live writer's
 * temporary file lives for milliseconds.
 */
export async function removeStaleTemps(root: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(root, { recursive: true });
  } catch (e) {
    if (errorCode(e) === "ENOENT") return removed;
    throw e;
  }
  for (const rel of names) {
    const m = TEMP.exec(basename(rel));
    if (!m) continue;
    const file = join(root, rel);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) continue;
    const age = now - st.mtimeMs;
    if (age > 3_600_000 || (age > 60_000 && !processRuns(Number(m[1])))) {
      await unlink(file).catch(() => undefined);
      removed.push(rel);
    }
  }
  return removed;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === "EPERM"; // running, as another user
  }
}

/** Writes the whole file to a temporary name beside it, flushed to disk. Returns that name. */
async function writeTemp(file: string, data: string): Promise<string> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  const fh = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
  try {
    await fh.writeFile(data, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Replaces `file` atomically: readers see the old content or the new, never a part. */
async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Creates `file` atomically unless it exists. Returns false if it already existed. */
async function writeExclusive(file: string, data: string): Promise<boolean> {
  const tmp = await writeTemp(file, data);
  try {
    await link(tmp, file); // link() fails with EEXIST instead of replacing, even across processes
    return true;
  } catch (e) {
    const code = errorCode(e);
    if (code === "EEXIST") return false;
    // A file system without hard links: fall back to check-then-rename (exact within a process).
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      if (await exists(file)) return false;
      await rename(tmp, file);
      return true;
    }
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Creates `file` with `data`; fails with EEXIST if it exists (O_EXCL). */
async function writeFileExclusive(file: string, data: string): Promise<void> {
  const fh = await open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
  try {
    await fh.writeFile(data, "utf8");
  } finally {
    await fh.close();
  }
}

/** Putting one result takes milliseconds: a lock older than this was left by a crash. */
const STALE_LOCK_MS = 30_000;

/** A lock whose owner process on this host is gone, or that has been held for too long. */
async function isStaleLock(file: string, held: string): Promise<boolean> {
  const [host, pid] = held.trim().split(" ");
  if (host === hostname() && pid !== undefined && /^\d+$/.test(pid)) {
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if (errorCode(e) === "ESRCH") return true;
    }
  }
  try {
    return Date.now() - (await stat(file)).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false; // gone already: the next attempt takes it
  }
}

/** Appends a newline if the file's last byte is not one (see init). */
async function terminateLastLine(file: string): Promise<void> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (e) {
    if (errorCode(e) === "ENOENT") return;
    throw e;
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
  } finally {
    await fh.close();
  }
  await appendFile(file, "\n", "utf8");
}
