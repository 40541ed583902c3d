/**
 * The parser pool's time limit for a `build` task (the extract stage: parse, then reconstruct
 * and validate, in one thread): each half has the whole limit, as the two stages had when they
 * ran as separate tasks, and a timeout says which half ran over. A stand-in thread script takes
 * a set time for each half, so no real file is needed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ExtractPool } from "../workers/extract-pool.js";

const dir = mkdtempSync(join(tmpdir(), "nianbao-pool-"));
const script = join(dir, "thread.mjs");
// The file name says how long each half takes: "<parse ms>-<build ms>"; "echo" answers with the bytes it got.
writeFileSync(
  script,
  `import { parentPort } from "node:worker_threads";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
parentPort.on("message", async (task) => {
  if (task.fileName === "echo") {
    const message = Array.from(task.bytes).join(",");
    parentPort.postMessage({ id: task.id, ok: true, result: { documentJson: "{}", summary: { pages: null, mediaType: "text/plain", blocks: 0 }, outcome: { ok: false, code: "not-a-report", message } } });
    return;
  }
  const [parse, build] = task.fileName.split("-").map(Number);
  await sleep(parse);
  parentPort.postMessage({ id: task.id, parsed: true });
  await sleep(build);
  parentPort.postMessage({ id: task.id, ok: true, result: { documentJson: "{}", summary: { pages: null, mediaType: "text/plain", blocks: 0 }, outcome: { ok: false, code: "not-a-report", message: "stand-in" } } });
});
`,
);
const limits = { maxBytes: 1, maxPages: 1, maxExpandedBytes: 1 };

describe("a build task's time limit", () => {
  const pool = new ExtractPool({ size: 1, memoryMb: 64, script: pathToFileURL(script) });
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts again once the file is parsed: two halves of 0.6× the limit each finish", async () => {
    const built = await pool.build({ bytes: new Uint8Array(1), fileName: "600-600", ...limits }, 1000);
    expect(built.outcome).toEqual({ ok: false, code: "not-a-report", message: "stand-in" });
  });

  it("names the half that ran over", async () => {
    await expect(pool.build({ bytes: new Uint8Array(1), fileName: "1600-0", ...limits }, 1000)).rejects.toThrow(/^parsing took longer than 1000 ms$/);
    await expect(pool.build({ bytes: new Uint8Array(1), fileName: "100-1600", ...limits }, 1000)).rejects.toThrow(/^reconstructing and validating took longer than 1000 ms$/);
  });
});

describe("the file's bytes", () => {
  const pool = new ExtractPool({ size: 1, memoryMb: 64, script: pathToFileURL(script) });
  afterAll(() => pool.close());
  const echoed = async (bytes: Uint8Array) => {
    const built = await pool.build({ bytes, fileName: "echo", ...limits }, 5000);
    return built.outcome.ok ? null : built.outcome.message;
  };

  it("move to the thread when they fill a buffer of their own (as a file read gives them): no copy, the caller's are detached", async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(await echoed(bytes)).toBe("1,2,3");
    expect(bytes.byteLength).toBe(0);
  });

  it("are copied when they are a view of a larger buffer, which stays as it was", async () => {
    const whole = new Uint8Array([9, 1, 2, 3, 9]);
    const view = whole.subarray(1, 4);
    expect(await echoed(view)).toBe("1,2,3");
    expect(Array.from(whole)).toEqual([9, 1, 2, 3, 9]);
    expect(view.byteLength).toBe(3);
  });
});
