/**
 * The pure parts of batch reprocessing: parsing the selectors, matching stored reports, run
 * and job ids, where originals are read from, and what counts as a change between versions.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parseReprocessArgs } from "../cli/reprocess.js";
import { diffEnvelopes, hasChanges } from "../src/diff.js";
import type { Envelope } from "../src/model.js";
import { processBytes } from "../src/process.js";
import type { ReportSummary } from "../src/store/types.js";
import { EMPTY_SELECTION, runIdFor, selects, type Selection } from "../src/backfill/selection.js";
import { bucketRootOf } from "../queues/backfill.js";
import { parseStatuses, parseYears } from "../cli/reprocess.js";
import { jobIdOf, RunId } from "../queues/jobs.js";
import { corpusFile } from "./support/corpus.js";

const summary = (over: Partial<ReportSummary> = {}): ReportSummary => ({
  sha256: "a".repeat(64),
  pipelineVersion: "0.0.9",
  format: "2021",
  agency: "淮安市洪泽区人民政府",
  agencyKey: "320813/人民政府",
  year: 2020,
  status: "invalid",
  sourceKey: "2020/淮安市/hongze.pdf",
  sourceUri: pathToFileURL("/srv/archive/2020/淮安市/hongze.pdf").href,
  ...over,
});
const sel = (over: Partial<Selection>): Selection => ({ ...EMPTY_SELECTION, ...over });

describe("reprocess selectors", () => {
  it("parse years, statuses and the command line", () => {
    expect(parseYears("2019")).toEqual({ from: 2019, to: 2019 });
    expect(parseYears("2019..2021")).toEqual({ from: 2019, to: 2021 });
    expect(() => parseYears("2021..2019")).toThrow(/ends before/);
    expect(() => parseYears("last year")).toThrow(/--year/);
    expect(parseStatuses(["invalid,incomplete", "invalid"])).toEqual(["invalid", "incomplete"]);
    expect(() => parseStatuses(["broken"])).toThrow(/--status/);

    expect(() => parseReprocessArgs([])).toThrow(/say what to reprocess/);
    expect(() => parseReprocessArgs(["--all", "--from", "sniff"])).toThrow(/--from/);
    expect(() => parseReprocessArgs(["--all", "--chunk", "0"])).toThrow(/--chunk/);
    const a = parseReprocessArgs(["--year", "2019..2020", "--agency", "洪泽区　人民政府", "--status", "invalid", "--status", "incomplete", "s3://archive/2019/"]);
    if (a === "help") throw new Error("not help");
    expect(a.selection).toEqual({
      all: false,
      years: { from: 2019, to: 2020 },
      agency: "洪泽区人民政府",
      statuses: ["invalid", "incomplete"],
      sinceVersion: null,
      paths: ["s3://archive/2019/"],
    });
    expect([a.from, a.chunk, a.priority, a.dryRun]).toEqual(["auto", 500, 10, false]);
  });

  it("match year, agency (NFKC, no whitespace), status and version", () => {
    expect(selects(sel({ all: true }), summary())).toBe(true);
    expect(selects(sel({ years: { from: 2019, to: 2020 } }), summary())).toBe(true);
    expect(selects(sel({ years: { from: 2021, to: 2021 } }), summary())).toBe(false);
    expect(selects(sel({ years: { from: 2019, to: 2020 } }), summary({ year: null }))).toBe(false);
    expect(selects(sel({ agency: "洪泽区" }), summary({ agency: "淮安市 洪泽区人民政府" }))).toBe(true);
    expect(selects(sel({ agency: "洪泽区" }), summary({ agency: null }))).toBe(false);
    expect(selects(sel({ statuses: ["invalid", "incomplete"] }), summary())).toBe(true);
    expect(selects(sel({ statuses: ["incomplete"] }), summary())).toBe(false);
    // older than: compared as versions, not as text
    expect(selects(sel({ sinceVersion: "0.1.0" }), summary({ pipelineVersion: "0.0.9" }))).toBe(true);
    expect(selects(sel({ sinceVersion: "0.1.0" }), summary({ pipelineVersion: "0.1.0" }))).toBe(false);
    expect(selects(sel({ sinceVersion: "0.10.0" }), summary({ pipelineVersion: "0.9.0" }))).toBe(true);
    // all selectors given must hold
    expect(selects(sel({ years: { from: 2020, to: 2020 }, statuses: ["valid"] }), summary())).toBe(false);
  });

  it("match the stored source by folder, key prefix or S3 prefix, on whole segments", () => {
    expect(selects(sel({ paths: ["/srv/archive/2020"] }), summary())).toBe(true);
    expect(selects(sel({ paths: ["/srv/archive/2020/淮安市/hongze.pdf"] }), summary())).toBe(true);
    expect(selects(sel({ paths: ["/srv/archive/202"] }), summary())).toBe(false);
    expect(selects(sel({ paths: ["2020/淮安市/"] }), summary())).toBe(true);
    expect(selects(sel({ paths: ["2020/淮安"] }), summary())).toBe(false);
    const s3 = summary({ sourceUri: "s3://archive/reports/2020/hongze.pdf", sourceKey: "2020/hongze.pdf" });
    expect(selects(sel({ paths: ["s3://archive/reports/2020/"] }), s3)).toBe(true);
    expect(selects(sel({ paths: ["s3://archive/reports/2019/"] }), s3)).toBe(false);
    expect(selects(sel({ paths: ["/srv/archive/2019", "s3://archive/reports/"] }), s3)).toBe(true);
  });
});

describe("run and job ids", () => {
  it("give the same run for the same command, and another for another", () => {
    const a = runIdFor("0.2.0", sel({ years: { from: 2019, to: 2020 } }), "auto");
    expect(a).toMatch(/^0\.2\.0-[0-9a-f]{10}$/);
    expect(runIdFor("0.2.0", sel({ years: { from: 2019, to: 2020 } }), "auto")).toBe(a);
    expect(runIdFor("0.2.0", sel({ years: { from: 2019, to: 2021 } }), "auto")).not.toBe(a);
    expect(runIdFor("0.2.0", sel({ years: { from: 2019, to: 2020 } }), "extract")).not.toBe(a);
    expect(runIdFor("0.3.0", sel({ years: { from: 2019, to: 2020 } }), "auto")).not.toBe(a);
    expect(runIdFor("1.0.0+build:7", sel({ all: true }), "auto")).toMatch(/^1\.0\.0_build_7-/);
    expect(runIdFor("0.2.0", sel({ paths: ["b", "a"] }), "auto")).toBe(runIdFor("0.2.0", sel({ paths: ["a", "b"] }), "auto"));
  });

  it("keep the live job id, and add the run to a reprocessing job's id (no colon)", () => {
    const documentId = `sha256-${"b".repeat(64)}`;
    expect(jobIdOf({ documentId })).toBe(documentId);
    expect(jobIdOf({ documentId, runId: "0.2.0-abc" })).toBe(`${documentId}-r0.2.0-abc`);
    expect(RunId.safeParse("0.2.0:abc").success).toBe(false);
  });

  it("read an original back through the root it was uploaded under", () => {
    const file = { uri: pathToFileURL("/srv/inbox/2021/淮安市/x.pdf").href, key: "2021/淮安市/x.pdf", size: 1 };
    expect(bucketRootOf(file)).toBe(pathToFileURL("/srv/inbox").href);
    expect(bucketRootOf({ ...file, key: "" })).toBe(pathToFileURL("/srv/inbox/2021/淮安市").href);
    expect(bucketRootOf({ uri: "s3://uploads/reports/2021/x.pdf", key: "2021/x.pdf", size: 1 })).toBe("s3://uploads/reports/");
  });
});

describe("changes between two results", () => {
  it("name every changed cell, the status, and format, year and agency", async () => {
    const before = await processBytes(readFileSync(corpusFile("jingzhouqu-2021.txt")));
    const after: Envelope = structuredClone(before);
    expect(hasChanges(diffEnvelopes(before, after))).toBe(false);
    const apps = after.report.applications as unknown as Record<string, Record<string, number | null>>;
    (apps["newReceived"] as Record<string, number | null>)["total"] = null;
    (apps["carriedForward"] as Record<string, number | null>)["naturalPerson"] = 7;
    after.report.agency = "荆州区人民政府";
    after.validation.status = "incomplete";
    after.report.sections.other = "prose changes are not cell changes";
    const d = diffEnvelopes(before, after);
    expect(d.statusBefore).toBe("valid");
    expect(d.statusAfter).toBe("incomplete");
    expect(d.fields).toEqual([
      { path: "agency", before: "荆州市荆州区人民政府办公室", after: "荆州区人民政府" },
      { path: "applications.carriedForward.naturalPerson", before: 0, after: 7 },
      { path: "applications.newReceived.total", before: 12, after: null },
    ]);
  });
});
