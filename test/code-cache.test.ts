/**
 * src/extract/pdf/code-cache.ts: an ES module's text run as a script through V8's code cache,
 * and pdf.js's worker code loaded that way by `nianbao extract`.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { asScript, codeCacheDir, runCached } from "../src/extract/pdf/code-cache.js";
import { pdfjsBuildFile } from "../src/extract/pdf/pdfjs-dist.js";
import { applyPatches, WORKER_PATCHES } from "../src/extract/pdf/worker-patches.js";
import { corpusFile } from "./support/corpus.js";
import { CLI } from "./support/pipeline.js";
import { bundleState, inputsFile } from "../workers/bundle-check.js";
import { ExtractPool } from "../workers/extract-pool.js";

const MODULE = [
  "const seen = [];",
  "function where() { return import.meta.url; }",
  "class Counter { #n = 0; next() { return ++this.#n; } }",
  "function strict() { return this; }",
  "export { seen, where as whereAmI, Counter, strict };",
  "//# sourceMappingURL=module.mjs.map",
  "",
].join("\n");

/**
 * A new script origin each time: V8 keeps what one isolate compiled, by source and origin, and
 * would answer from that instead of reading the cache file.
 */
let runs = 0;
const origin = () => `file:///m-${++runs}.mjs`;
const scratch = mkdtempSync(path.join(tmpdir(), "nianbao-test-cache-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
/** A cache folder not made yet (runCached makes it). */
const freshDir = () => path.join(scratch, `cache-${++dirs}`);
const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".v8cache"));

describe("asScript", () => {
  it("turns a bundle with one trailing export list into a function returning its exports", () => {
    const script = asScript(MODULE);
    expect(script).not.toBeNull();
    const m = runCached(script!, "m", "file:///somewhere/module.mjs", null)!;
    expect(Object.keys(m.exports).sort()).toEqual(["Counter", "seen", "strict", "whereAmI"]);
    expect((m.exports.whereAmI as () => string)()).toBe("file:///somewhere/module.mjs");
    const counter = new (m.exports.Counter as new () => { next(): number })();
    expect([counter.next(), counter.next()]).toEqual([1, 2]);
    // Strict mode, as in a module: a plain call has no `this`.
    const strict = m.exports.strict as () => unknown;
    expect(strict()).toBeUndefined();
    expect(script).not.toContain("sourceMappingURL");
  });

  it("refuses any other shape of module", () => {
    expect(asScript(`import x from "y";\nconst a = x;\nexport { a };\n`)).toBeNull();
    expect(asScript(`export const a = 1;\n`)).toBeNull();
    expect(asScript(`const a = 1;\nexport { a };\nconst b = 2;\n`)).toBeNull();
    expect(asScript(`const a = 1;\nexport { a as default, a.b };\n`)).toBeNull();
    expect(asScript(`export default 1;\nconst a = 1;\nexport { a };\n`)).toBeNull();
  });

  it("a module with top-level await does not run as a script: runCached gives null, and nothing is cached", () => {
    const dir = freshDir();
    const script = asScript(`const a = await Promise.resolve(1);\nexport { a };\n`);
    expect(script).not.toBeNull();
    expect(runCached(script!, "tla", "file:///x.mjs", dir)).toBeNull();
  });

  it("a dynamic import() in the script fails the same way, compiled or from the cache, with no warning", async () => {
    const dir = freshDir();
    const script = asScript(`async function load() { return (await import("node:path")).sep; }\nexport { load };\n`)!;
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const first = runCached(script, "dyn", origin(), dir)!;
      await expect((first.exports.load as () => Promise<string>)()).rejects.toMatchObject({ code: "ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING" });
      first.save();
      const second = runCached(script, "dyn", origin(), dir)!;
      expect(second.fromCache).toBe(true);
      await expect((second.exports.load as () => Promise<string>)()).rejects.toMatchObject({ code: "ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING" });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it("pdf.js's worker code, patched, has that shape (else every thread would compile it again)", () => {
    const { source } = applyPatches(readFileSync(pdfjsBuildFile("pdf.worker.mjs"), "utf8"), WORKER_PATCHES);
    const m = runCached(asScript(source)!, "pdf.worker", pathToFileURL(pdfjsBuildFile("pdf.worker.mjs")).href, null);
    expect(typeof m?.exports.WorkerMessageHandler).toBe("function");
  });
});

describe("runCached", () => {
  it("writes the cache on save(), once, and the next run takes its code from it", () => {
    const dir = freshDir();
    const first = runCached(asScript(MODULE)!, "m", origin(), dir)!;
    expect(first.fromCache).toBe(false);
    expect(cacheFiles(dir)).toEqual([]);
    first.save();
    const [file] = cacheFiles(dir);
    expect(file).toMatch(/^m-[0-9a-f]{24}\.v8cache$/);
    expect(statSync(path.join(dir, file!)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const second = runCached(asScript(MODULE)!, "m", origin(), dir)!;
    expect(second.fromCache).toBe(true);
    expect((second.exports.whereAmI as () => string)()).toBe(`file:///m-${runs}.mjs`);
    const before = statSync(path.join(dir, file!)).mtimeMs;
    second.save();
    expect(statSync(path.join(dir, file!)).mtimeMs).toBe(before);
  });

  it("another source gets its own file (V8 compares only lengths)", () => {
    const dir = freshDir();
    runCached(asScript(MODULE)!, "m", origin(), dir)!.save();
    const same = MODULE.replace("const seen = [];", "const SEEN = [];").replace("export { seen,", "export { SEEN as seen,");
    const other = runCached(asScript(same)!, "m", origin(), dir)!;
    expect(other.fromCache).toBe(false);
    other.save();
    expect(cacheFiles(dir)).toHaveLength(2);
  });

  it("a damaged cache is refused by V8, the code still runs, and save() writes it again", () => {
    const dir = freshDir();
    runCached(asScript(MODULE)!, "m", origin(), dir)!.save();
    const file = path.join(dir, cacheFiles(dir)[0]!);
    writeFileSync(file, Buffer.alloc(statSync(file).size, 0x5a));
    const damaged = runCached(asScript(MODULE)!, "m", origin(), dir)!;
    expect(damaged.fromCache).toBe(false);
    expect((damaged.exports.whereAmI as () => string)()).toBe(`file:///m-${runs}.mjs`);
    damaged.save();
    expect(runCached(asScript(MODULE)!, "m", origin(), dir)!.fromCache).toBe(true);
  });

  it("a cache with one byte changed is not handed to V8 (it checks no bytes), and is written again", () => {
    const dir = freshDir();
    runCached(asScript(MODULE)!, "m", origin(), dir)!.save();
    const file = path.join(dir, cacheFiles(dir)[0]!);
    const bytes = readFileSync(file);
    const at = bytes.length >> 1;
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(file, bytes);
    const flipped = runCached(asScript(MODULE)!, "m", origin(), dir)!;
    expect(flipped.fromCache).toBe(false);
    flipped.save();
    expect(readFileSync(file).equals(bytes)).toBe(false);
    expect(runCached(asScript(MODULE)!, "m", origin(), dir)!.fromCache).toBe(true);
  });

  it("a folder others may write to is neither read nor written", () => {
    const dir = freshDir();
    runCached(asScript(MODULE)!, "m", origin(), dir)!.save();
    chmodSync(dir, 0o777);
    const open = runCached(asScript(MODULE)!, "m", origin(), dir)!;
    expect(open.fromCache).toBe(false);
    const file = path.join(dir, cacheFiles(dir)[0]!);
    writeFileSync(file, "not a cache");
    open.save();
    expect(readFileSync(file, "utf8")).toBe("not a cache");
  });

  it("keeps the folder to the 8 newest caches, and removes temporary files over a minute old", () => {
    const dir = freshDir();
    const source = (i: number) => MODULE.replace("const seen = [];", `const seen = [${i}];`);
    const written: string[] = [];
    for (let i = 0; i < 9; i++) {
      runCached(asScript(source(i))!, "m", origin(), dir)!.save();
      const file = cacheFiles(dir).find((f) => !written.includes(f))!;
      written.push(file);
      const t = Date.now() / 1000 - 100 + i;
      utimesSync(path.join(dir, file), t, t);
    }
    // The ninth write already made room: the oldest is gone.
    expect(cacheFiles(dir)).toHaveLength(8);
    expect(cacheFiles(dir)).not.toContain(written[0]);
    writeFileSync(path.join(dir, "stale.tmp"), "");
    utimesSync(path.join(dir, "stale.tmp"), Date.now() / 1000 - 120, Date.now() / 1000 - 120);
    writeFileSync(path.join(dir, "fresh.tmp"), "");
    runCached(asScript(source(9))!, "m", origin(), dir)!.save();
    const left = cacheFiles(dir);
    expect(left).toHaveLength(8);
    expect(left).not.toContain(written[0]);
    expect(left).not.toContain(written[1]);
    for (const kept of written.slice(2)) expect(left).toContain(kept);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual(["fresh.tmp"]);
  });

  it("NIANBAO_CODE_CACHE: a folder, or off", () => {
    expect(codeCacheDir({ NIANBAO_CODE_CACHE: "off" })).toBeNull();
    expect(codeCacheDir({ NIANBAO_CODE_CACHE: "0" })).toBeNull();
    expect(codeCacheDir({ NIANBAO_CODE_CACHE: "rel/dir" })).toBe(path.resolve("rel/dir"));
    expect(codeCacheDir({})).toBe(path.join(tmpdir(), `nianbao-code-cache-${process.getuid!()}`));
  });
});

describe("nianbao extract with the code cache", () => {
  it("writes pdf.js's cache on the first run; runs from it, and with it off, give the same output", () => {
    const dir = freshDir();
    const run = (cache: string) =>
      spawnSync(process.execPath, [CLI, "extract", corpusFile("s004.pdf")], {
        encoding: "utf8",
        env: { ...process.env, NIANBAO_CODE_CACHE: cache },
      });
    const first = run(dir);
    expect(first.status).toBe(0);
    expect(JSON.parse(first.stdout).report).toMatchObject({ format: "2019", year: 2020 });
    // The parser thread's bundle (workers/thread-entry.ts) and pdf.js's worker code.
    const files = cacheFiles(dir).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^extract-thread-[0-9a-f]{24}\.v8cache$/);
    expect(files[1]).toMatch(/^pdf\.worker-[\d.]+-[0-9a-f]{24}\.v8cache$/);
    const written = files.map((f) => statSync(path.join(dir, f)).mtimeMs);

    const second = run(dir);
    expect(second.stdout).toBe(first.stdout);
    expect(files.map((f) => statSync(path.join(dir, f)).mtimeMs)).toEqual(written);
    expect(run("off").stdout).toBe(first.stdout);
  });
});

describe("the bundled parser thread (scripts/bundle-thread.mjs, workers/thread-entry.ts)", () => {
  const dist = (p: string) => new URL(`../dist/${p}`, import.meta.url);
  const limits = { maxBytes: 100 * 2 ** 20, maxPages: 500, maxExpandedBytes: 200 * 2 ** 20 };
  // One of each format: its modules find their data files and packages from the bundle too
  // (the division table, word-extractor, the Traditional-character table, pdf.js).
  const files = ["s004.pdf", "s001.docx", "s020.doc", "s002.html", "jingzhouqu-2021.txt", "hongze_2023.pdf"];

  it("exists after the build, and gives what the thread of separate modules gives, file for file", async () => {
    expect(statSync(dist("workers/extract-thread.bundle.cjs")).size).toBeGreaterThan(2 ** 20);
    // Current, so the thread runs it (and not its modules, after a warning).
    expect(bundleState(fileURLToPath(dist("workers/extract-thread.bundle.cjs")))).toEqual({ current: true });
    const bundled = new ExtractPool({ size: 1, memoryMb: 2048, script: dist("workers/thread-entry.js") });
    const modules = new ExtractPool({ size: 1, memoryMb: 2048, script: dist("workers/extract-thread.js") });
    try {
      for (const name of files) {
        const bytes = () => new Uint8Array(readFileSync(corpusFile(name)));
        const [a, b] = await Promise.all([
          bundled.process({ bytes: bytes(), fileName: name, ...limits }, 60_000),
          modules.process({ bytes: bytes(), fileName: name, ...limits }, 60_000),
        ]);
        expect(JSON.stringify(a), name).toBe(JSON.stringify(b));
        expect(a.report.year, name).toBeGreaterThan(2000);
      }
    } finally {
      await Promise.all([bundled.close(), modules.close()]);
    }
  });
});

describe("bundleState (workers/bundle-check.ts): a bundle older than what it was built from is not run", () => {
  const dir = () => mkdtempSync(path.join(scratch, "bundle-"));
  const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);
  /** A bundle at time 2000 built from a.js and sub/b.js at time 1000. */
  function built(): { bundle: string; a: string; b: string } {
    const d = dir();
    const bundle = path.join(d, "out", "thread.bundle.cjs");
    const a = path.join(d, "a.js");
    const b = path.join(d, "sub", "b.js");
    for (const f of [bundle, a, b]) {
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, "// code\n");
    }
    writeFileSync(inputsFile(bundle), JSON.stringify({ inputs: ["../a.js", "../sub/b.js"] }));
    at(a, 1000);
    at(b, 1000);
    at(bundle, 2000);
    return { bundle, a, b };
  }

  it("is current when every input is there and none is newer, also when all have one time (as an npm archive gives them)", () => {
    const { bundle, a, b } = built();
    expect(bundleState(bundle)).toEqual({ current: true });
    for (const f of [bundle, a, b]) at(f, 499_162_500);
    expect(bundleState(bundle)).toEqual({ current: true });
  });

  it("is out of date when an input was compiled again after it (tsc alone), and says which", () => {
    const { bundle, b } = built();
    at(b, 3000);
    expect(bundleState(bundle)).toEqual({ current: false, reason: `${b} is newer than it` });
  });

  it("is out of date when an input is gone, or the list is missing, damaged or empty", () => {
    const { bundle, a } = built();
    rmSync(a);
    expect(bundleState(bundle)).toEqual({ current: false, reason: `${a}, which it was built from, is gone` });
    writeFileSync(inputsFile(bundle), "{ not json");
    expect(bundleState(bundle)).toMatchObject({ current: false, reason: expect.stringContaining("missing or unreadable") });
    writeFileSync(inputsFile(bundle), JSON.stringify({ inputs: [] }));
    expect(bundleState(bundle)).toMatchObject({ current: false, reason: expect.stringContaining("lists no files") });
    writeFileSync(inputsFile(bundle), JSON.stringify({ inputs: [3] }));
    expect(bundleState(bundle)).toMatchObject({ current: false, reason: expect.stringContaining("lists no files") });
    rmSync(inputsFile(bundle));
    expect(bundleState(bundle)).toMatchObject({ current: false, reason: expect.stringContaining("missing or unreadable") });
    rmSync(bundle);
    expect(bundleState(bundle)).toEqual({ current: false, reason: `${bundle} is missing` });
  });
});
