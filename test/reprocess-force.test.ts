/**
 * `reprocess --force`: the documents already stored at this pipeline version are run again
 * (e.g. `--all --from extract --force` after a parser fix that did not bump the version).
 * Checked as a dry run over a file store: what would be enqueued, with and without --force.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseReprocessArgs } from "../cli/reprocess.js";
import { EMPTY_SELECTION, runIdFor } from "../src/backfill/selection.js";
import { enqueueBackfill, type PlannedJob } from "../queues/backfill.js";
import { PIPELINE_VERSION } from "../src/process.js";
import { FileStore } from "../src/store/index.js";
import { envelope, sha, yearReport } from "./support/envelopes.js";

describe("reprocess --force", () => {
  const root = mkdtempSync(join(tmpdir(), "nianbao-force-"));
  const store = new FileStore(join(root, "out"));
  const source = (seed: string) => ({ uri: `file://${root}/inbox/${seed}.pdf`, key: `${seed}.pdf`, size: 1 });

  beforeAll(async () => {
    await store.init();
    await store.putResult(envelope(yearReport("荆州市荆州区人民政府办公室", 2021), "current", PIPELINE_VERSION), source("current"));
    await store.putResult(envelope(yearReport("荆州市沙市区人民政府办公室", 2021), "old", "0.0.1"), source("old"));
  });
  afterAll(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const dryRun = async (force: boolean) => {
    const planned: PlannedJob[] = [];
    const selection = { ...EMPTY_SELECTION, all: true };
    const tally = await enqueueBackfill({
      store,
      selection,
      from: "extract",
      pipelineVersion: PIPELINE_VERSION,
      runId: runIdFor(PIPELINE_VERSION, selection, "extract", force),
      priority: 10,
      chunkSize: 100,
      retryFailed: false,
      force,
      queues: null,
      run: null,
      onPlanned: (j) => planned.push(j),
    });
    return { tally, planned: planned.map((j) => `${j.stage} ${j.summary.sha256}`).sort() };
  };

  it("without it, skips what is stored at this version", async () => {
    const { tally, planned } = await dryRun(false);
    expect(tally.current).toBe(1);
    expect(planned).toEqual([`extract ${sha("old")}`]);
  });

  it("with it, runs those again too, from extract", async () => {
    const { tally, planned } = await dryRun(true);
    expect(tally.current).toBe(0);
    expect(planned).toEqual([`extract ${sha("current")}`, `extract ${sha("old")}`].sort());
  });

  it("is an option of the command, and a run of its own", () => {
    const parsed = parseReprocessArgs(["--all", "--from", "extract", "--force"]);
    expect(parsed !== "help" && parsed.force).toBe(true);
    const sel = { ...EMPTY_SELECTION, all: true };
    expect(runIdFor(PIPELINE_VERSION, sel, "extract", true)).not.toBe(runIdFor(PIPELINE_VERSION, sel, "extract"));
    expect(runIdFor(PIPELINE_VERSION, sel, "extract", false)).toBe(runIdFor(PIPELINE_VERSION, sel, "extract"));
  });
});
