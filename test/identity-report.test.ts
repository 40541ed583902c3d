/**
 * Agency identity across years, end to end: the three real reports (洪泽区人民政府 2023,
 * 淮安市洪泽区人民政府 2024, 淮安市人民政府 2024) through the real extractors into a FileStore
 * and a PgStore, then `nianbao report --year 2024` (the compiled CLI) pairs 洪泽's two years.
 * An alias file pairs a renamed body's years (R6 in the store and the report).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgencyAliases } from "../src/identity/aliases.js";
import type { Envelope } from "../src/model.js";
import { processBytes } from "../src/process.js";
import type { CrossYearReport } from "../src/store/cross-year-report.js";
import { openStore } from "../src/store/index.js";
import { corpusFile } from "./support/corpus.js";
import { envelope, row7, yearReport } from "./support/envelopes.js";
import { CLI, freshDatabase } from "./support/pipeline.js";

const dir = mkdtempSync(join(tmpdir(), "nianbao-identity-"));
let reports: Envelope[] = [];
let pgDb: { url: string; drop: () => Promise<void> } | null = null;
const dropLater: (() => Promise<void>)[] = [];

beforeAll(async () => {
  reports = [];
  for (const name of ["hongze_2023.pdf", "hongze_2024.pdf", "huaian_2024.pdf"])
    reports.push(await processBytes(readFileSync(corpusFile(name)), { fileName: name }));
  pgDb = await freshDatabase("nianbao_identity");
});
afterAll(async () => {
  await pgDb?.drop();
  for (const drop of dropLater) await drop();
});

function report(storeUrl: string, year: number, format: "json" | "text", env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, "report", "--year", String(year), "--format", format], {
    encoding: "utf8",
    env: { ...process.env, STORE_URL: storeUrl, AGENCY_ALIASES: "", ...env },
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

async function fill(storeUrl: string, envelopes: Envelope[], aliases = AgencyAliases.none): Promise<void> {
  const store = openStore(storeUrl, { aliases });
  await store.init();
  try {
    for (const e of envelopes) await store.putResult(e, null);
  } finally {
    await store.close();
  }
}

/** The store of each kind that a test fills: a folder, or the test file's database. */
const storeUrl = (kind: string, folder: string) => (kind === "FileStore" ? join(dir, folder) : pgDb!.url);

describe("nianbao report --year 2024 over the three real reports", () => {
  it.each(["FileStore", "PgStore"])("compares 洪泽 across 2023 and 2024 (%s)", async (kind) => {
    const url = storeUrl(kind, "file-store");
    await fill(url, reports);
    const json = JSON.parse(report(url, 2024, "json")) as CrossYearReport;
    expect(json.agenciesCompared).toBe(1);
    expect(json.missing).toEqual([]);
    // The two years agree (R6 silent): 2024 carries over what 2023 carried forward.
    expect(json.disagreements).toEqual([]);
    expect(json.unchecked).toEqual([]);
    const apps = (e: Envelope) => e.report.applications as Record<string, unknown>;
    expect(apps(reports[1]!)["carriedOver"]).toEqual(apps(reports[0]!)["carriedForward"]);
    const text = report(url, 2024, "text");
    expect(text).toContain("cross-year checks of 2024 against 2023: 1 agency with both years compared");
    expect(text).toContain("missing 2024 reports (a 2023 report is stored): 0 agencies");

    // 2023 has only 洪泽 (2022 none): nothing compared, nothing missing; 2025: 洪泽 and 淮安 missing.
    expect((JSON.parse(report(url, 2023, "json")) as CrossYearReport).agenciesCompared).toBe(0);
    const y2025 = JSON.parse(report(url, 2025, "json")) as CrossYearReport;
    expect(y2025.missing.map((m) => [m.agencyKey, m.agency])).toEqual([
      ["320800/人民政府", "淮安市人民政府"],
      ["320813/人民政府", "淮安市洪泽区人民政府"],
    ]);
  });
});

describe("aliases pair a renamed body's years", () => {
  // The body before 洪泽县 became 淮安市洪泽区 (2016): no such county in today's table, so its
  // key is its name, and only an alias makes it the same body as 320813/人民政府.
  const old2022 = () => envelope(yearReport("洪泽县人民政府", 2022, { carriedForward: row7({ naturalPerson: 999, total: 999 }) }), "identity-old-2022");

  it.each(["FileStore", "PgStore"])("in R6 and in nianbao report (%s)", async (kind) => {
    const aliasFile = join(dir, "aliases.json");
    writeFileSync(aliasFile, JSON.stringify({ 洪泽县人民政府: "320813/人民政府" }));
    const hongze2023 = reports[0]!;
    expect(old2022().report.agencyKey).toBe("洪泽县人民政府");

    // Without aliases: two bodies, the old one missing in 2023, no R6.
    let plain = join(dir, "alias-plain");
    if (kind === "PgStore") {
      const db = await freshDatabase("nianbao_alias_plain");
      dropLater.push(db.drop);
      plain = db.url;
    }
    await fill(plain, [old2022(), hongze2023]);
    const before = JSON.parse(report(plain, 2023, "json")) as CrossYearReport;
    expect(before.agenciesCompared).toBe(0);
    expect(before.missing.map((m) => m.agency)).toEqual(["洪泽县人民政府"]);

    // With the alias file, for the store and for the command.
    const url = storeUrl(kind, "alias-store");
    await fill(url, [old2022(), hongze2023], AgencyAliases.load(aliasFile));
    const store = openStore(url);
    await store.init();
    const stored = await store.getResult(hongze2023.source.sha256);
    await store.close();
    expect(stored?.crossYear.filter((f) => f.rule === "R6" && f.path === "applications.carriedOver.total")).toEqual([
      expect.objectContaining({ expected: 999, message: expect.stringContaining("2022 carriedForward (999)") }),
    ]);
    const after = JSON.parse(report(url, 2023, "json", { AGENCY_ALIASES: aliasFile })) as CrossYearReport;
    expect(after.agenciesCompared).toBe(1);
    expect(after.missing).toEqual([]);
    expect(after.disagreements.map((d) => [d.agencyKey, d.names])).toEqual([["320813/人民政府", ["洪泽区人民政府", "洪泽县人民政府"]]]);
    expect(report(url, 2023, "text", { AGENCY_ALIASES: aliasFile })).toContain("  洪泽区人民政府 (also printed 洪泽县人民政府)  sha256-");
    // The same store read without the alias file: the bodies are apart again.
    expect((JSON.parse(report(url, 2023, "json")) as CrossYearReport).missing.map((m) => m.agency)).toEqual(["洪泽县人民政府"]);
  });

  it("a bad alias file stops the command with its reason", () => {
    const bad = join(dir, "bad-aliases.json");
    writeFileSync(bad, JSON.stringify({ 洪泽县人民政府: ["320813/人民政府"] }));
    const r = spawnSync(process.execPath, [CLI, "report", "--year", "2024"], {
      encoding: "utf8",
      env: { ...process.env, STORE_URL: join(dir, "unused"), AGENCY_ALIASES: bad },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/AGENCY_ALIASES=.*bad-aliases\.json.*not an alias file/s);
  });
});
