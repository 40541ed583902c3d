/**
 * What PgStore's parts share: the connection pool, one transaction at a time on one client
 * (tx), the migrations, and how text goes into PostgreSQL (which cannot hold U+0000).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/** Advisory lock ids (first key of the two-key form): one for migrations, one class for agencies. */
const MIGRATION_LOCK = 0x6e62_0001;
export const AGENCY_LOCK_CLASS = 0x6e62_0002;

// PostgreSQL text and JSONB cannot hold U+0000. Text read from a document may (garbage in a
// damaged file): it becomes U+FFFD rather than failing the job forever on every retry.
export const noNul = (s: string) => s.replaceAll("\u0000", "\uFFFD");
export const nullableText = (s: string | null | undefined) => (s === null || s === undefined ? null : noNul(s));
export const toJson = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "string" ? noNul(x) : x));

export const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

export interface PoolOptions {
  /** Pool size (default 10). */
  max?: number;
  /** How long to wait for a connection before the operation fails (default 10 s). */
  connectionTimeoutMillis?: number;
}

export function openPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withDefaultUser(url),
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
  });
  // An idle client losing its connection is dropped by the pool and the next query connects
  // again (or throws). Without a listener, that event would crash the whole process.
  pool.on("error", () => undefined);
  return pool;
}

/** Runs `fn` in one transaction on one client; rolls back and rethrows on any error. */
export async function tx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
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

/** The repository's migrations/ folder: up from this module (src/store/pg or dist/src/store/pg) to package.json. */
export function migrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "migrations");
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find migrations/: no package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Applies the migrations not applied yet, in order, under an advisory lock. Idempotent. */
export async function migrate(pool: pg.Pool): Promise<void> {
  const dir = migrationsDir();
  const files = readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort();
  await tx(pool, async (c) => {
    // Lock first: two workers starting together would otherwise both create schema_migrations.
    await c.query("SELECT pg_advisory_xact_lock($1::int, 0)", [MIGRATION_LOCK]);
    await c.query("CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const done = new Set((await c.query<{ version: string }>("SELECT version FROM schema_migrations")).rows.map((r) => r.version));
    for (const f of files) {
      if (done.has(f)) continue;
      await c.query(readFileSync(join(dir, f), "utf8"));
      await c.query("INSERT INTO schema_migrations (version) VALUES ($1)", [f]);
    }
  });
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
