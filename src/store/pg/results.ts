/**
 * PgStore's results, with rule R6: `reports` (one row per (sha256, pipeline_version), the
 * envelope as JSONB), its tidy view `cells`, and `findings` (validation and R6, one row each).
 *
 * A put is one transaction: the report row is upserted and its cells and findings deleted
 * and inserted again, so a retried job never duplicates a row. One agency's years are written
 * one transaction at a time (an advisory lock per agency), so that year N and year N+1 stored
 * together each see the other.
 */
import type pg from "pg";
import type { AgencyAliases } from "../../identity/aliases.js";
import type { Envelope, Finding, ValidationStatus } from "../../model.js";
import { compareVersions, crossYearSlot, lookupKeys, pickNeighbour, r6Findings, resultKey, slotKey, standingChanged, storedKey, type CrossYearSlot } from "../cross-year.js";
import type { ReportSummary, ResultStore, SourceRef, StoredReport } from "../types.js";
import { cellRows } from "./cells.js";
import { AGENCY_LOCK_CLASS, iso, noNul, nullableText, toJson, tx } from "./db.js";

interface ReportRow {
  envelope: Envelope;
  cross_year: Finding[];
  source: SourceRef | null;
  stored_at: Date;
}

const toStored = (row: ReportRow): StoredReport => ({
  envelope: row.envelope,
  crossYear: row.cross_year,
  source: row.source,
  storedAt: iso(row.stored_at),
});

export class PgResultStore implements ResultStore {
  constructor(
    private readonly pool: pg.Pool,
    readonly aliases: AgencyAliases,
  ) {}

  async putResult(envelope: Envelope, source: SourceRef | null): Promise<{ crossYear: Finding[] }> {
    const { sha256 } = envelope.source;
    const version = envelope.pipeline.version;
    const r = envelope.report;
    const found = crossYearSlot(envelope, this.aliases);
    const slot = found && { ...found, agencyKey: noNul(found.agencyKey) };
    return tx(this.pool, async (c) => {
      const old = (
        await c.query<{ format: string; agency_key: string | null; year: number | null }>(
          "SELECT format, agency_key, year FROM reports WHERE sha256 = $1 AND pipeline_version = $2",
          [sha256, version],
        )
      ).rows[0];
      const oldSlot = old ? this.slotOf(old) : null;
      const slots = [slot, oldSlot].filter((s): s is CrossYearSlot => s !== null);

      // One agency's years are written one transaction at a time: otherwise year N and year N+1
      // stored together would each miss the other (neither sees the other's uncommitted row).
      // Locks are taken in hash order, so two transactions never wait on each other in a cycle.
      if (slots.length)
        await c.query(
          `SELECT pg_advisory_xact_lock($1::int, h)
           FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY 1) AS l`,
          [AGENCY_LOCK_CLASS, slots.map((s) => s.agencyKey)],
        );

      const previous = slot ? await this.neighbour(c, { agencyKey: slot.agencyKey, year: slot.year - 1 }, sha256) : null;
      const crossYear = previous ? r6Findings(previous, envelope) : [];
      // Which report stands for each slot before this put: the next year's R6 is checked again
      // only where that changes (or where it is this report, whose numbers may have).
      const before = new Map<string, string | null>();
      for (const s of slots) before.set(slotKey(s), await this.standingId(c, s, ""));

      await c.query(
        `INSERT INTO reports (sha256, pipeline_version, format, year, agency, agency_key, status, envelope, cross_year, source, stored_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, now())
         ON CONFLICT (sha256, pipeline_version) DO UPDATE SET
           format = EXCLUDED.format, year = EXCLUDED.year, agency = EXCLUDED.agency, agency_key = EXCLUDED.agency_key,
           status = EXCLUDED.status, envelope = EXCLUDED.envelope, cross_year = EXCLUDED.cross_year,
           source = EXCLUDED.source, stored_at = EXCLUDED.stored_at`,
        [
          sha256,
          version,
          r.format,
          r.year,
          nullableText(r.agency),
          nullableText(storedKey(r)),
          envelope.validation.status,
          toJson(envelope),
          toJson(crossYear),
          source === null ? null : toJson(source),
        ],
      );

      await c.query("DELETE FROM cells WHERE sha256 = $1 AND pipeline_version = $2", [sha256, version]);
      await c.query(
        `INSERT INTO cells (sha256, pipeline_version, table_id, row_path, column_key, value)
         SELECT $1, $2, x.table_id, x.row_path, x.column_key, x.value
         FROM jsonb_to_recordset($3::jsonb) AS x(table_id text, row_path text, column_key text, value numeric)`,
        [sha256, version, toJson(cellRows(envelope))],
      );
      await replaceFindings(c, sha256, version, "validation", envelope.validation.findings);
      await replaceFindings(c, sha256, version, "cross-year", crossYear);

      // This report is the previous year of its next year (and, if it moved, no longer of the old one).
      const seen = new Set<string>();
      for (const s of slots) {
        const k = slotKey(s);
        if (seen.has(k)) continue;
        seen.add(k);
        if (standingChanged(before.get(k) ?? null, await this.standingId(c, s, ""), resultKey(sha256, version))) await this.recheckNextYear(c, s);
      }
      return { crossYear };
    });
  }

  async getResult(sha256: string, pipelineVersion?: string): Promise<StoredReport | null> {
    let version = pipelineVersion;
    if (version === undefined) {
      const { rows } = await this.pool.query<{ pipeline_version: string }>("SELECT pipeline_version FROM reports WHERE sha256 = $1", [sha256]);
      version = rows.map((x) => x.pipeline_version).sort(compareVersions).pop();
      if (version === undefined) return null;
    }
    const { rows } = await this.pool.query<ReportRow>(
      "SELECT envelope, cross_year, source, stored_at FROM reports WHERE sha256 = $1 AND pipeline_version = $2",
      [sha256, version],
    );
    return rows[0] ? toStored(rows[0]) : null;
  }

  async hasResult(sha256: string, pipelineVersion: string): Promise<boolean> {
    const { rowCount } = await this.pool.query("SELECT 1 FROM reports WHERE sha256 = $1 AND pipeline_version = $2", [sha256, pipelineVersion]);
    return (rowCount ?? 0) > 0;
  }

  async findByAgencyYear(agency: string, year: number): Promise<StoredReport[]> {
    const { rows } = await this.pool.query<ReportRow & { sha256: string; pipeline_version: string }>(
      `SELECT sha256, pipeline_version, envelope, cross_year, source, stored_at FROM reports
       WHERE agency_key = ANY($1::text[]) AND year = $2`,
      [lookupKeys(agency, this.aliases).map(noNul), year],
    );
    rows.sort((a, b) => (a.sha256 === b.sha256 ? compareVersions(b.pipeline_version, a.pipeline_version) : a.sha256 < b.sha256 ? -1 : 1));
    return rows.map(toStored);
  }

  async *listReports(): AsyncIterable<ReportSummary> {
    // Keyset pagination over sha256: memory stays flat, and no cursor holds a connection.
    let after = "";
    for (;;) {
      const { rows } = await this.pool.query<{
        sha256: string;
        pipeline_version: string;
        format: string;
        agency: string | null;
        agency_key: string | null;
        year: number | null;
        status: ValidationStatus | null;
        source: SourceRef | null;
      }>(
        `SELECT DISTINCT ON (sha256) sha256, pipeline_version, format, agency, agency_key, year, status, source FROM reports
         WHERE sha256 > $1 ORDER BY sha256, string_to_array(regexp_replace(pipeline_version, '[^0-9.].*$', ''), '.')::int[] DESC LIMIT 1000`,
        [after],
      );
      for (const r of rows)
        yield {
          sha256: r.sha256,
          pipelineVersion: r.pipeline_version,
          format: r.format,
          agency: r.agency,
          agencyKey: r.agency_key,
          year: r.year,
          status: r.status,
          sourceKey: r.source?.key ?? null,
          sourceUri: r.source?.uri ?? null,
        };
      const last = rows[rows.length - 1];
      if (!last || rows.length < 1000) return;
      after = last.sha256;
    }
  }

  private slotOf(row: { format: string; agency_key: string | null; year: number | null }): CrossYearSlot | null {
    if ((row.format !== "2021" && row.format !== "2019") || !row.agency_key || row.year === null) return null;
    return { agencyKey: noNul(this.aliases.resolve(row.agency_key)), year: row.year };
  }

  /** The agency_key values a slot's body is stored under (its key and the keys aliased to it). */
  private storedKeys(slot: CrossYearSlot): string[] {
    return this.aliases.keysFor(slot.agencyKey).map(noNul);
  }

  /** The envelope standing for an agency-year (see pickNeighbour), other than document `exclude`. */
  private async neighbour(c: pg.PoolClient, slot: CrossYearSlot, exclude: string): Promise<Envelope | null> {
    const best = await this.standing(c, slot, exclude);
    return best && this.envelopeOf(c, best);
  }

  private async envelopeOf(c: pg.PoolClient, id: { sha256: string; pipelineVersion: string }): Promise<Envelope | null> {
    const env = await c.query<{ envelope: Envelope }>("SELECT envelope FROM reports WHERE sha256 = $1 AND pipeline_version = $2", [
      id.sha256,
      id.pipelineVersion,
    ]);
    return env.rows[0]?.envelope ?? null;
  }

  /** The (sha256, version) standing for an agency-year (see pickNeighbour), other than document `exclude`. */
  private async standing(c: pg.PoolClient, slot: CrossYearSlot, exclude: string): Promise<{ sha256: string; pipelineVersion: string } | null> {
    const { rows } = await c.query<{ sha256: string; pipeline_version: string; stored_at: Date }>(
      `SELECT sha256, pipeline_version, stored_at FROM reports
       WHERE agency_key = ANY($1::text[]) AND year = $2 AND format IN ('2021', '2019') AND sha256 <> $3`,
      [this.storedKeys(slot), slot.year, exclude],
    );
    return pickNeighbour(rows.map((x) => ({ sha256: x.sha256, pipelineVersion: x.pipeline_version, storedAt: iso(x.stored_at) })));
  }

  private async standingId(c: pg.PoolClient, slot: CrossYearSlot, exclude: string): Promise<string | null> {
    const best = await this.standing(c, slot, exclude);
    return best && resultKey(best.sha256, best.pipelineVersion);
  }

  /** Recomputes R6 of every report in the year after `slot`, against what `slot` now holds. */
  private async recheckNextYear(c: pg.PoolClient, slot: CrossYearSlot): Promise<void> {
    const { rows } = await c.query<{ sha256: string; pipeline_version: string; envelope: Envelope; cross_year: Finding[] }>(
      `SELECT sha256, pipeline_version, envelope, cross_year FROM reports
       WHERE agency_key = ANY($1::text[]) AND year = $2 AND format IN ('2021', '2019')`,
      [this.storedKeys(slot), slot.year + 1],
    );
    const standing = await this.standing(c, slot, "");
    const standingEnvelope = standing && (await this.envelopeOf(c, standing));
    for (const row of rows) {
      // The same document stored in both years (two versions that read the year differently)
      // is never its own neighbour.
      const previous = standing?.sha256 === row.sha256 ? await this.neighbour(c, slot, row.sha256) : standingEnvelope;
      const crossYear = previous ? r6Findings(previous, row.envelope) : [];
      if (toJson(crossYear) === toJson(row.cross_year)) continue;
      await c.query("UPDATE reports SET cross_year = $3::jsonb WHERE sha256 = $1 AND pipeline_version = $2", [
        row.sha256,
        row.pipeline_version,
        toJson(crossYear),
      ]);
      await replaceFindings(c, row.sha256, row.pipeline_version, "cross-year", crossYear);
    }
  }
}

async function replaceFindings(
  c: pg.PoolClient,
  sha256: string,
  version: string,
  origin: "validation" | "cross-year",
  findings: readonly Finding[],
): Promise<void> {
  await c.query("DELETE FROM findings WHERE sha256 = $1 AND pipeline_version = $2 AND origin = $3", [sha256, version, origin]);
  if (!findings.length) return;
  await c.query(
    `INSERT INTO findings (sha256, pipeline_version, origin, seq, rule, severity, path, message, expected, actual)
     SELECT $1, $2, $3, x.seq, x.rule, x.severity, x.path, x.message, x.expected, x.actual
     FROM jsonb_to_recordset($4::jsonb) AS x(seq int, rule text, severity text, path text, message text, expected jsonb, actual jsonb)`,
    [sha256, version, origin, toJson(findings.map((f, seq) => ({ ...f, seq })))],
  );
}
