/**
 * PgStore's ingest ledger: `documents` (one row per content; its primary key decides
 * firstTime, even for concurrent inserts) and `document_sources` (one row per (content, uri,
 * object version)).
 */
import type pg from "pg";
import type { IngestLedger, IngestRecord, SourceRef } from "../types.js";
import { iso, noNul, toJson, tx } from "./db.js";

export class PgIngestLedger implements IngestLedger {
  constructor(private readonly pool: pg.Pool) {}

  async recordIngest(sha256: string, source: SourceRef): Promise<{ firstTime: boolean }> {
    return tx(this.pool, async (c) => {
      // The primary key decides: a concurrent second insert waits for the first, then does nothing.
      const doc = await c.query("INSERT INTO documents (sha256) VALUES ($1) ON CONFLICT DO NOTHING", [sha256]);
      await c.query(
        `INSERT INTO document_sources (sha256, uri, version_id, source) VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT DO NOTHING`,
        [sha256, noNul(source.uri), noNul(source.versionId ?? ""), toJson(source)],
      );
      return { firstTime: doc.rowCount === 1 };
    });
  }

  async getIngest(sha256: string): Promise<IngestRecord | null> {
    const { rows } = await this.pool.query<{ first_seen: Date; source: SourceRef | null }>(
      `SELECT d.first_seen, s.source FROM documents d LEFT JOIN document_sources s USING (sha256)
       WHERE d.sha256 = $1 ORDER BY s.seq`,
      [sha256],
    );
    const first = rows[0];
    if (!first) return null;
    return { sha256, firstSeen: iso(first.first_seen), sources: rows.flatMap((r) => (r.source ? [r.source] : [])) };
  }
}
