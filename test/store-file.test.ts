/**
 * FileStore against a real temporary folder. What every store must do is
 * test/support/store-contract.ts, run here too; this file adds what is the FileStore's own:
 * the layout on disk, the index and its repair, and path safety with hostile names.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { corpusReport, envelope, row7, sha, yearReport } from "./support/envelopes.js";
import { corpusFile } from "./support/corpus.js";
import { APPLICANT_COLUMNS } from "../src/catalogue.js";
import { processBytes } from "../src/process.js";
import { AgencyAliases } from "../src/identity/aliases.js";
import { comparisonKey, compareVersions, pickNeighbour, r6Findings, storedKey } from "../src/store/cross-year.js";
import { FileStore, MAX_SEGMENT_BYTES, safeSegment } from "../src/store/file.js";
import { openStore } from "../src/store/index.js";
import { PgStore } from "../src/store/pg.js";
import type { SourceRef } from "../src/store/types.js";
import { describeStoreContract } from "./support/store-contract/index.js";

// ------------------------------------------------------------------------------- fixtures
const source = (name: string, versionId: string | null = null): SourceRef => ({
  uri: `file:///inbox/${name}`,
  key: name,
  size: 1234,
  versionId,
  etag: null,
  mtime: "2024-03-01T08:00:00.000Z",
});

/** Every file below `dir`, as absolute paths. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
  );
}

// --------------------------------------------------------------------------------- setup
let tmp: string;
let root: string;
let store: FileStore;

beforeEach(async () => {
  tmp = mkdtempSync(join(tmpdir(), "nianbao-store-"));
  root = join(tmp, "out");
  store = new FileStore(root);
  await store.init();
});

afterEach(async () => {
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

// --------------------------------------------------------------------------------- tests
describe("FileStore probe", () => {
  it("fails when its folder is gone, saying so", async () => {
    const gone = new FileStore(join(tmpdir(), `nianbao-gone-${process.pid}-${Date.now()}`));
    await expect(gone.probe()).rejects.toThrow(/ENOENT|not a folder/);
  });
});

describe("FileStore results", () => {
  it("stores a result under year/agency and reads it back", async () => {
    const env = envelope(corpusReport("seed/jingzhouqu-2021"), "seed");
    const src = source("2021/jingzhouqu.pdf");
    expect(await store.hasResult(env.source.sha256, "0.1.0")).toBe(false);
    expect(await store.putResult(env, src)).toEqual({ crossYear: [] });

    const file = join(root, "reports", "2021", "荆州市荆州区人民政府办公室", `${env.source.sha256}.0.1.0.json`);
    expect(statSync(file).isFile()).toBe(true);
    const got = await store.getResult(env.source.sha256);
    expect(got?.envelope).toEqual(env);
    expect(got?.source).toEqual(src);
    expect(got?.crossYear).toEqual([]);
    expect(Number.isNaN(Date.parse(got?.storedAt ?? ""))).toBe(false);
    expect(await store.hasResult(env.source.sha256, "0.1.0")).toBe(true);
    expect(await store.hasResult(env.source.sha256, "0.2.0")).toBe(false);
    expect(await store.getResult(sha("nothing"))).toBeNull();
  });

  it("a result stored again unchanged keeps its storedAt, which the index carries for R6", async () => {
    const env = envelope(corpusReport("seed/jingzhouqu-2021"), "seed");
    await store.putResult(env, source("a.pdf"));
    const first = (await store.getResult(env.source.sha256))?.storedAt;
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT/);
    await new Promise((r) => setTimeout(r, 5));
    await store.putResult(env, source("a.pdf"));
    expect((await store.getResult(env.source.sha256))?.storedAt).toBe(first);
    expect((await store.indexEntries())[0]?.storedAt).toBe(first);
    // a changed entry (another source) is a new storing
    await store.putResult(env, source("b.pdf"));
    const third = (await store.getResult(env.source.sha256))?.storedAt;
    expect(third).not.toBe(first);
    expect((await store.indexEntries())[0]?.storedAt).toBe(third);
  });

  it("upserting the same (sha256, version) twice leaves one file and one index entry", async () => {
    const env = envelope(corpusReport("seed/jingzhouqu-2021"), "seed");
    await store.putResult(env, null);
    await store.putResult(env, source("again.pdf"));
    const reports = walk(join(root, "reports"));
    expect(reports).toHaveLength(1);
    expect(await store.indexEntries()).toHaveLength(1);
    // the second put changed the entry (its source), so it appended one line; an identical
    // third put appends nothing
    expect(readFileSync(join(root, "index.ndjson"), "utf8").trim().split("\n")).toHaveLength(2);
    await store.putResult(env, source("again.pdf"));
    expect(readFileSync(join(root, "index.ndjson"), "utf8").trim().split("\n")).toHaveLength(2);
    expect(await store.indexEntries()).toHaveLength(1);
    expect((await store.getResult(env.source.sha256))?.source?.key).toBe("again.pdf");
    // no temporary files are left beside the results
    expect(walk(root).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("moves a result whose agency and year changed, keeping one current index entry", async () => {
    const first = envelope(yearReport("甲市人民政府", 2021), "moving");
    const second = envelope(yearReport("乙市人民政府", 2022), "moving");
    await store.putResult(first, null);
    await store.putResult(second, null);
    const entries = await store.indexEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ agency: "乙市人民政府", year: 2022 });
    expect(walk(join(root, "reports")).map((f) => f.slice(root.length))).toEqual([
      `${sep}${["reports", "2022", "乙市人民政府", `${sha("moving")}.0.1.0.json`].join(sep)}`,
    ]);
    expect(await store.findByAgencyYear("甲市人民政府", 2021)).toEqual([]);
    expect(await store.findByAgencyYear("乙市人民政府", 2022)).toHaveLength(1);

    // A second store on the same folder folds the index the same way.
    const again = new FileStore(root);
    await again.init();
    expect(await again.indexEntries()).toEqual(entries);
    expect((await again.getResult(sha("moving")))?.envelope.report.agency).toBe("乙市人民政府");
  });

  it("stores a real envelope from the core and survives a torn index line", async () => {
    const env = await processBytes(readFileSync(corpusFile("jingzhouqu-2021.txt")), { fileName: "jingzhouqu-2021.txt" });
    await store.putResult(env, source("seed.txt"));
    // A crash in the middle of an append leaves a line without its end.
    appendFileSync(join(root, "index.ndjson"), '{"sha256":"deadbeef","pipeli');
    const reopened = new FileStore(root);
    await reopened.init();
    const other = envelope(yearReport("丙县人民政府", 2021), "after-crash");
    await reopened.putResult(other, null);
    const third = new FileStore(root);
    await third.init();
    expect((await third.getResult(env.source.sha256))?.envelope).toEqual(env);
    expect((await third.getResult(other.source.sha256))?.envelope).toEqual(other);
    expect(await third.indexEntries()).toHaveLength(2);
  });
});

describe("FileStore ingest records", () => {
  it("refuses a sha256 that is not 64 hex digits", async () => {
    await expect(store.recordIngest("../../etc/passwd", source("x"))).rejects.toThrow(/sha256/);
    await expect(store.getIngest("ABC")).rejects.toThrow(/sha256/);
  });
});

describe("FileStore failure log", () => {
  const failure = (content: string, key: string) => ({
    sha256: sha(content),
    source: source(key),
    code: "corrupt" as const,
    message: `bad ${content}`,
    at: new Date(Date.UTC(2024, 1, 1)).toISOString(),
  });
  const log = () => join(root, "failures.ndjson");

  it("leaves failures.ndjson untouched when a put's source has no failure, and still supersedes one that has", async () => {
    const old = failure("old-content", "2021/replaced.pdf");
    await store.recordFailure(old);
    await store.recordFailure(failure("elsewhere", "2021/other.pdf"));
    const before = statSync(log());
    await new Promise((r) => setTimeout(r, 20)); // a write now would move the mtime

    // What the store stage does for a document whose source never failed: put, then supersede.
    for (const [i, agency] of ["甲", "乙", "丙"].entries()) {
      const env = envelope(yearReport(`${agency}县人民政府`, 2021), `fresh-${i}`);
      await store.putResult(env, source(`2021/fresh-${i}.pdf`));
      expect(await store.supersedeFailures(source(`2021/fresh-${i}.pdf`).uri, env.source.sha256)).toEqual([]);
    }
    const after = statSync(log());
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);

    // The replaced file's new content is stored: the old content's failure goes.
    const now = envelope(yearReport("丁县人民政府", 2021), "new-content");
    await store.putResult(now, source("2021/replaced.pdf"));
    expect(await store.supersedeFailures(source("2021/replaced.pdf").uri, now.source.sha256)).toEqual([old.sha256]);
    expect((await store.listFailures(10)).map((f) => f.sha256)).toEqual([sha("elsewhere")]);
    expect(statSync(log()).size).toBeGreaterThan(after.size);
    // and a fresh store over the folder reads the same from the file
    const again = new FileStore(root);
    await again.init();
    expect((await again.listFailures(10)).map((f) => f.sha256)).toEqual([sha("elsewhere")]);
    expect(await again.supersedeFailures(source("2021/replaced.pdf").uri, now.source.sha256)).toEqual([]);
  });

  it("supersedes as listFailures hides: the newest superseded line of a source decides", async () => {
    // The file held A (failed), then B (failed), then A again.
    const a = failure("content-a", "x.pdf");
    const b = failure("content-b", "x.pdf");
    await store.recordFailure(a);
    expect(await store.supersedeFailures(source("x.pdf").uri, sha("content-b"))).toEqual([a.sha256]);
    await store.recordFailure(b);
    expect(await store.supersedeFailures(source("x.pdf").uri, sha("content-a"))).toEqual([b.sha256]);
    // A's failure is the file's again
    expect(await store.listFailures(10)).toEqual([a]);
    const again = new FileStore(root);
    await again.init();
    expect(await again.supersedeFailures(source("x.pdf").uri, sha("content-a"))).toEqual([]);
    expect(await again.supersedeFailures(source("x.pdf").uri, sha("content-c"))).toEqual([a.sha256]);
  });

  it("reads failures.ndjson again from the start when it was replaced by a shorter file", async () => {
    await store.recordFailure(failure("long-gone", "y.pdf"));
    await store.recordFailure(failure("gone-too", "y.pdf"));
    expect(await store.supersedeFailures(source("z.pdf").uri, sha("any"))).toEqual([]); // the view is read
    writeFileSync(log(), `${JSON.stringify(failure("kept", "y.pdf"))}\n`); // restored from a backup
    expect(await store.supersedeFailures(source("y.pdf").uri, sha("new"))).toEqual([sha("kept")]);
  });
});

describe("FileStore path safety", () => {
  /** Everything written is below the root: nothing beside it in the temp folder. */
  function assertContained(): void {
    expect(readdirSync(tmp)).toEqual(["out"]);
    for (const f of walk(root)) expect(f.startsWith(root + sep)).toBe(true);
  }

  it("keeps hostile agency names and versions under reports/<year>/", async () => {
    const hostile = ["../../etc", "/etc/passwd", "..\\..\\windows", "a/../../b", ".", "..", "x\u0000y", "a\u0007\u001bb", "局".repeat(500)];
    for (const [i, agency] of hostile.entries()) await store.putResult(envelope(yearReport(agency, 2021), `hostile-${i}`), null);
    await store.putResult(envelope(yearReport("正常机关", 2021), "bad-version", "../../../../x\u0000/y"), null);
    assertContained();

    const dirs = readdirSync(join(root, "reports", "2021"));
    expect(dirs).toHaveLength(hostile.length + 1);
    for (const d of dirs) {
      expect(Buffer.byteLength(d, "utf8")).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
      expect(d).not.toMatch(/^\.|[/\\\p{Cc}]/u);
    }
    for (const [i, agency] of hostile.entries()) {
      const got = await store.findByAgencyYear(agency, 2021);
      expect(got.map((g) => g.envelope.source.sha256)).toEqual([sha(`hostile-${i}`)]);
    }
    expect(await store.hasResult(sha("bad-version"), "../../../../x\u0000/y")).toBe(true);
  });

  it("keeps hostile artifact keys under artifacts/ and distinct", async () => {
    const keys = ["../../../../etc/passwd", "/etc/shadow", "a\u0000b", "a\u0000c", "a_b", "C:\\Windows\\x", "~", "k".repeat(500), `${"k".repeat(500)}!`];
    for (const k of keys) await store.putArtifact(k, JSON.stringify({ k }));
    await store.putArtifact(keys[0] as string, "{}"); // replaced in place: still one file per key
    assertContained();
    const names = readdirSync(join(root, "artifacts"));
    expect(names).toHaveLength(keys.length);
    for (const n of names) expect(Buffer.byteLength(n, "utf8")).toBeLessThanOrEqual(MAX_SEGMENT_BYTES + ".json".length);
    for (const k of keys.slice(1)) expect(await store.getArtifact(k)).toBe(JSON.stringify({ k }));
    expect(await store.getArtifact(keys[0] as string)).toBe("{}");
  });

  it("sanitises one segment: safe names kept, the rest replaced, cut by bytes and made unique", () => {
    expect(safeSegment("淮安市人民政府")).toBe("淮安市人民政府");
    expect(safeSegment("0.1.0")).toBe("0.1.0");
    for (const s of ["..", ".", "", "a/b", "a\\b", "/abs", "a\u0000b", "x\ny"]) {
      const out = safeSegment(s);
      expect(out).not.toMatch(/[/\\\p{Cc}]/u);
      expect(out.startsWith(".")).toBe(false);
      expect(out).toMatch(/~[0-9a-f]{12}$/);
    }
    const long = safeSegment("局".repeat(500));
    expect(Buffer.byteLength(long, "utf8")).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
    expect(long).not.toBe(safeSegment(`${"局".repeat(499)}处`));
    expect(safeSegment("a/b")).not.toBe(safeSegment("a\\b"));
    expect(safeSegment("a/b")).toBe(safeSegment("a/b"));
  });
});

describe("FileStore rule R6 (cross-year)", () => {
  const AG = "荆州市荆州区人民政府办公室";
  const forward2021 = row7({ naturalPerson: 3, total: 3 });

  it("leaves out reports without an agency or a year", async () => {
    await store.putResult(envelope(yearReport(AG, 2021, { carriedForward: forward2021 }), "lo-2021"), null);
    const noYear = envelope({ ...yearReport(AG, 2022), year: null }, "lo-noyear");
    expect((await store.putResult(noYear, null)).crossYear).toEqual([]);
    expect(walk(join(root, "reports", "unknown-year"))).toHaveLength(1);
    const noAgency = envelope({ ...yearReport(AG, 2022), agency: null, region: null, agencyKey: null }, "lo-noagency");
    expect((await store.putResult(noAgency, null)).crossYear).toEqual([]);
    expect(walk(join(root, "reports", "2022", "unknown-agency"))).toHaveLength(1);
  });
});

describeStoreContract("FileStore", {
  store: () => store,
  another: (options) => new FileStore(root, options),
  source,
});

describe("cross-year helpers", () => {
  it("compares versions numerically, pre-releases below their release", () => {
    const sorted = ["0.10.0", "0.2.0", "1.0.0-rc.1", "1.0.0", "0.9.9", "1.0.0-beta", "1.0.0-rc.2"].sort(compareVersions);
    expect(sorted).toEqual(["0.2.0", "0.9.9", "0.10.0", "1.0.0-beta", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0"]);
  });

  it("picks the newest version, then the latest stored", () => {
    const c = (s: string, v: string, t: string) => ({ sha256: s, pipelineVersion: v, storedAt: t });
    expect(pickNeighbour([])).toBeNull();
    expect(pickNeighbour([c("a", "0.10.0", "2024-01-01T00:00:00Z"), c("b", "0.9.0", "2025-01-01T00:00:00Z")])?.sha256).toBe("a");
    expect(pickNeighbour([c("a", "0.1.0", "2024-01-01T00:00:00Z"), c("b", "0.1.0", "2025-01-01T00:00:00Z")])?.sha256).toBe("b");
  });

  it("matches agencies by agencyKey; results stored before it existed by the name after NFKC and whitespace removal", () => {
    expect(storedKey({ agency: " 上海市ＡＢＣ　委员会\n" })).toBe("上海市ABC委员会");
    expect(storedKey({ agency: "淮安市洪泽区人民政府", agencyKey: "320813/人民政府" })).toBe("320813/人民政府");
    expect(storedKey({ agency: " ", agencyKey: null })).toBeNull();
    expect(storedKey({ agency: null, agencyKey: null })).toBeNull();
    const aliases = AgencyAliases.fromJson({ 洪泽县人民政府: "淮安市洪泽区人民政府" });
    expect(comparisonKey({ agency: "洪泽县 人民政府" }, aliases)).toBe("320813/人民政府");
    expect(comparisonKey({ agency: "洪泽县人民政府", agencyKey: "洪泽县人民政府" }, aliases)).toBe("320813/人民政府");
    expect(comparisonKey({ agency: "淮安市人民政府", agencyKey: "320800/人民政府" }, aliases)).toBe("320800/人民政府");
  });

  it("reports each disagreeing column of the seven", () => {
    const prev = envelope(yearReport("X", 2021, { carriedForward: row7({ naturalPerson: 1, commercialEnterprise: 2, researchInstitution: 3, socialWelfareOrganization: 4, legalServiceAgency: 5, other: 6, total: 21 }) }), "p");
    const cur = envelope(yearReport("X", 2022, { carriedOver: row7({}) }), "c");
    const findings = r6Findings(prev, cur);
    expect(findings.map((f) => f.path)).toEqual(APPLICANT_COLUMNS.map((c) => `applications.carriedOver.${c.key}`));
    expect(findings.map((f) => f.message.split(" in column ")[1])).toEqual(APPLICANT_COLUMNS.map((c) => c.label));
  });
});

describe("openStore", () => {
  it("opens a FileStore for no URL, a path or a file: URL", async () => {
    const def = openStore();
    expect(def).toBeInstanceOf(FileStore);
    expect((def as FileStore).root).toBe(resolve("./data/out"));
    expect((openStore("") as FileStore).root).toBe(resolve("./data/out"));
    expect((openStore(root) as FileStore).root).toBe(root);
    expect((openStore("./some/rel") as FileStore).root).toBe(resolve("./some/rel"));
    expect((openStore(`file://${root}`) as FileStore).root).toBe(root);
    expect((openStore("file:rel/out") as FileStore).root).toBe(resolve("rel/out"));
  });

  it("opens a PgStore for postgres:// and postgresql://, and refuses other schemes", async () => {
    for (const url of ["postgres://127.0.0.1:5432/x", "postgresql://127.0.0.1:5432/x"]) {
      const s = openStore(url);
      expect(s).toBeInstanceOf(PgStore);
      await s.close(); // never connected: closing just ends the idle pool
    }
    expect(() => openStore("s3://bucket/out")).toThrow(/unsupported store URL scheme "s3:"/);
    expect(() => openStore("mysql://localhost/db")).toThrow(/unsupported/);
  });
});
