/**
 * `nianbao COMMAND --help` (and -h) through the real CLI: the usage on stdout, exit 0, and
 * nothing else: no service started (Redis points at a closed port and the store at a folder
 * that must not appear), no folder made, no process left. Unknown options are usage errors.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "./support/pipeline.js";

const COMMANDS = ["extract", "worker", "watch", "enqueue", "status", "start", "import", "reprocess", "report", "dashboard", "export"];

/** Runs the CLI; each case is its own process, so the cases run concurrently (it.concurrent). */
function run(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; left: string[] }> {
  const cwd = mkdtempSync(join(tmpdir(), "nianbao-help-"));
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    timeout: 15_000,
    env: { ...process.env, REDIS_URL: "redis://127.0.0.1:1", QUEUE_CONNECT_TIMEOUT_MS: "1000", DASHBOARD_PORT: "0", LOG_LEVEL: "info" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, left: readdirSync(cwd) }));
  });
}

describe("nianbao COMMAND --help", () => {
  for (const command of COMMANDS)
    for (const flag of ["--help", "-h"])
      it.concurrent(`${command} ${flag} prints its usage, exits 0, starts nothing and makes no folder`, async () => {
        const r = await run([command, flag]);
        expect(r.signal).toBeNull(); // it ended by itself, within the timeout
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^usage: nianbao ${command}\\b`));
        expect(r.stderr).toBe("");
        expect(r.left).toEqual([]);
      });

  it.concurrent("answers --help after other arguments too", async () => {
    const r = await run(["start", "./inbox", "--help"]);
    expect(r.code).toBe(0);
    expect(r.left).toEqual([]);
  });
});

describe("unknown options", () => {
  const cases: string[][] = [
    ["worker", "--bogus"],
    ["worker", "extra"],
    ["watch", "--bogus"],
    ["start", "--bogus"],
    ["start", "a", "b"],
    ["status", "--bogus"],
    ["enqueue", "--bogus", "x.pdf"],
    ["enqueue"],
    ["extract", "--bogus", "x.pdf"],
    ["import", "--bogus", "dir"],
    ["reprocess", "--all", "--bogus"],
    ["report", "--year", "2021", "--bogus"],
    ["dashboard", "--bogus"],
    ["export", "--bogus"],
    ["export", "--format", "xml"],
  ];
  for (const args of cases)
    it.concurrent(`nianbao ${args.join(" ")} is a usage error (exit 2), and starts nothing`, async () => {
      const r = await run(args);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/usage: nianbao/);
      expect(r.stderr).not.toMatch(/nianbao: internal error|\n\s+at /);
      expect(r.left).toEqual([]);
    });
});
