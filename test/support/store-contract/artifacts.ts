/** What every ArtifactStore must do (types.ts), whatever it keeps its artifacts in. */
import { describe, expect, it } from "vitest";
import { sha } from "../envelopes.js";
import type { ArtifactStore } from "../../../src/store/types.js";
import type { PartSubject } from "./subject.js";

export function describeArtifactsContract(name: string, subject: PartSubject<ArtifactStore>): void {
  const { part: artifacts } = subject;

  describe(`${name}: artifacts`, () => {
    it("round-trips artifacts, replaces them and keeps odd keys apart", async () => {
      const key = `extract/${sha("contract-a")}`;
      expect(await artifacts().getArtifact("extract/none")).toBeNull();
      await artifacts().putArtifact(key, '{"blocks":[]}');
      expect(await artifacts().getArtifact(key)).toBe('{"blocks":[]}');
      await artifacts().putArtifact(key, '{"blocks":[1]}');
      expect(await artifacts().getArtifact(key)).toBe('{"blocks":[1]}');
      const keys = ["../../etc/passwd", "a\u0000b", "a%00b", "A/B", "a/b", "k".repeat(500)];
      for (const k of keys) await artifacts().putArtifact(k, JSON.stringify({ k }));
      for (const k of keys) expect(await artifacts().getArtifact(k)).toBe(JSON.stringify({ k }));
    });
  });
}
