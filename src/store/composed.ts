/**
 * One OutputStore made of its four parts (types.ts): every call goes to the part that does
 * that job. FileStore and PgStore extend it, build their parts, and add the lifecycle (init,
 * probe, close), which belongs to the store as a whole.
 */
import type { FailureRecord, OutputStore, SourceRef, StoreParts } from "./types.js";
import type { Envelope } from "../model.js";

export abstract class ComposedStore<P extends StoreParts = StoreParts> implements OutputStore {
  constructor(readonly parts: P) {}

  abstract init(): Promise<void>;
  abstract probe(): Promise<void>;
  abstract close(): Promise<void>;

  // IngestLedger
  recordIngest(sha256: string, source: SourceRef) {
    return this.parts.ledger.recordIngest(sha256, source);
  }
  getIngest(sha256: string) {
    return this.parts.ledger.getIngest(sha256);
  }

  // ArtifactStore
  putArtifact(key: string, data: string) {
    return this.parts.artifacts.putArtifact(key, data);
  }
  getArtifact(key: string) {
    return this.parts.artifacts.getArtifact(key);
  }
  hasArtifact(key: string) {
    return this.parts.artifacts.hasArtifact(key);
  }

  // ResultStore
  get aliases() {
    return this.parts.results.aliases;
  }
  putResult(envelope: Envelope, source: SourceRef | null) {
    return this.parts.results.putResult(envelope, source);
  }
  getResult(sha256: string, pipelineVersion?: string) {
    return this.parts.results.getResult(sha256, pipelineVersion);
  }
  hasResult(sha256: string, pipelineVersion: string) {
    return this.parts.results.hasResult(sha256, pipelineVersion);
  }
  findByAgencyYear(agency: string, year: number) {
    return this.parts.results.findByAgencyYear(agency, year);
  }
  listReports() {
    return this.parts.results.listReports();
  }

  // FailureLog
  recordFailure(failure: FailureRecord) {
    return this.parts.failures.recordFailure(failure);
  }
  listFailures(limit: number) {
    return this.parts.failures.listFailures(limit);
  }
  supersedeFailures(uri: string, sha256: string) {
    return this.parts.failures.supersedeFailures(uri, sha256);
  }
}
