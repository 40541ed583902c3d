/**
 * The limits of one file (src/settings.ts), read without zod for `nianbao extract`, and the
 * same whole-number reading in the full configuration (src/config.ts).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { ConfigError, LIMIT_SETTINGS, loadLimits, readWholeNumber } from "../src/settings.js";
import { corpusFile } from "./support/corpus.js";
import { CLI } from "./support/pipeline.js";

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("no ConfigError");
}

describe("settings: whole numbers from the environment", () => {
  it("reads a whole number, its default when unset or empty, and says what is wrong otherwise", () => {
    const s = { def: 7, min: 2 };
    expect(readWholeNumber(undefined, s)).toEqual({ value: 7 });
    expect(readWholeNumber("", s)).toEqual({ value: 7 });
    expect(readWholeNumber(" 300 ", s)).toEqual({ value: 300 });
    expect(readWholeNumber("+5", s)).toEqual({ value: 5 });
    expect(readWholeNumber("2", s)).toEqual({ value: 2 });
    expect(readWholeNumber("1", s)).toEqual({ error: "must be at least 2" });
    for (const bad of ["1.5", "abc", "1e3", "0x10", "12ms", "99999999999999999999"]) {
      expect(readWholeNumber(bad, s), bad).toEqual({ error: "must be a whole number" });
    }
  });

  it("loadLimits: the defaults README gives, and every bad variable named in one error", () => {
    expect(loadLimits({})).toEqual({
      JOB_TIMEOUT_MS: 120_000,
      PARSER_MEMORY_MB: 2048,
      MAX_FILE_BYTES: 100 * 1024 * 1024,
      MAX_PAGES: 500,
      MAX_EXPANDED_BYTES: 200 * 1024 * 1024,
    });
    expect(loadLimits({ MAX_PAGES: "3", JOB_TIMEOUT_MS: "" }).MAX_PAGES).toBe(3);
    expect(errorOf(() => loadLimits({ JOB_TIMEOUT_MS: "50", PARSER_MEMORY_MB: "lots" }))).toBe(
      `invalid configuration:\n  JOB_TIMEOUT_MS="50": must be at least 100\n  PARSER_MEMORY_MB="lots": must be a whole number`,
    );
  });

  it("the full configuration reads the limits, and its other whole numbers, the same way", () => {
    const env = { JOB_TIMEOUT_MS: "50", PARSER_MEMORY_MB: "lots", CONCURRENCY: "0", STABLE_CHECKS: "2.5" };
    expect(errorOf(() => loadConfig(env))).toBe(
      [
        "invalid configuration:",
        '  CONCURRENCY="0": must be at least 1',
        '  STABLE_CHECKS="2.5": must be a whole number',
        '  JOB_TIMEOUT_MS="50": must be at least 100',
        '  PARSER_MEMORY_MB="lots": must be a whole number',
      ].join("\n"),
    );
    const config = loadConfig({ MAX_PAGES: "7" });
    for (const name of Object.keys(LIMIT_SETTINGS) as (keyof typeof LIMIT_SETTINGS)[]) {
      expect(config[name], name).toBe(name === "MAX_PAGES" ? 7 : LIMIT_SETTINGS[name].def);
    }
  });

  it("nianbao extract refuses a bad limit with exit 2 and one message", () => {
    const r = spawnSync(process.execPath, [CLI, "extract", corpusFile("jingzhouqu-2021.txt")], {
      encoding: "utf8",
      env: { ...process.env, JOB_TIMEOUT_MS: "1.5" },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`nianbao: invalid configuration:\n  JOB_TIMEOUT_MS="1.5": must be a whole number\n`);
  });
});

/**
 * `nianbao extract` pays for every module its main thread loads, on top of the parser thread's.
 * zod alone is about 50 ms of CPU, so the main thread must not reach it: this walks the static
 * imports (not `import type`, not `import()`) from cli/main.ts.
 */
describe("the main thread of nianbao extract", () => {
  const root = path.resolve(import.meta.dirname, "..");

  function staticImports(file: string): string[] {
    const text = readFileSync(file, "utf8");
    const out: string[] = [];
    const re = /^(?:import|export)\s+(?!type\b)(?:[^;"']*?\sfrom\s+)?["']([^"']+)["']/gm;
    for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
    return out;
  }

  function reach(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const todo = [path.join(root, entry)];
    while (todo.length > 0) {
      const file = todo.pop()!;
      if (files.has(file)) continue;
      files.add(file);
      for (const spec of staticImports(file)) {
        if (spec.startsWith(".")) todo.push(path.resolve(path.dirname(file), spec).replace(/\.js$/, ".ts"));
        else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);
      }
    }
    return { files, packages };
  }

  it("loads no package, and not config.ts (zod)", () => {
    const { files, packages } = reach("cli/main.ts");
    const rel = [...files].map((f) => path.relative(root, f));
    expect(rel).toContain("workers/extract-pool.ts");
    expect(rel).toContain("src/settings.ts");
    expect(rel).not.toContain("src/config.ts");
    expect([...packages]).toEqual([]);
  });

  it("the walk sees through to zod where it is imported", () => {
    expect(reach("src/config.ts").packages).toContain("zod");
  });
});
