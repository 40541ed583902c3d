/**
 * PgStore's failure log: the table `failures`. Superseding deletes the rows of a source with
 * other content; the expression index `failures_source_uri` (migrations/002) makes that an
 * index lookup, as it runs on every live put.
 */
import type pg from "pg";
import { failureCodeOf } from "../../failures.js";
import type { FailureLog, FailureRecord, SourceRef } from "../types.js";
import { iso, noNul, toJson } from "./db.js";

export class PgFailureLog implements FailureLog {
  constructor(private readonly pool: pg.Pool) {}

  async recordFailure(f: FailureRecord): Promise<void> {
    await this.pool.query("INSERT INTO failures (sha256, source, code, message, at) VALUES ($1, $2::jsonb, $3, $4, $5)", [
      noNul(f.sha256),
      f.source === null ? null : toJson(f.source),
      noNul(f.code),
      noNul(f.message),
      f.at,
    ]);
  }

  /** The newest `limit` failures, newest first. */
  async listFailures(limit: number): Promise<FailureRecord[]> {
    const { rows } = await this.pool.query<{ sha256: string; source: SourceRef | null; code: string; message: string; at: Date }>(
      "SELECT sha256, source, code, message, at FROM failures ORDER BY id DESC LIMIT $1",
      [Math.max(0, Math.floor(limit))],
    );
    return rows.map((x) => ({ sha256: x.sha256, source: x.source, code: failureCodeOf(x.code), message: x.message, at: iso(x.at) }));
  }

  /** Deletes the failures of that source with other content (a replaced file's old failures). */
  async supersedeFailures(uri: string, sha256: string): Promise<string[]> {
    // `source->>'uri'` exactly as failures_source_uri indexes it.
    const { rows } = await this.pool.query<{ sha256: string }>(
      "DELETE FROM failures WHERE source->>'uri' = $1 AND sha256 <> $2 RETURNING sha256",
      [noNul(uri), noNul(sha256)],
    );
    return [...new Set(rows.map((r) => r.sha256))];
  }
}
