/**
 * What the readers that run programs (OCR's pdftoppm and Tesseract, LibreOffice for .doc)
 * share: a time limit that ends with the read's deadline, and scratch folders named by the
 * process and thread that made them.
 *
 * A parser thread that runs over JOB_TIMEOUT_MS is terminated where it stands: its `finally`
 * blocks never run, and neither do the timers with which Node would end the programs it
 * started. So every program runs under coreutils' `timeout` (watched), which ends it, and what
 * it started, by the read's deadline (limitBy) whatever became of the thread; and the pool
 * removes a stopped thread's scratch folders (removeScratchOf).
 */
import { execFile, type ExecFileOptions } from "node:child_process";
import { accessSync, constants as fsConstants, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { threadId } from "node:worker_threads";

/** A program run's time limit: `ms`, or less, so that it ends by `deadline` (epoch ms). */
export function limitBy(ms: number, deadline: number): number {
  return Math.max(1, Math.min(ms, deadline - Date.now()));
}

/** How long `timeout` waits after its TERM before it sends KILL. */
const KILL_AFTER_S = 2;

/** The executable `name` in a folder of PATH, or null. */
export function findOnPath(name: string): string | null {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

let coreutilsTimeout: boolean | null = null;
const timeoutAvailable = () => (coreutilsTimeout ??= findOnPath("timeout") !== null);

/**
 * The command and arguments that run `file` under coreutils' `timeout`: TERM to the run (its
 * own process group, children included) after `ms`, KILL 2 s later, even if the thread that
 * started it is gone. Where there is no `timeout` (not Linux), the program is run as it is and
 * only the caller's own time limit holds.
 */
export function watched(file: string, args: readonly string[], ms: number): [string, string[]] {
  if (!timeoutAvailable()) return [file, [...args]];
  return ["timeout", ["-k", String(KILL_AFTER_S), `${(Math.max(1, ms) / 1000).toFixed(3)}s`, file, ...args]];
}

/**
 * Runs `file` watched (above), with a time limit of `limit.ms` that ends by `limit.deadline`;
 * resolves with its standard output (UTF-8), rejects with execFile's error.
 */
export function execWatched(
  file: string,
  args: readonly string[],
  limit: { ms: number; deadline: number },
  options: Omit<ExecFileOptions, "timeout" | "encoding"> = {},
): Promise<string> {
  const ms = limitBy(limit.ms, limit.deadline);
  const [command, commandArgs] = watched(file, args, ms);
  return new Promise((resolve, reject) => {
    execFile(command, commandArgs, { ...options, encoding: "utf8", timeout: ms }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

const prefix = (pid: number, thread: number) => `nianbao-${pid}-${thread}-`;

/** A new scratch folder of this thread (`kind` names it for a reader: scan, ocr, lo). */
export function scratchDir(kind: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix(process.pid, threadId)}${kind}-`));
}

/** Removes the scratch folders a thread of this process left; how many there were. */
export function removeScratchOf(thread: number): number {
  const mine = prefix(process.pid, thread);
  let removed = 0;
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(mine)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
