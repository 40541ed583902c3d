/**
 * PgStore: the output store in PostgreSQL (STORE_URL=postgres://…). Schema: migrations/*.sql.
 *
 *   documents, document_sources   the durable ingest record, one source row per (uri, version)
 *   reports                       one row per (sha256, pipeline_version): the envelope as JSONB
 *   cells                         the tidy view, one row per catalogue cell
 *   findings                      validation and R6 findings, one row each
 *   artifacts, failures
 *
 * Every write that touches several rows is one transaction, and results are upserted by
 * (sha256, pipeline_version) with their cells and findings deleted and inserted again, so a
 * retried job never duplicates a row. Errors (a refused connection included) are thrown: the
 * queue retries store jobs with backoff.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { CATALOGUE, TABLE_IDS } from "../catalogue.js";
import { failureCodeOf } from "../failures.js";
import type { Envelope, Finding, ValidationStatus } from "../model.js";
import { AgencyAliases } from "../identity/aliases.js";
import { compareVersions, crossYearSlot, lookupKeys, pickNeighbour, r6Findings, resultKey, slotKey, standingChanged, storedKey, type CrossYearSlot } from "./cross-year.js";
import type { FailureRecord, IngestRecord, OutputStore, ReportSummary, SourceRef, StoreOptions, StoredReport } from "./types.js";

/** Advisory lock ids (first key of the two-key form): one for migrations, one class for agencies. */
const MIGRATION_LOCK = 0x6e62_0001;
const AGENCY_LOCK_CLASS = 0x6e62_0002;

/** The repository's migrations/ folder: up from this module (src/store or dist/src/store) to package.json. */
export function migrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "migrations");
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find migrations/: no package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** One catalogue cell of a report, as a row of `cells`. */
export interface CellRow {
  table_id: string;
  row_path: string;
  column_key: string;
  value: number | null;
}

/** The cells of a report, walked from the label catalogue (like src/csv.ts): 200 for 2021, 198 for 2019. */
export function cellRows(envelope: Envelope): CellRow[] {
  const r = envelope.report;
  if (r.format === "legacy") return [];
  const out: CellRow[] = [];
  for (const table of TABLE_IDS) {
    const data: unknown = r[table];
    if (data === null) continue; // a table not found has no cells (T1 says so)
    for (const row of CATALOGUE[r.format][table].rows) {
      const node = dig(data, row.path);
      for (const f of row.fields) {
        const v = node === null || typeof node !== "object" ? undefined : (node as Record<string, unknown>)[f.key];
        out.push({ table_id: table, row_path: row.path, column_key: f.key, value: typeof v === "number" ? v : null });
      }
    }
  }
  return out;
}

function dig(data: unknown, path: string): unknown {
  let node = data;
  for (const p of path.split(".")) node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[p] : undefined;
  return node;
}

// PostgreSQL text and JSONB cannot hold U+0000. Text read from a document may (garbage in a
// damaged file): it becomes U+FFFD rather than failing the job forever on every retry.
const noNul = (s: string) => s.replaceAll("\u0000", "\uFFFD");
const nullableText = (s: string | null | undefined) => (s === null || s === undefined ? null : noNul(s));
const toJson = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "string" ? noNul(x) : x));
/** Artifact keys must stay distinct, so they are escaped (reversibly) rather than replaced. */
const artifactKey = (key: string) => key.replaceAll("%", "%25").replaceAll("\u0000", "%00");

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

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

export interface PgStoreOptions extends StoreOptions {
  /** Pool size (default 10). */
  max?: number;
  /** How long to wait for a connection before the operation fails (default 10 s). */
  connectionTimeoutMillis?: number;
}

export class PgStore implements OutputStore {
  private readonly pool: pg.Pool;
  private closed = false;
  readonly aliases: AgencyAliases;

  constructor(url: string, options: PgStoreOptions = {}) {
    this.aliases = options.aliases ?? AgencyAliases.none;
    this.pool = new pg.Pool({
      connectionString: withDefaultUser(url),
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    });
    // An idle client losing its connection is dropped by the pool and the next query connects
    // again (or throws). Without a listener, that event would crash the whole process.
    this.pool.on("error", () => undefined);
  }

  /** Applies the migrations not applied yet, in order, under an advisory lock. Idempotent. */
  async init(): Promise<void> {
    const dir = migrationsDir();
    const files = readdirSync(dir)
      .filter((f) => /^\d+_.+\.sql$/.test(f))
      .sort();
    await this.tx(async (c) => {
      // Lock first: two workers starting together would otherwise both create schema_migrations.
      await c.query("SELECT pg_advisory_xact_lock($1::int, 0)", [MIGRATION_LOCK]);
      await c.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const done = new Set((await c.query<{ version: string }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
      for (const f of files) {
        if (done.has(f)) continue;
        await c.query(readFileSync(join(dir, f), "utf8"));
        await c.query("INSERT INTO schema_migrations (version) VALUES ($1)", [f]);
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // ------------------------------------------------------------------------- ingest records
  async recordIngest(sha256: string, source: SourceRef): Promise<{ firstTime: boolean }> {
    return this.tx(async (c) => {
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

  // ------------------------------------------------------------------------------ artifacts
  async putArtifact(key: string, data: string): Promise<void> {
    // Artifacts are JSON, which never holds a raw NUL; anything else is a caller's bug.
    if (data.includes("\u0000")) throw new Error(`artifact ${JSON.stringify(key)}: data contains NUL, which PostgreSQL text cannot hold`);
    await this.pool.query(
      `INSERT INTO artifacts (key, data) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, stored_at = now()`,
      [artifactKey(key), data],
    );
  }

  async getArtifact(key: string): Promise<string | null> {
    const { rows } = await this.pool.query<{ data: string }>("SELECT data FROM artifacts WHERE key = $1", [artifactKey(key)]);
    return rows[0]?.data ?? null;
  }

  async hasArtifact(key: string): Promise<boolean> {
    const { rowCount } = await this.pool.query("SELECT 1 FROM artifacts WHERE key = $1", [artifactKey(key)]);
    return (rowCount ?? 0) > 0;
  }

  // -------------------------------------------------------------------------------- results
  async putResult(envelope: Envelope, source: SourceRef | null): Promise<{ crossYear: Finding[] }> {
    const { sha256 } = envelope.source;
    const version = envelope.pipeline.version;
    const r = envelope.report;
    const found = crossYearSlot(envelope, this.aliases);
    const slot = found && { ...found, agencyKey: noNul(found.agencyKey) };
    return this.tx(async (c) => {
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

  async probe(): Promise<void> {
    await this.hasResult("0".repeat(64), "0.0.0");
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

  // ------------------------------------------------------------------------------- failures
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
    const { rows } = await this.pool.query<{ sha256: string }>(
      "DELETE FROM failures WHERE source->>'uri' = $1 AND sha256 <> $2 RETURNING sha256",
      [noNul(uri), noNul(sha256)],
    );
    return [...new Set(rows.map((r) => r.sha256))];
  }

  // -------------------------------------------------------------------------------- helpers
  /** Runs `fn` in one transaction on one client; rolls back and rethrows on any error. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no listener of the pool's (pool.on("error") only covers idle
    // ones): if its connection drops mid-transaction, pg fails the query AND emits "error" on
    // the client, and an unhandled "error" kills the whole worker process. Keep the error:
    // the query rejects anyway, and the client is then destroyed rather than reused.
    const onError = (e: Error) => {
      broken ??= e;
    };
    c.on("error", onError);
    try {
      await c.query("BEGIN");
      const out = await fn(c);
      await c.query("COMMIT");
      return out;
    } catch (e) {
      // A failed ROLLBACK means the connection is gone: destroy the client instead of reusing it.
      await c.query("ROLLBACK").catch((re: unknown) => {
        broken = re instanceof Error ? re : new Error(String(re));
      });
      throw e;
    } finally {
      c.off("error", onError);
      c.release(broken);
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

/**
 * libpq connects as the OS user when the URL names none; node-postgres only reads $PGUSER and
 * $USER, which a container or service often leaves unset. Put the same default into the URL
 * (an explicit `user` option would not do: the parsed URL overrides it).
 */
export function withDefaultUser(url: string): string {
  if (process.env.PGUSER || process.env.USER) return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url; // not a URL pg can parse either: let it report the error
  }
  if (u.username) return url;
  try {
    u.username = encodeURIComponent(userInfo().username);
  } catch {
    return url;
  }
  return u.toString();
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
