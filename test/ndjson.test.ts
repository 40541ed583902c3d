/**
 * The file store's append-only NDJSON logs (src/store/file/ndjson.ts), against real files:
 * reading a log backwards, a chunk at a time, gives what reading it whole gives, newest first.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppendLog } from "../src/store/file/ndjson.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "nianbao-ndjson-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function backward<T>(log: AppendLog<T>, chunkBytes?: number): Promise<T[]> {
  const out: T[] = [];
  for await (const r of log.readBackward(chunkBytes)) out.push(r);
  return out;
}

describe("AppendLog.readBackward", () => {
  it("gives the records newest first, whatever the chunk size: lines across chunks, multi-byte text, blank and torn lines", async () => {
    const file = join(root, "log.ndjson");
    const records = Array.from({ length: 40 }, (_, i) => ({ n: i, text: i % 3 === 0 ? "政府信息公开工作年度报告".repeat(i % 5) : "x".repeat(i) }));
    // A blank line and a line torn by a crash in the middle; a last line still being written.
    const lines = records.map((r) => JSON.stringify(r));
    lines.splice(10, 0, "", '{"n": 99, "tex');
    writeFileSync(file, `${lines.join("\n")}\n{"n": 100, "te`);
    const log = new AppendLog<{ n: number }>(file);
    const whole = await log.readAll();
    expect(whole.map((r) => r.n)).toEqual(records.map((r) => r.n));
    for (const chunk of [1, 2, 7, 64, 1000, 1 << 20]) {
      expect(await backward(log, chunk), `chunks of ${chunk} bytes`).toEqual([...whole].reverse());
    }
  });

  it("reads only the tail when the caller stops early", async () => {
    const file = join(root, "big.ndjson");
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ n: i, pad: "p".repeat(100) })).join("\n") + "\n");
    const log = new AppendLog<{ n: number }>(file);
    const newest: number[] = [];
    for await (const r of log.readBackward(4096)) {
      newest.push(r.n);
      if (newest.length === 3) break;
    }
    expect(newest).toEqual([19_999, 19_998, 19_997]);
  });

  it("gives nothing for a missing or empty file, and the one record of a file without a final newline", async () => {
    expect(await backward(new AppendLog(join(root, "missing.ndjson")))).toEqual([]);
    writeFileSync(join(root, "empty.ndjson"), "");
    expect(await backward(new AppendLog(join(root, "empty.ndjson")))).toEqual([]);
    writeFileSync(join(root, "one.ndjson"), '{"n":1}');
    expect(await backward(new AppendLog(join(root, "one.ndjson")), 3)).toEqual([{ n: 1 }]);
  });
});
