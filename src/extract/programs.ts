/**
 * What the readers that run programs (OCR's pdftoppm and Tesseract, LibreOffice for .doc)
 * share: a time limit that ends with the read's deadline, and scratch folders named by the
 * process and thread that made them.
 *
 * A parser thread that runs over JOB_TIMEOUT_MS is terminated where it stands: its `finally`
 * blocks never run, and the programs it started are not its children to take down. So every
 * program run ends by the deadline on its own (limitBy), and the pool removes a stopped
 * thread's scratch folders (removeScratchOf).
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";

/** A program run's time limit: `ms`, or less, so that it ends by `deadline` (epoch ms). */
export function limitBy(ms: number, deadline: number): number {
  return Math.max(1, Math.min(ms, deadline - Date.now()));
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
