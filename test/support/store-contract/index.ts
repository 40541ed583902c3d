/**
 * What every OutputStore must do, whatever it keeps its data in: one contract per part of the
 * store (types.ts), each in its own file, run by test/store-file.test.ts against a FileStore
 * and by test/store-pg.test.ts against a PgStore. Each part's contract is run against that
 * part of the store alone (store.parts.ledger, …), so each part keeps its promise on its own;
 * the second store (races, aliases) is a whole one. Each test file keeps the tests of its own
 * store's layout (files on disk, SQL rows) to itself.
 */
import { describe, expect, it } from "vitest";
import type { ComposedStore } from "../../../src/store/composed.js";
import type { OutputStore, SourceRef, StoreOptions } from "../../../src/store/types.js";
import { describeArtifactsContract } from "./artifacts.js";
import { describeFailuresContract } from "./failures.js";
import { describeLedgerContract } from "./ledger.js";
import { describeResultsContract } from "./results.js";

export interface StoreSubject {
  /** The store under test, opened and initialised by the test file's hooks. */
  store: () => ComposedStore;
  /** A second store over the same data (for races, or with aliases); the contracts initialise and close it. */
  another: (options?: StoreOptions) => OutputStore;
  /** A source reference as this store's bucket would give it. */
  source: (name: string, versionId?: string | null) => SourceRef;
}

export function describeStoreContract(name: string, subject: StoreSubject): void {
  const { store, another, source } = subject;

  describe(`${name}: lifecycle`, () => {
    it("answers a readiness probe", async () => {
      await expect(store().probe()).resolves.toBeUndefined();
    });
  });

  describeLedgerContract(name, { part: () => store().parts.ledger, another, source });
  describeArtifactsContract(name, { part: () => store().parts.artifacts, another, source });
  describeResultsContract(name, { part: () => store().parts.results, another, source });
  describeFailuresContract(name, { part: () => store().parts.failures, another, source });
}
