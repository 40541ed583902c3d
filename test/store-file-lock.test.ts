/**
 * The file store's results lock (`.results.lock`), which serialises putResult across
 * processes: two writers storing an agency's two years at once both get R6 right, a lock held
 * by a live process is waited for, and one left by a dead process is taken over.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStore } from "../src/store/index.js";
import { envelope, row7, yearReport } from "./support/envelopes.js";

const fresh = async () => {
  const root = mkdtempSync(join(tmpdir(), "nianbao-lock-"));
  const store = new FileStore(root);
  await store.init();
  return { root, store };
};

describe("FileStore results lock", () => {
  it("gives R6 against the other year however two writers interleave", async () => {
    for (let round = 0; round < 15; round++) {
      const { root, store: a } = await fresh();
      // A second instance has its own in-process queue, as a second worker process would.
      const b = new FileStore(root);
      await b.init();
      const y2021 = envelope(yearReport("某县人民政府", 2021, { carriedForward: row7({ naturalPerson: 2, total: 2 }) }), `a${round}`);
      const y2022 = envelope(yearReport("某县人民政府", 2022, { carriedOver: row7({ naturalPerson: 5, total: 5 }) }), `b${round}`);
      await Promise.all([a.putResult(y2021, null), b.putResult(y2022, null)]);
      const stored = await a.getResult(y2022.source.sha256);
      expect(stored?.crossYear.filter((f) => f.expected !== undefined).map((f) => [f.path, f.expected, f.actual])).toEqual([
        ["applications.carriedOver.naturalPerson", 2, 5],
        ["applications.carriedOver.total", 2, 5],
      ]);
      expect(existsSync(join(root, ".results.lock"))).toBe(false);
    }
  });

  it("waits for a lock a live process holds, and takes over one a dead process left", async () => {
    const { root, store } = await fresh();
    const lock = join(root, ".results.lock");
    writeFileSync(lock, `${hostname()} ${process.pid}\n`);
    let done = false;
    const put = store.putResult(envelope(yearReport("某县人民政府", 2021), "held"), null).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    rmSync(lock);
    await put;

    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    writeFileSync(lock, `${hostname()} ${dead}\n`);
    await store.putResult(envelope(yearReport("某县人民政府", 2022), "stale"), null);
    expect(existsSync(lock)).toBe(false);
  });
});
