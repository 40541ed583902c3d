/** What every FailureLog must do (types.ts), whatever it keeps its failures in. */
import { describe, expect, it } from "vitest";
import { sha } from "../envelopes.js";
import type { FailureLog } from "../../../src/store/types.js";
import { withAnother, type PartSubject } from "./subject.js";

export function describeFailuresContract(name: string, subject: PartSubject<FailureLog>): void {
  const { part: failures, source } = subject;

  describe(`${name}: failure log`, () => {
    it("lists failures newest first", async () => {
      const f = (i: number) => ({
        sha256: sha(`contract-f${i}`),
        source: i === 1 ? null : source(`f${i}.pdf`),
        code: "corrupt" as const,
        message: `bad ${i}`,
        at: new Date(Date.UTC(2024, 0, i)).toISOString(),
      });
      for (const i of [1, 2, 3]) await failures().recordFailure(f(i));
      expect(await failures().listFailures(2)).toEqual([f(3), f(2)]);
      // (a shared store may hold failures recorded before these)
      expect((await failures().listFailures(10)).slice(0, 3)).toEqual([f(3), f(2), f(1)]);
      expect(await failures().listFailures(0)).toEqual([]);
    });

    it("supersedes the failures of a source's earlier content, and only those", async () => {
      const f = (content: string, key: string) => ({
        sha256: sha(`contract-s-${content}`),
        source: source(key),
        code: "corrupt" as const,
        message: `bad ${content}`,
        at: new Date(Date.UTC(2024, 1, 1)).toISOString(),
      });
      const cut = f("cut", "replaced.pdf");
      const other = f("other", "other.pdf");
      const current = f("current", "replaced.pdf");
      for (const x of [cut, other, current]) await failures().recordFailure(x);
      // the file now holds "current": the failure of "cut" goes, its own and other sources' stay
      expect(await failures().supersedeFailures(source("replaced.pdf").uri, current.sha256)).toEqual([cut.sha256]);
      expect((await failures().listFailures(10)).slice(0, 2)).toEqual([current, other]);
      expect(await failures().supersedeFailures(source("replaced.pdf").uri, current.sha256)).toEqual([]);
      // a failure recorded after the supersession is listed
      const later = f("later", "replaced.pdf");
      await failures().recordFailure(later);
      expect((await failures().listFailures(10))[0]).toEqual(later);
    });

    it("supersedes a failure another store recorded after this one last looked", async () => {
      const uri = source("shared.pdf").uri;
      const old = { sha256: sha("contract-s-elsewhere"), source: source("shared.pdf"), code: "corrupt" as const, message: "bad", at: new Date(Date.UTC(2024, 1, 2)).toISOString() };
      // this store looks first (a FileStore reads its log then), the other records after
      expect(await failures().supersedeFailures(uri, sha("contract-s-now"))).toEqual([]);
      await withAnother(subject, async (other) => {
        await other.recordFailure(old);
      });
      expect(await failures().supersedeFailures(uri, sha("contract-s-now"))).toEqual([old.sha256]);
      expect((await failures().listFailures(50)).filter((f) => f.source?.uri === uri)).toEqual([]);
    });
  });
}
