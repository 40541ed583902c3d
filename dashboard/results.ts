/**
 * What the results pages and the document metrics read: a snapshot of the store, rebuilt at
 * most every few seconds (concurrent requests share one rebuild). Listing is
 * store.listReports() (summaries, streamed); the few figures the charts need from inside a
 * report (新收 applications and the outcome totals) are read once per (sha256, version) and
 * kept, so a rebuild only opens the reports stored since the last one.
 */
import { APPLICATIONS_GROUP_LABELS, CATALOGUE } from "../src/catalogue.js";
import type { Envelope, ValidationStatus } from "../src/model.js";
import { comparisonKey, pickNeighbour } from "../src/store/cross-year.js";
import type { FailureLog, FailureRecord, ReportSummary, ResultStore } from "../src/store/types.js";

/** The outcome groups of table 三 that the outcome-mix chart shows, in printed order. */
export const OUTCOMES = ["granted", "partiallyGranted", "withheld", "unableToProvide", "notProcessed", "otherHandling"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Printed label of an outcome group: the catalogue's, without its parenthetical note. */
export function outcomeLabel(o: Outcome): string {
  const row = CATALOGUE["2021"].applications.rows.find((r) => r.path === o);
  const label = row?.label ?? APPLICATIONS_GROUP_LABELS[o] ?? o;
  return label.replace(/^(（[一二三四五六七]）[^（(]*).*$/u, "$1");
}

export interface ReportFigures {
  /** applications.newReceived.total, null where blank or the table is missing. */
  newReceived: number | null;
  /** The 总计 column summed over each outcome group, null where a cell is blank. */
  outcomes: Record<Outcome, number | null>;
}

export interface ReportEntry extends ReportSummary, ReportFigures {
  /** The key the report is compared and grouped by: its agencyKey after the store's aliases. */
  agencyKey: string | null;
  /** When the result was stored (ISO 8601): with the version, it picks the copy that stands. */
  storedAt: string | null;
}

export interface FailedEntry {
  sha256: string;
  code: string;
  message: string;
  at: string;
  sourceKey: string | null;
  /** A year folder in the upload path (`2023/…`), the only year a failed document has. */
  year: number | null;
}

export interface Snapshot {
  builtAt: number;
  reports: ReportEntry[];
  /** Documents whose last attempt failed and that have no stored result, newest first. */
  failed: FailedEntry[];
  /** Every year with a report or a failure, newest first. */
  years: number[];
}

/** How many failure records a snapshot reads (newest first). */
const FAILURE_LIMIT = 10_000;
/** Reports read at once when figures are missing (a first load of a large store). */
const READ_BATCH = 16;
/**
 * Figures are kept per (sha256, version) but read again after this long: a reprocessing run
 * at the same pipeline version replaces a result in place.
 */
const FIGURES_MAX_AGE_MS = 10 * 60_000;

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

function child(o: unknown, key: string): unknown {
  return o !== null && typeof o === "object" ? (o as Record<string, unknown>)[key] : undefined;
}

/** Sum of the `total` cells under a node (a row, or a group of rows); null if any is blank. */
function totalUnder(node: unknown): number | null {
  if (node === null || typeof node !== "object") return null;
  if ("total" in node) return num((node as Record<string, unknown>)["total"]);
  let sum = 0;
  for (const v of Object.values(node)) {
    const t = totalUnder(v);
    if (t === null) return null;
    sum += t;
  }
  return sum;
}

export function figuresOf(envelope: Envelope): ReportFigures {
  const apps = envelope.report.applications as Record<string, unknown> | null;
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, null])) as Record<Outcome, number | null>;
  if (!apps) return { newReceived: null, outcomes };
  for (const o of OUTCOMES) {
    // a 2021 report that printed （六）其他处理 as one row: that row is the group's figure
    const node = o === "otherHandling" && apps["otherHandlingAsPrinted"] ? apps["otherHandlingAsPrinted"] : apps[o];
    outcomes[o] = totalUnder(node);
  }
  return { newReceived: num(child(apps["newReceived"], "total")), outcomes };
}

/** A year folder in an upload key: `2023/某市/x.pdf` → 2023. */
export function yearOfKey(key: string | null | undefined): number | null {
  for (const seg of (key ?? "").split("/").slice(0, -1)) {
    if (/^(19|20)\d{2}$/.test(seg)) return Number(seg);
  }
  return null;
}

export class ResultsIndex {
  private current: Snapshot | null = null;
  private building: Promise<Snapshot> | null = null;
  private readonly figures = new Map<string, { figures: ReportFigures; storedAt: string | null; at: number }>();

  constructor(
    private readonly store: ResultStore & FailureLog,
    private readonly maxAgeMs = 5000,
  ) {}

  /** The current snapshot, rebuilt when older than maxAgeMs. */
  async snapshot(): Promise<Snapshot> {
    if (this.current && Date.now() - this.current.builtAt < this.maxAgeMs) return this.current;
    this.building ??= this.build().finally(() => (this.building = null));
    return this.building;
  }

  private async build(): Promise<Snapshot> {
    const now = Date.now();
    const summaries: ReportSummary[] = [];
    for await (const s of this.store.listReports()) summaries.push(s);
    const keyOf = (s: ReportSummary) => `${s.sha256}@${s.pipelineVersion}`;
    const stale = summaries.filter((s) => {
      const f = this.figures.get(keyOf(s));
      return !f || now - f.at > FIGURES_MAX_AGE_MS;
    });
    for (let i = 0; i < stale.length; i += READ_BATCH) {
      await Promise.all(
        stale.slice(i, i + READ_BATCH).map(async (s) => {
          const stored = await this.store.getResult(s.sha256, s.pipelineVersion);
          this.figures.set(keyOf(s), { figures: figuresOf(stored ? stored.envelope : emptyEnvelope), storedAt: stored?.storedAt ?? null, at: now });
        }),
      );
    }
    const seen = new Set(summaries.map(keyOf));
    for (const k of this.figures.keys()) if (!seen.has(k)) this.figures.delete(k);
    const reports: ReportEntry[] = summaries.map((s) => {
      const read = this.figures.get(keyOf(s));
      return { ...s, ...(read?.figures ?? figuresOf(emptyEnvelope)), agencyKey: comparisonKey(s, this.store.aliases), storedAt: read?.storedAt ?? null };
    });

    const stored = new Set(reports.map((r) => r.sha256));
    const failed: FailedEntry[] = [];
    const failedSeen = new Set<string>();
    for (const f of await this.store.listFailures(FAILURE_LIMIT)) {
      if (stored.has(f.sha256) || failedSeen.has(f.sha256)) continue;
      failedSeen.add(f.sha256);
      failed.push(failedEntry(f));
    }
    const years = new Set<number>();
    for (const r of reports) if (r.year !== null) years.add(r.year);
    for (const f of failed) if (f.year !== null) years.add(f.year);
    this.current = { builtAt: Date.now(), reports, failed, years: [...years].sort((a, b) => b - a) };
    return this.current;
  }
}

function failedEntry(f: FailureRecord): FailedEntry {
  const sourceKey = f.source?.key ?? null;
  return { sha256: f.sha256, code: f.code, message: f.message, at: f.at, sourceKey, year: yearOfKey(sourceKey) };
}

/** Stands in for a report listed but gone by the time it is read. */
const emptyEnvelope = { report: { applications: null } } as unknown as Envelope;

export type Status = ValidationStatus | "failed";
export const STATUSES: readonly Status[] = ["valid", "invalid", "incomplete", "failed"];
export const FORMATS = ["2021", "2019", "legacy"] as const;

/** One report: the documents (copies: a PDF and a text of it, say) with the same agencyKey and year. */
export interface ReportGroup {
  agencyKey: string | null;
  year: number | null;
  /** The copy that stands for the report, as the store's R6 picks it (pickNeighbour). */
  standing: ReportEntry;
  /** The other copies, not counted. */
  others: ReportEntry[];
}

/**
 * The documents grouped into reports: one report is one agencyKey (after aliases) and year, so
 * that copies of it count once. Documents without a key or a year stand alone. The copy that
 * stands is R6's choice: the newest pipeline version, then the one stored last, then the sha256.
 */
export function reportGroups(reports: readonly ReportEntry[]): ReportGroup[] {
  const byKey = new Map<string, ReportEntry[]>();
  const out: ReportGroup[] = [];
  for (const r of reports) {
    if (r.agencyKey === null || r.year === null) {
      out.push({ agencyKey: r.agencyKey, year: r.year, standing: r, others: [] });
      continue;
    }
    const k = `${r.year}\u0000${r.agencyKey}`;
    const list = byKey.get(k);
    if (list) list.push(r);
    else byKey.set(k, [r]);
  }
  for (const list of byKey.values()) {
    // a result read before its storedAt was known sorts as the oldest
    const standing = pickNeighbour(list.map((r) => ({ ...r, storedAt: r.storedAt ?? new Date(0).toISOString() }))) as ReportEntry;
    const chosen = list.find((r) => r.sha256 === standing.sha256) as ReportEntry;
    out.push({ agencyKey: chosen.agencyKey, year: chosen.year, standing: chosen, others: list.filter((r) => r !== chosen) });
  }
  return out;
}
