/**
 * What every OutputStore must do, whatever it keeps its data in: one suite, run by
 * test/store-file.test.ts against a FileStore and by test/store-pg.test.ts against a PgStore.
 * Each file keeps the tests of its own store's layout (files on disk, SQL rows) to itself.
 *
 * The subject may share one store across the whole suite (PgStore shares a database), so
 * every test here uses agencies and document seeds of its own.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { corpusFile } from "./corpus.js";
import { envelope, row7, sha, yearReport } from "./envelopes.js";
import { processBytes } from "../../src/process.js";
import { AgencyAliases } from "../../src/identity/aliases.js";
import type { OutputStore, SourceRef, StoreOptions } from "../../src/store/types.js";

export interface StoreSubject {
  /** The store under test, opened and initialised by the test file's hooks. */
  store: () => OutputStore;
  /** A second store over the same data (for races, or with aliases); the suite initialises and closes it. */
  another: (options?: StoreOptions) => OutputStore;
  /** A source reference as this store's bucket would give it. */
  source: (name: string, versionId?: string | null) => SourceRef;
}

export function describeStoreContract(name: string, subject: StoreSubject): void {
  const { store, source } = subject;
  const withAnother = async (fn: (other: OutputStore) => Promise<void>, options?: StoreOptions) => {
    const other = subject.another(options);
    try {
      await other.init();
      await fn(other);
    } finally {
      await other.close();
    }
  };

  describe(`${name}: results`, () => {
    it("answers a readiness probe", async () => {
      await expect(store().probe()).resolves.toBeUndefined();
    });

    it("stores a real envelope from the core and reads it back identical", async () => {
      const env = await processBytes(readFileSync(corpusFile("jingzhouqu-2021.txt")), { fileName: "jingzhouqu-2021.txt" });
      await store().putResult(env, source("seed.txt"));
      const got = await store().getResult(env.source.sha256);
      expect(got?.envelope).toEqual(env);
      expect(got?.source).toEqual(source("seed.txt"));
      expect(await store().hasResult(env.source.sha256, env.pipeline.version)).toBe(true);
      expect(await store().hasResult(env.source.sha256, "0.0.1")).toBe(false);
      expect(await store().getResult(sha("contract-nothing"))).toBeNull();
    });

    it("moves a result whose agency and year changed", async () => {
      await store().putResult(envelope(yearReport("契约甲市人民政府", 2021), "contract-moving"), null);
      await store().putResult(envelope(yearReport("契约乙市人民政府", 2022), "contract-moving"), null);
      expect(await store().findByAgencyYear("契约甲市人民政府", 2021)).toEqual([]);
      expect((await store().findByAgencyYear("契约乙市人民政府", 2022)).map((r) => r.envelope.source.sha256)).toEqual([sha("contract-moving")]);
      expect((await store().getResult(sha("contract-moving")))?.envelope.report.agency).toBe("契约乙市人民政府");
    });

    it("gives the newest pipeline version by default, compared as versions, not as text", async () => {
      const report = yearReport("契约版本测试局", 2021);
      await store().putResult(envelope(report, "contract-versions", "0.10.0"), null);
      await store().putResult(envelope(report, "contract-versions", "0.9.0"), null);
      expect((await store().getResult(sha("contract-versions")))?.envelope.pipeline.version).toBe("0.10.0");
      expect((await store().getResult(sha("contract-versions"), "0.9.0"))?.envelope.pipeline.version).toBe("0.9.0");
      expect((await store().findByAgencyYear("契约版本测试局", 2021)).map((r) => r.envelope.pipeline.version)).toEqual(["0.10.0", "0.9.0"]);
    });

    it("lists every document once at its newest version, with status and source key", async () => {
      const report = yearReport("契约列表测试局", 2020);
      await store().putResult(envelope(report, "contract-listed", "0.10.0"), source("2020/列表/a.pdf"));
      await store().putResult(envelope(report, "contract-listed", "0.9.0"), source("2020/列表/a.pdf"));
      const all = [];
      for await (const r of store().listReports()) all.push(r);
      expect(all.filter((r) => r.sha256 === sha("contract-listed"))).toEqual([
        expect.objectContaining({ pipelineVersion: "0.10.0", agency: "契约列表测试局", year: 2020, format: "2021", status: "valid", sourceKey: "2020/列表/a.pdf" }),
      ]);
      expect(new Set(all.map((r) => r.sha256)).size).toBe(all.length);
    });

    it("finds by agency and year after NFKC and whitespace removal", async () => {
      await store().putResult(envelope(yearReport("契约上海市ABC委员会", 2024), "contract-abc"), null);
      await store().putResult(envelope(yearReport("契约上海市ABC委员会", 2023), "contract-abc-2023"), null);
      for (const q of ["契约上海市ABC委员会", " 契约上海市 ABC\t委员会\n", "契约上海市ＡＢＣ委员会", "契约上海市　ＡＢＣ　委员会"]) {
        const found = await store().findByAgencyYear(q, 2024);
        expect(found.map((f) => f.envelope.source.sha256)).toEqual([sha("contract-abc")]);
      }
      expect(await store().findByAgencyYear("契约上海市ABC委员会", 2022)).toEqual([]);
      expect(await store().findByAgencyYear("契约上海市ABD委员会", 2024)).toEqual([]);
    });
  });

  describe(`${name}: ingest records, artifacts and failures`, () => {
    it("says firstTime once and keeps every source", async () => {
      const s = sha("contract-bytes");
      expect(await store().getIngest(s)).toBeNull();
      expect(await store().recordIngest(s, source("a.pdf"))).toEqual({ firstTime: true });
      expect(await store().recordIngest(s, source("b.pdf", "v2"))).toEqual({ firstTime: false });
      expect(await store().recordIngest(s, source("a.pdf"))).toEqual({ firstTime: false });
      const rec = await store().getIngest(s);
      expect(rec?.sha256).toBe(s);
      expect(rec?.sources).toEqual([source("a.pdf"), source("b.pdf", "v2")]);
      expect(Number.isNaN(Date.parse(rec?.firstSeen ?? ""))).toBe(false);
    });

    it("gives firstTime true to exactly one of concurrent recorders, and keeps all their sources", async () => {
      await withAnother(async (other) => {
        // Several rounds: a lost update shows only in some interleavings.
        for (let i = 0; i < 20; i++) {
          const s = sha(`contract-race-${i}`);
          const outcomes = await Promise.all([
            store().recordIngest(s, source("x.pdf")),
            other.recordIngest(s, source("y.pdf")),
            other.recordIngest(s, source("z.pdf")),
          ]);
          expect(outcomes.filter((o) => o.firstTime)).toHaveLength(1);
          expect((await store().getIngest(s))?.sources.map((x) => x.key).sort()).toEqual(["x.pdf", "y.pdf", "z.pdf"]);
        }
      });
    });

    it("round-trips artifacts, replaces them and keeps odd keys apart", async () => {
      const key = `extract/${sha("contract-a")}`;
      expect(await store().getArtifact("extract/none")).toBeNull();
      await store().putArtifact(key, '{"blocks":[]}');
      expect(await store().getArtifact(key)).toBe('{"blocks":[]}');
      await store().putArtifact(key, '{"blocks":[1]}');
      expect(await store().getArtifact(key)).toBe('{"blocks":[1]}');
      const keys = ["../../etc/passwd", "a\u0000b", "a%00b", "A/B", "a/b", "k".repeat(500)];
      for (const k of keys) await store().putArtifact(k, JSON.stringify({ k }));
      for (const k of keys) expect(await store().getArtifact(k)).toBe(JSON.stringify({ k }));
    });

    it("lists failures newest first", async () => {
      const f = (i: number) => ({
        sha256: sha(`contract-f${i}`),
        source: i === 1 ? null : source(`f${i}.pdf`),
        code: "corrupt" as const,
        message: `bad ${i}`,
        at: new Date(Date.UTC(2024, 0, i)).toISOString(),
      });
      for (const i of [1, 2, 3]) await store().recordFailure(f(i));
      expect(await store().listFailures(2)).toEqual([f(3), f(2)]);
      // (a shared store may hold failures recorded before these)
      expect((await store().listFailures(10)).slice(0, 3)).toEqual([f(3), f(2), f(1)]);
      expect(await store().listFailures(0)).toEqual([]);
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
      for (const x of [cut, other, current]) await store().recordFailure(x);
      // the file now holds "current": the failure of "cut" goes, its own and other sources' stay
      expect(await store().supersedeFailures(source("replaced.pdf").uri, current.sha256)).toEqual([cut.sha256]);
      expect((await store().listFailures(10)).slice(0, 2)).toEqual([current, other]);
      expect(await store().supersedeFailures(source("replaced.pdf").uri, current.sha256)).toEqual([]);
      // a failure recorded after the supersession is listed
      const later = f("later", "replaced.pdf");
      await store().recordFailure(later);
      expect((await store().listFailures(10))[0]).toEqual(later);
    });
  });

  describe(`${name}: rule R6 (cross-year)`, () => {
    const forward2021 = row7({ naturalPerson: 3, total: 3 });
    const over2022 = row7({ naturalPerson: 2, total: 2 });

    it("warns per column when 2021 carriedForward ≠ 2022 carriedOver: 2021 first", async () => {
      const AG = "契约R6甲区人民政府";
      const y2021 = envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), "contract-r6-2021");
      const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), "contract-r6-2022");
      expect((await store().putResult(y2021, null)).crossYear).toEqual([]);
      const { crossYear } = await store().putResult(y2022, null);
      expect(crossYear.map((f) => [f.rule, f.severity, f.path, f.expected, f.actual])).toEqual([
        ["R6", "warning", "applications.carriedOver.naturalPerson", 3, 2],
        ["R6", "warning", "applications.carriedOver.total", 3, 2],
      ]);
      expect(crossYear[0]?.message).toContain("2021 carriedForward (3) ≠ 2022 carriedOver (2) in column 自然人");
      expect((await store().getResult(y2022.source.sha256))?.crossYear).toEqual(crossYear);
      expect((await store().getResult(y2021.source.sha256))?.crossYear).toEqual([]);
    });

    it("warns when 2022 arrives first, once 2021 is stored, and clears when a newer 2021 agrees", async () => {
      const AG = "契约R6乙区人民政府";
      const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), "contract-r6b-2022");
      expect((await store().putResult(y2022, null)).crossYear).toEqual([]);
      // the 2021 report is stored with the agency spelled with spaces: it is the same agency
      const y2021 = envelope(yearReport(` 契约R6乙区 人民政府`, 2021, { carriedForward: forward2021 }), "contract-r6b-2021");
      expect((await store().putResult(y2021, null)).crossYear).toEqual([]);
      expect((await store().getResult(y2022.source.sha256))?.crossYear.map((f) => f.path)).toEqual([
        "applications.carriedOver.naturalPerson",
        "applications.carriedOver.total",
      ]);
      // A newer pipeline version of 2021 that agrees: the neighbour is now that version.
      await store().putResult(envelope(yearReport(AG, 2021, { carriedForward: over2022 }), "contract-r6b-2021", "0.2.0"), null);
      expect((await store().getResult(y2022.source.sha256))?.crossYear).toEqual([]);
    });

    it("is silent when the years agree, in either order", async () => {
      const AG = "契约R6丙区人民政府";
      const a = envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), "contract-eq-2021");
      const b = envelope(yearReport(AG, 2022, { carriedOver: forward2021 }), "contract-eq-2022");
      expect((await store().putResult(b, null)).crossYear).toEqual([]);
      expect((await store().putResult(a, null)).crossYear).toEqual([]);
      expect((await store().getResult(b.source.sha256))?.crossYear).toEqual([]);
      const c = envelope(yearReport(AG, 2023, { carriedOver: row7({}) }), "contract-eq-2023");
      expect((await store().putResult(c, null)).crossYear).toEqual([]);
    });

    it("gives one warning naming the null cells", async () => {
      const AG = "契约R6丁区人民政府";
      await store().putResult(envelope(yearReport(AG, 2021, { carriedForward: row7({ other: null }) }), "contract-null-2021"), null);
      const { crossYear } = await store().putResult(
        envelope(yearReport(AG, 2022, { carriedOver: row7({ naturalPerson: null, total: 5 }) }), "contract-null-2022"),
        null,
      );
      expect(crossYear.map((f) => [f.severity, f.path])).toEqual([
        ["warning", "applications.carriedOver.total"],
        ["warning", "applications.carriedOver"],
      ]);
      expect(crossYear[1]?.message).toMatch(/2022 applications\.carriedOver\.naturalPerson, 2021 applications\.carriedForward\.other are null/);
    });

    it("pairs the years of one body by agencyKey, whichever way each year prints its name", async () => {
      // Both are 320813103/人民政府 (the township 岔河镇 of 洪泽区, 淮安市).
      const y2021 = envelope(yearReport("洪泽区岔河镇人民政府", 2021, { carriedForward: forward2021 }), "contract-key-2021");
      const y2022 = envelope(yearReport("江苏省淮安市洪泽区岔河镇人民政府", 2022, { carriedOver: over2022 }), "contract-key-2022");
      expect(y2021.report.agencyKey).toBe("320813103/人民政府");
      expect(y2022.report.agencyKey).toBe(y2021.report.agencyKey);
      await store().putResult(y2021, null);
      const { crossYear } = await store().putResult(y2022, null);
      expect(crossYear.map((f) => f.path)).toEqual(["applications.carriedOver.naturalPerson", "applications.carriedOver.total"]);
      // Found by either name, or by the key.
      for (const q of ["洪泽区岔河镇人民政府", "淮安市洪泽区岔河镇人民政府", "320813103/人民政府"])
        expect((await store().findByAgencyYear(q, 2021)).map((r) => r.envelope.source.sha256)).toEqual([y2021.source.sha256]);
      const listed = [];
      for await (const r of store().listReports()) if (r.sha256 === y2022.source.sha256) listed.push(r.agencyKey);
      expect(listed).toEqual(["320813103/人民政府"]);
    });

    it("pairs a renamed body's years through the aliases, and only through them", async () => {
      const y2021 = envelope(yearReport("契约R6旧名局", 2021, { carriedForward: forward2021 }), "contract-alias-2021");
      const y2022 = envelope(yearReport("契约R6新名局", 2022, { carriedOver: over2022 }), "contract-alias-2022");
      await store().putResult(y2021, null);
      expect((await store().putResult(y2022, null)).crossYear).toEqual([]);
      const aliases = AgencyAliases.fromJson({ "契约R6旧名局": "契约R6新名局" });
      await withAnother(async (other) => {
        expect(other.aliases.resolve("契约R6旧名局")).toBe("契约R6新名局");
        const { crossYear } = await other.putResult(y2022, null);
        expect(crossYear.map((f) => f.path)).toEqual(["applications.carriedOver.naturalPerson", "applications.carriedOver.total"]);
        expect((await other.findByAgencyYear("契约R6新名局", 2021)).map((r) => r.envelope.source.sha256)).toEqual([y2021.source.sha256]);
        // Storing the old name's year again rechecks the new name's next year.
        await other.putResult(envelope(yearReport("契约R6旧名局", 2021, { carriedForward: over2022 }), "contract-alias-2021"), null);
        expect((await other.getResult(y2022.source.sha256))?.crossYear).toEqual([]);
      }, { aliases });
      expect(await store().findByAgencyYear("契约R6新名局", 2021)).toEqual([]);
    });

    it("finds the disagreement when both years are stored at the same time", async () => {
      for (let i = 0; i < 5; i++) {
        const AG = `契约R6并发${i}区人民政府`;
        const y2021 = envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), `contract-conc-2021-${i}`);
        const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), `contract-conc-2022-${i}`);
        await withAnother(async (other) => {
          await Promise.all([store().putResult(y2021, null), other.putResult(y2022, null)]);
        });
        expect((await store().getResult(y2022.source.sha256))?.crossYear).toHaveLength(2);
      }
    });
  });
}
