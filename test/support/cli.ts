/**
 * Running one `nianbao` command to its end and keeping what it printed: for commands whose
 * output the test reads (reprocess summaries, dry runs, reports). Long-running processes
 * (workers) go through startCli in ./pipeline.ts instead.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, CLI } from "./pipeline.js";

export interface CliRun {
  child: ChildProcess;
  /** Everything printed so far (updated while the process runs). */
  output: { stdout: string; stderr: string };
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `nianbao ARGS`; its output is collected and also appended to test-artifacts/NAME.log. */
export function runCli(name: string, args: string[], env: Record<string, string>, cwd?: string): CliRun {
  mkdirSync(ARTIFACTS, { recursive: true });
  const log = join(ARTIFACTS, `${name}.log`);
  appendFileSync(log, `\n$ nianbao ${args.join(" ")}\n`);
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout?.setEncoding("utf8").on("data", (s: string) => {
    output.stdout += s;
    appendFileSync(log, s);
  });
  child.stderr?.setEncoding("utf8").on("data", (s: string) => {
    output.stderr += s;
    appendFileSync(log, s);
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
    child.on("close", (code) => r({ code, stdout: output.stdout, stderr: output.stderr })),
  );
  return { child, output, done };
}

/** Runs `nianbao ARGS` to completion. */
export function cli(name: string, args: string[], env: Record<string, string>, cwd?: string) {
  return runCli(name, args, env, cwd).done;
}
