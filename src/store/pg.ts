/**
 * PgStore: the output store in PostgreSQL (STORE_URL=postgres://…), one module per job in pg/:
 *
 *   documents, document_sources        the ingest ledger                  pg/ledger.ts
 *   artifacts                          artifacts                          pg/artifacts.ts
 *   reports, cells, findings           results, with R6                   pg/results.ts, pg/cells.ts
 *   failures                           the failure log                    pg/failures.ts
 *
 * The parts share one connection pool; pg/db.ts has the transaction helper and the
 * migrations (migrations/*.sql, applied by init()). Errors (a refused connection included)
 * are thrown: the queue retries store jobs with backoff.
 */
import type pg from "pg";
import { AgencyAliases } from "../identity/aliases.js";
import { ComposedStore } from "./composed.js";
import { PgArtifactStore } from "./pg/artifacts.js";
import { migrate, openPool, type PoolOptions } from "./pg/db.js";
import { PgFailureLog } from "./pg/failures.js";
import { PgIngestLedger } from "./pg/ledger.js";
import { PgResultStore } from "./pg/results.js";
import type { StoreOptions } from "./types.js";

export { cellRows, type CellRow } from "./pg/cells.js";
export { migrationsDir, withDefaultUser } from "./pg/db.js";

export interface PgStoreOptions extends StoreOptions, PoolOptions {}

interface PgParts {
  ledger: PgIngestLedger;
  artifacts: PgArtifactStore;
  results: PgResultStore;
  failures: PgFailureLog;
}

export class PgStore extends ComposedStore<PgParts> {
  private readonly pool: pg.Pool;
  private closed = false;

  constructor(url: string, options: PgStoreOptions = {}) {
    const pool = openPool(url, options);
    super({
      ledger: new PgIngestLedger(pool),
      artifacts: new PgArtifactStore(pool),
      results: new PgResultStore(pool, options.aliases ?? AgencyAliases.none),
      failures: new PgFailureLog(pool),
    });
    this.pool = pool;
  }

  /** Applies the migrations not applied yet, in order, under an advisory lock. Idempotent. */
  async init(): Promise<void> {
    await migrate(this.pool);
  }

  async probe(): Promise<void> {
    await this.hasResult("0".repeat(64), "0.0.0");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
