/**
 * The overview counts a report once: a PDF and a text copy of one report (same agencyKey and
 * year) are two documents but one report. The chart sums the copy that stands, which is the
 * store's R6 choice (pickNeighbour: newest version, then stored last), and the page lists the
 * copies under it and says which one stands.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResultsIndex, reportGroups, type Snapshot } from "../dashboard/results.js";
import { overviewPage } from "../dashboard/views/overview.js";
import type { Envelope } from "../src/model.js";
import { PIPELINE_VERSION } from "../src/process.js";
import { pickNeighbour } from "../src/store/cross-year.js";
import { FileStore } from "../src/store/index.js";
import { envelope, sha, yearReport } from "./support/envelopes.js";

const AGENCY = "荆州市荆州区人民政府办公室";

/** The seed report with 一、本年新收 (总计) set to n. */
function withNewReceived(e: Envelope, n: number): Envelope {
  const apps = e.report.applications as Record<string, Record<string, number | null>>;
  apps["newReceived"] = { ...apps["newReceived"], total: n };
  return e;
}

describe("overview: one report counted once", () => {
  const root = mkdtempSync(join(tmpdir(), "nianbao-copies-"));
  const store = new FileStore(join(root, "out"));
  let snap: Snapshot;
  let page: string;

  beforeAll(async () => {
    await store.init();
    const src = (key: string) => ({ uri: `file://${root}/inbox/${key}`, key, size: 1 });
    // the same report twice: the PDF first, then its text copy (stored last: it stands)
    await store.putResult(withNewReceived(envelope(yearReport(AGENCY, 2022), "pdf-copy", PIPELINE_VERSION), 40), src("2022/report.pdf"));
    await new Promise((r) => setTimeout(r, 20));
    await store.putResult(withNewReceived(envelope(yearReport(AGENCY, 2022), "txt-copy", PIPELINE_VERSION), 41), src("2022/report.txt"));
    // another agency's report of the same year
    await store.putResult(withNewReceived(envelope(yearReport("荆州市沙市区人民政府办公室", 2022), "other", PIPELINE_VERSION), 100), src("2022/other.pdf"));
    snap = await new ResultsIndex(store, 0).snapshot();
    page = overviewPage(snap, false);
  });
  afterAll(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("groups the copies by agencyKey and year, the standing copy chosen as R6 chooses", async () => {
    const groups = reportGroups(snap.reports);
    expect(snap.reports).toHaveLength(3);
    expect(groups).toHaveLength(2);
    const two = groups.find((g) => g.others.length === 1)!;
    expect(two.standing.sha256).toBe(sha("txt-copy"));
    expect(two.others.map((o) => o.sha256)).toEqual([sha("pdf-copy")]);
    // the same choice as the store's own neighbour pick
    const stored = await Promise.all([sha("pdf-copy"), sha("txt-copy")].map(async (s) => ({ ...(await store.getResult(s))!, sha256: s, pipelineVersion: PIPELINE_VERSION })));
    expect(pickNeighbour(stored)?.sha256).toBe(two.standing.sha256);
  });

  it("sums each report once in Applications per year", () => {
    // 41 (the standing copy) + 100, not 40 + 41 + 100
    expect(page).toMatch(/Applications received per year[\s\S]*?>141</);
    expect(page).not.toContain(">181<");
    expect(page).toContain("2 reports");
  });

  it("lists the copies under the report and says which stands", () => {
    expect(page).toContain("3 documents in the store, 0 failed. The stored ones are 2 reports (1 document is a copy of another");
    const row = /<tr data-agency-key="([^"]+)" data-year="2022">([\s\S]*?)<\/tr>/.exec(page);
    expect(row).not.toBeNull();
    expect(row![2]).toMatch(new RegExp(`class="stands" data-sha256="${sha("txt-copy")}"[\\s\\S]*2022/report\\.txt`));
    expect(row![2]).toMatch(new RegExp(`class="others"><div data-sha256="${sha("pdf-copy")}"[\\s\\S]*2022/report\\.pdf`));
    expect(page).toContain("the newest pipeline version, then the one stored last");
  });
});
