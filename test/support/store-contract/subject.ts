/**
 * What a contract of one part of the store is run against: the part of a store that the test
 * file opens (FileStore or PgStore), a second store over the same data, and sources as that
 * store's bucket would give them.
 *
 * The subject may share one store across the whole suite (PgStore shares a database), so
 * every test uses agencies and document seeds of its own.
 */
import type { SourceRef, StoreLifecycle, StoreOptions } from "../../../src/store/types.js";

export interface PartSubject<P> {
  /** The part under test, of a store opened and initialised by the test file's hooks. */
  part: () => P;
  /** A second store over the same data (for races, or with aliases); withAnother initialises and closes it. */
  another: (options?: StoreOptions) => P & StoreLifecycle;
  /** A source reference as this store's bucket would give it. */
  source: (name: string, versionId?: string | null) => SourceRef;
}

/** Runs `fn` with a second store over the subject's data, initialised, and closes it after. */
export async function withAnother<P>(subject: PartSubject<P>, fn: (other: P) => Promise<void>, options?: StoreOptions): Promise<void> {
  const other = subject.another(options);
  try {
    await other.init();
    await fn(other);
  } finally {
    await other.close();
  }
}
