/** What every IngestLedger must do (types.ts), whatever it keeps its records in. */
import { describe, expect, it } from "vitest";
import { sha } from "../envelopes.js";
import type { IngestLedger } from "../../../src/store/types.js";
import { withAnother, type PartSubject } from "./subject.js";

export function describeLedgerContract(name: string, subject: PartSubject<IngestLedger>): void {
  const { part: ledger, source } = subject;

  describe(`${name}: ingest ledger`, () => {
    it("says firstTime once and keeps every source", async () => {
      const s = sha("contract-bytes");
      expect(await ledger().getIngest(s)).toBeNull();
      expect(await ledger().recordIngest(s, source("a.pdf"))).toEqual({ firstTime: true });
      expect(await ledger().recordIngest(s, source("b.pdf", "v2"))).toEqual({ firstTime: false });
      expect(await ledger().recordIngest(s, source("a.pdf"))).toEqual({ firstTime: false });
      const rec = await ledger().getIngest(s);
      expect(rec?.sha256).toBe(s);
      expect(rec?.sources).toEqual([source("a.pdf"), source("b.pdf", "v2")]);
      expect(Number.isNaN(Date.parse(rec?.firstSeen ?? ""))).toBe(false);
    });

    it("gives firstTime true to exactly one of concurrent recorders, and keeps all their sources", async () => {
      await withAnother(subject, async (other) => {
        // Several rounds: a lost update shows only in some interleavings.
        for (let i = 0; i < 20; i++) {
          const s = sha(`contract-race-${i}`);
          const outcomes = await Promise.all([
            ledger().recordIngest(s, source("x.pdf")),
            other.recordIngest(s, source("y.pdf")),
            other.recordIngest(s, source("z.pdf")),
          ]);
          expect(outcomes.filter((o) => o.firstTime)).toHaveLength(1);
          expect((await ledger().getIngest(s))?.sources.map((x) => x.key).sort()).toEqual(["x.pdf", "y.pdf", "z.pdf"]);
        }
      });
    });
  });
}
