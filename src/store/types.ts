/**
 * The output store: where results go. Two implementations, each one folder of parts:
 *  - FileStore (default, file.ts + file/): JSON files under a folder (./data/out);
 *  - PgStore (STORE_URL=postgres://…, pg.ts + pg/): documents, reports (JSONB), cells, findings tables.
 *
 * The store does four jobs, each its own small interface below, so that a consumer names the
 * one or two it needs (the producer: IngestLedger and FailureLog) and each implementation
 * keeps each job in a module of its own:
 *  - IngestLedger: the durable "already ingested" record (a BullMQ job id only dedupes while
 *    the job exists);
 *  - ArtifactStore: the extraction artifacts that let reprocessing start at reconstruct
 *    without parsing the file again;
 *  - ResultStore: results keyed by (sha256, pipeline version), with rule R6 against the
 *    neighbouring years; writing the same result again (a retried job) replaces it and never
 *    duplicates a row;
 *  - FailureLog: the documents that could not be processed.
 * OutputStore is all four plus the lifecycle (StoreLifecycle): what openStore() returns.
 */
import type { AgencyAliases } from "../identity/aliases.js";
import type { FailureCode } from "../failures.js";
import type { Envelope, Finding, ValidationStatus } from "../model.js";

/** Where an original came from: which object version produced which result. */
export interface SourceRef {
  /** `file:///abs/path` or `s3://bucket/key` */
  uri: string;
  /** The key relative to the bucket or inbox root, e.g. `2021/淮安市/report.pdf`. */
  key: string;
  size: number;
  /** S3 object version, where the bucket keeps versions. */
  versionId?: string | null;
  etag?: string | null;
  /** Last-modified time, ISO 8601. */
  mtime?: string | null;
}

export interface IngestRecord {
  sha256: string;
  /** Every source this content was seen under (the same bytes dropped twice are one document). */
  sources: SourceRef[];
  firstSeen: string;
}

export interface FailureRecord {
  sha256: string;
  source: SourceRef | null;
  /** The failure code (src/failures.ts): "corrupt", "encrypted", …, "timeout", "internal". */
  code: FailureCode;
  message: string;
  at: string;
}

export interface StoredReport {
  envelope: Envelope;
  /** R6 findings computed by the store against the neighbouring years (warnings). */
  crossYear: Finding[];
  source: SourceRef | null;
  storedAt: string;
}

/** One stored report, without its envelope: what listings and selections need. */
export interface ReportSummary {
  sha256: string;
  pipelineVersion: string;
  format: string;
  agency: string | null;
  /** The report's agencyKey before aliases (for results of older versions: the normalised name). */
  agencyKey: string | null;
  year: number | null;
  status: ValidationStatus | null;
  /** The key of the source it was stored from (`2021/淮安市/x.pdf`), where known. */
  sourceKey: string | null;
  sourceUri: string | null;
}

export interface StoreOptions {
  /** The operator's agency aliases (AGENCY_ALIASES): keys are compared after them. Default: none. */
  aliases?: AgencyAliases;
}

/** Opening, checking and closing a store: the store's, not any one part's. */
export interface StoreLifecycle {
  /** Creates folders / runs migrations. Idempotent. */
  init(): Promise<void>;
  /**
   * Whether the store can answer now (readiness probes): resolves when it can, throws saying
   * why not (its folder is gone, the database cannot be reached).
   */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/** The durable record of which contents were ingested, and from where. */
export interface IngestLedger {
  /**
   * Records that these bytes were ingested from `source`. Returns firstTime = false when the
   * content was already recorded (the source is then added to its list).
   */
  recordIngest(sha256: string, source: SourceRef): Promise<{ firstTime: boolean }>;
  getIngest(sha256: string): Promise<IngestRecord | null>;
}

/** Extraction artifacts (the intermediate document, the envelope, as JSON text), by key. */
export interface ArtifactStore {
  putArtifact(key: string, data: string): Promise<void>;
  getArtifact(key: string): Promise<string | null>;
  /** Whether an artifact exists, without reading it. */
  hasArtifact(key: string): Promise<boolean>;
}

/** Results by (sha256, pipeline version), with rule R6 kept up to date across years. */
export interface ResultStore {
  /** The aliases the store compares agency keys after (R6); listings give keys before them. */
  readonly aliases: AgencyAliases;
  /**
   * Upserts the result keyed by (sha256, pipeline version), then evaluates rule R6 against
   * the same agency's previous and next year in the store, and returns the R6 findings
   * of this report.
   */
  putResult(envelope: Envelope, source: SourceRef | null): Promise<{ crossYear: Finding[] }>;
  /** The result for this content at this version (default: the newest version stored). */
  getResult(sha256: string, pipelineVersion?: string): Promise<StoredReport | null>;
  hasResult(sha256: string, pipelineVersion: string): Promise<boolean>;
  /**
   * Everything stored about an agency and year. The agency is a name or a key (320813/人民政府),
   * matched by key after aliases (cross-year.ts lookupKeys): a name also finds results stored
   * before agencyKey existed, by its NFKC, whitespace-free form.
   */
  findByAgencyYear(agency: string, year: number): Promise<StoredReport[]>;
  /**
   * Every stored document once, at its newest pipeline version, in no particular order.
   * Streams: memory stays flat however many reports the store holds.
   */
  listReports(): AsyncIterable<ReportSummary>;
}

/** The documents that could not be processed, and which of those a newer content replaced. */
export interface FailureLog {
  recordFailure(failure: FailureRecord): Promise<void>;
  /** The newest `limit` failures, newest first, without the superseded ones. */
  listFailures(limit: number): Promise<FailureRecord[]>;
  /**
   * The file at `uri` now holds the content `sha256` (its result was just stored): the failures
   * recorded for that source with other content are superseded, and listFailures no longer
   * returns them. Returns the sha256 of each superseded failure (once each). Called on every
   * live put, so cheap when the source has no failure.
   */
  supersedeFailures(uri: string, sha256: string): Promise<string[]>;
}

/** The whole store: its lifecycle and its four parts (see the top of this file). */
export interface OutputStore extends StoreLifecycle, IngestLedger, ArtifactStore, ResultStore, FailureLog {}

/** The parts a store is composed of (FileStore.parts, PgStore.parts). */
export interface StoreParts {
  ledger: IngestLedger;
  artifacts: ArtifactStore;
  results: ResultStore;
  failures: FailureLog;
}
