/**
 * The tidy CSV: its columns (the first eight as always, then status, sha256, agencyKey), rows
 * for legacy reports, and `nianbao export` (the whole store, newest result of each document)
 * read back here and, when Debian's pandas is installed, by pandas.read_csv.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CSV_HEADER, csvRows } from "../src/csv.js";
import type { Envelope } from "../src/model.js";
import { PIPELINE_VERSION, processBytes } from "../src/process.js";
import { FileStore } from "../src/store/index.js";
import { cli } from "./support/cli.js";
import { envelope, yearReport } from "./support/envelopes.js";

const LEGACY = new URL("./fixtures/legacy/qinghequ-fagaiju-2016.txt", import.meta.url).pathname;

/** Parses CSV as csvLine writes it (quotes doubled inside quoted fields). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") endField();
    else if (c === "\n") {
      endField();
      rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== "" || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}

/** A Python with pandas: the one on PATH, else Debian's (python3-pandas), else none. */
const python = ["python3", "/usr/bin/python3"].find((p) => spawnSync(p, ["-c", "import pandas"]).status === 0) ?? null;

describe("csvRows", () => {
  let legacy: Envelope;
  beforeAll(async () => {
    legacy = await processBytes(readFileSync(LEGACY), { fileName: "qinghequ-fagaiju-2016.txt" });
  });

  it("gives a legacy report its statistics and figures, with status, sha256 and agencyKey", () => {
    expect(legacy.report.format).toBe("legacy");
    if (legacy.report.format !== "legacy") return;
    const { statistics, figures } = legacy.report.legacy;
    const rows = csvRows(legacy, "x.txt").map((l) => parseCsv(l)[0] as string[]);
    expect(rows).toHaveLength(statistics.reduce((a, s) => a + s.values.length + 1, 0) + 2 * figures.length);
    for (const r of rows) {
      expect(r).toHaveLength(CSV_HEADER.length);
      expect(r.slice(8)).toEqual([legacy.validation.status, legacy.source.sha256, legacy.report.agencyKey ?? ""]);
    }
    expect(rows).toContainEqual(["x.txt", legacy.report.agency, "2016", "legacy", "legacyStatistics", "(一)收到申请数", "value1", "12", ...rows[0]!.slice(8)]);
    expect(rows).toContainEqual(["x.txt", legacy.report.agency, "2016", "legacy", "legacyStatistics", "(一)收到申请数", "unit", "件", ...rows[0]!.slice(8)]);
    expect(rows).toContainEqual(["x.txt", legacy.report.agency, "2016", "legacy", "legacyFigures", "行政复议", "value", "1", ...rows[0]!.slice(8)]);
  });

  it("gives a document with nothing to tabulate one row: its identity and status", () => {
    const bare = structuredClone(legacy);
    if (bare.report.format !== "legacy") throw new Error("legacy expected");
    bare.report.legacy = { statistics: [], figures: [] };
    expect(csvRows(bare, "y.txt")).toEqual([`y.txt,${bare.report.agency},2016,legacy,,,,,${bare.validation.status},${bare.source.sha256},${bare.report.agencyKey ?? ""}`]);
  });
});

describe("nianbao export", () => {
  const root = mkdtempSync(join(tmpdir(), "nianbao-export-"));
  const storeUrl = join(root, "out");
  const csvFile = join(root, "export.csv");
  let expected: Map<string, number>;
  let stdout = "";

  beforeAll(async () => {
    const store = new FileStore(storeUrl);
    await store.init();
    const src = (key: string) => ({ uri: `file://${root}/inbox/${key}`, key, size: 1 });
    const a = envelope(yearReport("荆州市荆州区人民政府办公室", 2022), "a", PIPELINE_VERSION);
    // the same document at an older version: only the newest result is exported
    const aOld = envelope(yearReport("荆州市荆州区人民政府办公室", 2022), "a", "0.0.1");
    const b = envelope(yearReport("荆州市沙市区人民政府办公室", 2021), "b", PIPELINE_VERSION);
    const legacy = await processBytes(readFileSync(LEGACY), { fileName: "qinghequ-fagaiju-2016.txt" });
    await store.putResult(aOld, src("2022/a,old.pdf"));
    await store.putResult(a, src("2022/a.pdf"));
    await store.putResult(b, src("2021/b.pdf"));
    await store.putResult(legacy, src("2016/qinghequ.txt"));
    await store.close();
    expected = new Map([a, b, legacy].map((e) => [e.source.sha256, csvRows(e, "f").length]));

    const r = await cli("export", ["export"], { STORE_URL: storeUrl });
    expect(r.code, r.stderr).toBe(0);
    stdout = r.stdout;
    writeFileSync(csvFile, stdout);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("streams the newest result of each document as the tidy CSV", () => {
    const rows = parseCsv(stdout);
    expect(rows[0]).toEqual([...CSV_HEADER]);
    const body = rows.slice(1);
    expect(body.every((r) => r.length === CSV_HEADER.length)).toBe(true);
    const bySha = new Map<string, number>();
    for (const r of body) bySha.set(r[9] as string, (bySha.get(r[9] as string) ?? 0) + 1);
    expect(bySha).toEqual(expected);
    // the file column is the source key the result was stored from
    expect(new Set(body.map((r) => r[0]))).toEqual(new Set(["2022/a.pdf", "2021/b.pdf", "2016/qinghequ.txt"]));
    expect(body.filter((r) => r[3] === "legacy").length).toBe(expected.get(body.find((r) => r[3] === "legacy")![9] as string));
  });

  it.skipIf(python === null)("loads in pandas with every row and column", () => {
    const script = [
      "import json, sys, pandas as pd",
      "df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)",
      "print(json.dumps({'columns': list(df.columns), 'rows': len(df), 'bySha': df.groupby('sha256').size().to_dict(), 'formats': sorted(df['format'].unique().tolist())}))",
    ].join("\n");
    const r = spawnSync(python as string, ["-c", script, csvFile], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { columns: string[]; rows: number; bySha: Record<string, number>; formats: string[] };
    expect(out.columns).toEqual([...CSV_HEADER]);
    expect(out.rows).toBe([...expected.values()].reduce((a, b) => a + b, 0));
    expect(out.bySha).toEqual(Object.fromEntries(expected));
    expect(out.formats).toEqual(["2021", "legacy"]);
  });
});
