/** What every ResultStore must do (types.ts), rule R6 included, whatever it keeps its results in. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { corpusFile } from "../corpus.js";
import { envelope, row7, sha, yearReport } from "../envelopes.js";
import { processBytes } from "../../../src/process.js";
import { AgencyAliases } from "../../../src/identity/aliases.js";
import type { ResultStore } from "../../../src/store/types.js";
import { withAnother, type PartSubject } from "./subject.js";

export function describeResultsContract(name: string, subject: PartSubject<ResultStore>): void {
  const { part: results, source } = subject;

  describe(`${name}: results`, () => {
    it("stores a real envelope from the core and reads it back identical", async () => {
      const env = await processBytes(readFileSync(corpusFile("jingzhouqu-2021.txt")), { fileName: "jingzhouqu-2021.txt" });
      await results().putResult(env, source("seed.txt"));
      const got = await results().getResult(env.source.sha256);
      expect(got?.envelope).toEqual(env);
      expect(got?.source).toEqual(source("seed.txt"));
      expect(await results().hasResult(env.source.sha256, env.pipeline.version)).toBe(true);
      expect(await results().hasResult(env.source.sha256, "0.0.1")).toBe(false);
      expect(await results().getResult(sha("contract-nothing"))).toBeNull();
    });

    it("moves a result whose agency and year changed", async () => {
      await results().putResult(envelope(yearReport("契约甲市人民政府", 2021), "contract-moving"), null);
      await results().putResult(envelope(yearReport("契约乙市人民政府", 2022), "contract-moving"), null);
      expect(await results().findByAgencyYear("契约甲市人民政府", 2021)).toEqual([]);
      expect((await results().findByAgencyYear("契约乙市人民政府", 2022)).map((r) => r.envelope.source.sha256)).toEqual([sha("contract-moving")]);
      expect((await results().getResult(sha("contract-moving")))?.envelope.report.agency).toBe("契约乙市人民政府");
    });

    it("gives the newest pipeline version by default, compared as versions, not as text", async () => {
      const report = yearReport("契约版本测试局", 2021);
      await results().putResult(envelope(report, "contract-versions", "0.10.0"), null);
      await results().putResult(envelope(report, "contract-versions", "0.9.0"), null);
      expect((await results().getResult(sha("contract-versions")))?.envelope.pipeline.version).toBe("0.10.0");
      expect((await results().getResult(sha("contract-versions"), "0.9.0"))?.envelope.pipeline.version).toBe("0.9.0");
      expect((await results().findByAgencyYear("契约版本测试局", 2021)).map((r) => r.envelope.pipeline.version)).toEqual(["0.10.0", "0.9.0"]);
    });

    it("lists every document once at its newest version, with status and source key", async () => {
      const report = yearReport("契约列表测试局", 2020);
      await results().putResult(envelope(report, "contract-listed", "0.10.0"), source("2020/列表/a.pdf"));
      await results().putResult(envelope(report, "contract-listed", "0.9.0"), source("2020/列表/a.pdf"));
      const all = [];
      for await (const r of results().listReports()) all.push(r);
      expect(all.filter((r) => r.sha256 === sha("contract-listed"))).toEqual([
        expect.objectContaining({ pipelineVersion: "0.10.0", agency: "契约列表测试局", year: 2020, format: "2021", status: "valid", sourceKey: "2020/列表/a.pdf" }),
      ]);
      expect(new Set(all.map((r) => r.sha256)).size).toBe(all.length);
    });

    it("finds by agency and year after NFKC and whitespace removal", async () => {
      await results().putResult(envelope(yearReport("契约上海市ABC委员会", 2024), "contract-abc"), null);
      await results().putResult(envelope(yearReport("契约上海市ABC委员会", 2023), "contract-abc-2023"), null);
      for (const q of ["契约上海市ABC委员会", " 契约上海市 ABC\t委员会\n", "契约上海市ＡＢＣ委员会", "契约上海市　ＡＢＣ　委员会"]) {
        const found = await results().findByAgencyYear(q, 2024);
        expect(found.map((f) => f.envelope.source.sha256)).toEqual([sha("contract-abc")]);
      }
      expect(await results().findByAgencyYear("契约上海市ABC委员会", 2022)).toEqual([]);
      expect(await results().findByAgencyYear("契约上海市ABD委员会", 2024)).toEqual([]);
    });
  });

  describe(`${name}: rule R6 (cross-year)`, () => {
    const forward2021 = row7({ naturalPerson: 3, total: 3 });
    const over2022 = row7({ naturalPerson: 2, total: 2 });

    it("warns per column when 2021 carriedForward ≠ 2022 carriedOver: 2021 first", async () => {
      const AG = "契约R6甲区人民政府";
      const y2021 = envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), "contract-r6-2021");
      const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), "contract-r6-2022");
      expect((await results().putResult(y2021, null)).crossYear).toEqual([]);
      const { crossYear } = await results().putResult(y2022, null);
      expect(crossYear.map((f) => [f.rule, f.severity, f.path, f.expected, f.actual])).toEqual([
        ["R6", "warning", "applications.carriedOver.naturalPerson", 3, 2],
        ["R6", "warning", "applications.carriedOver.total", 3, 2],
      ]);
      expect(crossYear[0]?.message).toContain("2021 carriedForward (3) ≠ 2022 carriedOver (2) in column 自然人");
      expect((await results().getResult(y2022.source.sha256))?.crossYear).toEqual(crossYear);
      expect((await results().getResult(y2021.source.sha256))?.crossYear).toEqual([]);
    });

    it("warns when 2022 arrives first, once 2021 is stored, and clears when a newer 2021 agrees", async () => {
      const AG = "契约R6乙区人民政府";
      const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), "contract-r6b-2022");
      expect((await results().putResult(y2022, null)).crossYear).toEqual([]);
      // the 2021 report is stored with the agency spelled with spaces: it is the same agency
      const y2021 = envelope(yearReport(` 契约R6乙区 人民政府`, 2021, { carriedForward: forward2021 }), "contract-r6b-2021");
      expect((await results().putResult(y2021, null)).crossYear).toEqual([]);
      expect((await results().getResult(y2022.source.sha256))?.crossYear.map((f) => f.path)).toEqual([
        "applications.carriedOver.naturalPerson",
        "applications.carriedOver.total",
      ]);
      // A newer pipeline version of 2021 that agrees: the neighbour is now that version.
      await results().putResult(envelope(yearReport(AG, 2021, { carriedForward: over2022 }), "contract-r6b-2021", "0.2.0"), null);
      expect((await results().getResult(y2022.source.sha256))?.crossYear).toEqual([]);
    });

    it("is silent when the years agree, in either order", async () => {
      const AG = "契约R6丙区人民政府";
      const a = envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), "contract-eq-2021");
      const b = envelope(yearReport(AG, 2022, { carriedOver: forward2021 }), "contract-eq-2022");
      expect((await results().putResult(b, null)).crossYear).toEqual([]);
      expect((await results().putResult(a, null)).crossYear).toEqual([]);
      expect((await results().getResult(b.source.sha256))?.crossYear).toEqual([]);
      const c = envelope(yearReport(AG, 2023, { carriedOver: row7({}) }), "contract-eq-2023");
      expect((await results().putResult(c, null)).crossYear).toEqual([]);
    });

    it("gives one warning naming the null cells", async () => {
      const AG = "契约R6丁区人民政府";
      await results().putResult(envelope(yearReport(AG, 2021, { carriedForward: row7({ other: null }) }), "contract-null-2021"), null);
      const { crossYear } = await results().putResult(
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
      await results().putResult(y2021, null);
      const { crossYear } = await results().putResult(y2022, null);
      expect(crossYear.map((f) => f.path)).toEqual(["applications.carriedOver.naturalPerson", "applications.carriedOver.total"]);
      // Found by either name, or by the key.
      for (const q of ["洪泽区岔河镇人民政府", "淮安市洪泽区岔河镇人民政府", "320813103/人民政府"])
        expect((await results().findByAgencyYear(q, 2021)).map((r) => r.envelope.source.sha256)).toEqual([y2021.source.sha256]);
      const listed = [];
      for await (const r of results().listReports()) if (r.sha256 === y2022.source.sha256) listed.push(r.agencyKey);
      expect(listed).toEqual(["320813103/人民政府"]);
    });

    it("pairs a renamed body's years through the aliases, and only through them", async () => {
      const y2021 = envelope(yearReport("契约R6旧名局", 2021, { carriedForward: forward2021 }), "contract-alias-2021");
      const y2022 = envelope(yearReport("契约R6新名局", 2022, { carriedOver: over2022 }), "contract-alias-2022");
      await results().putResult(y2021, null);
      expect((await results().putResult(y2022, null)).crossYear).toEqual([]);
      const aliases = AgencyAliases.fromJson({ "契约R6旧名局": "契约R6新名局" });
      await withAnother(subject, async (other) => {
        expect(other.aliases.resolve("契约R6旧名局")).toBe("契约R6新名局");
        const { crossYear } = await other.putResult(y2022, null);
        expect(crossYear.map((f) => f.path)).toEqual(["applications.carriedOver.naturalPerson", "applications.carriedOver.total"]);
        expect((await other.findByAgencyYear("契约R6新名局", 2021)).map((r) => r.envelope.source.sha256)).toEqual([y2021.source.sha256]);
        // Storing the old name's year again rechecks the new name's next year.
        await other.putResult(envelope(yearReport("契约R6旧名局", 2021, { carriedForward: over2022 }), "contract-alias-2021"), null);
        expect((await other.getResult(y2022.source.sha256))?.crossYear).toEqual([]);
      }, { aliases });
      expect(await results().findByAgencyYear("契约R6新名局", 2021)).toEqual([]);
    });

    it("finds the disagreement when both years are stored at the same time", async () => {
      for (let i = 0; i < 5; i++) {
        const AG = `契约R6并发${i}区人民政府`;
        const y2021 = envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), `contract-conc-2021-${i}`);
        const y2022 = envelope(yearReport(AG, 2022, { carriedOver: over2022 }), `contract-conc-2022-${i}`);
        await withAnother(subject, async (other) => {
          await Promise.all([results().putResult(y2021, null), other.putResult(y2022, null)]);
        });
        expect((await results().getResult(y2022.source.sha256))?.crossYear).toHaveLength(2);
      }
    });
    });
}
