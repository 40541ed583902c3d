/**
 * Opens the output store named by a URL (usually STORE_URL):
 *   undefined or ""                    FileStore at ./data/out
 *   file:///abs/path, file:rel/path    FileStore there
 *   a plain path (./out, /srv/out)     FileStore there
 *   postgres://…, postgresql://…       PgStore
 * The caller runs init() before use and close() at the end.
 */
import { fileURLToPath } from "node:url";
import { aliasesOf, type Config } from "../config.js";
import { FileStore } from "./file.js";
import { PgStore } from "./pg.js";
import type { OutputStore, StoreOptions } from "./types.js";

export const DEFAULT_STORE_ROOT = "./data/out";

export function openStore(url?: string, options: StoreOptions = {}): OutputStore {
  if (url === undefined || url.trim() === "") return new FileStore(DEFAULT_STORE_ROOT, options);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  // No scheme, or a one-letter one (a Windows drive, C:\…): a plain path.
  if (scheme === undefined || scheme.length === 1) return new FileStore(url, options);
  if (scheme === "file") {
    // file:///abs is a URL; file:rel/path (no //) is taken as a path, not as /rel/path.
    return new FileStore(url.startsWith("file://") ? fileURLToPath(url) : decodeURIComponent(url.slice("file:".length)), options);
  }
  if (scheme === "postgres" || scheme === "postgresql") return new PgStore(url, options);
  throw new Error(`unsupported store URL scheme "${scheme}:" (use a folder path, file:///…, or postgres://…)`);
}

/** The store the configuration names (STORE_URL), comparing agencies after its AGENCY_ALIASES. */
export function openConfiguredStore(config: Pick<Config, "STORE_URL" | "AGENCY_ALIASES">): OutputStore {
  return openStore(config.STORE_URL, { aliases: aliasesOf(config) });
}

/** Opens and initialises the configured store, runs `fn` with it, and closes it whatever happens. */
export async function withStore<T>(config: Pick<Config, "STORE_URL" | "AGENCY_ALIASES">, fn: (store: OutputStore) => Promise<T>): Promise<T> {
  const store = openConfiguredStore(config);
  await store.init();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export { FileStore } from "./file.js";
export { PgStore } from "./pg.js";
export type {
  ArtifactStore,
  FailureLog,
  FailureRecord,
  IngestLedger,
  IngestRecord,
  OutputStore,
  ResultStore,
  SourceRef,
  StoreLifecycle,
  StoreOptions,
  StoredReport,
} from "./types.js";
