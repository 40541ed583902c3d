/**
 * The file store's way with files: whole files are written to a temporary name in the same
 * folder, flushed, and renamed (or linked) into place, so a crash leaves the old file or the
 * new one, never half a JSON; a missing file reads as null. A writer killed between writing
 * and renaming leaves a `.tmp-<pid>-<random>` behind, which removeStaleTemps clears at start.
 */
import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export function errorCode(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

/** A value as the store writes a JSON file: indented, with a final newline. */
export const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (e) {
    if (errorCode(e) === "ENOENT") return false;
    throw e;
  }
}

export async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if (errorCode(e) === "ENOENT") return null;
    throw e;
  }
}

export async function readJson<T>(file: string): Promise<T | null> {
  const text = await readText(file);
  return text === null ? null : (JSON.parse(text) as T);
}

/**
 * Writes the whole file to a temporary name beside it, flushed to disk. Returns that name.
 * The folder is made only when it is missing (the open fails), not checked before every write.
 */
async function writeTemp(file: string, data: string): Promise<string> {
  const dir = dirname(file);
  const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  const create = () => open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
  let fh;
  try {
    fh = await create();
  } catch (e) {
    if (errorCode(e) !== "ENOENT") throw e;
    await mkdir(dir, { recursive: true });
    fh = await create();
  }
  try {
    await fh.writeFile(data, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Replaces `file` atomically: readers see the old content or the new, never a part. */
export async function writeAtomic(file: string, data: string): Promise<void> {
  const tmp = await writeTemp(file, data);
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Creates `file` atomically unless it exists. Returns false if it already existed. */
export async function writeExclusive(file: string, data: string): Promise<boolean> {
  const tmp = await writeTemp(file, data);
  try {
    await link(tmp, file); // link() fails with EEXIST instead of replacing, even across processes
    return true;
  } catch (e) {
    const code = errorCode(e);
    if (code === "EEXIST") return false;
    // A file system without hard links: fall back to check-then-rename (exact within a process).
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      if (await exists(file)) return false;
      await rename(tmp, file);
      return true;
    }
    throw e;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Creates `file` with `data`; fails with EEXIST if it exists (O_EXCL). */
export async function writeFileExclusive(file: string, data: string): Promise<void> {
  const fh = await open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
  try {
    await fh.writeFile(data, "utf8");
  } finally {
    await fh.close();
  }
}

const TEMP = /^\.tmp-(\d+)-[0-9a-f]{12}$/;

/**
 * Removes the temporary files (`.tmp-<pid>-<random>`, writeTemp) that a writer killed between
 * writing and renaming left behind: those whose process no longer runs on this host and that
 * are over a minute old, and any over an hour old (a pid can be reused). A live writer's
 * temporary file lives for milliseconds.
 */
export async function removeStaleTemps(root: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(root, { recursive: true });
  } catch (e) {
    if (errorCode(e) === "ENOENT") return removed;
    throw e;
  }
  for (const rel of names) {
    const m = TEMP.exec(basename(rel));
    if (!m) continue;
    const file = join(root, rel);
    const st = await stat(file).catch(() => null);
    if (!st?.isFile()) continue;
    const age = now - st.mtimeMs;
    if (age > 3_600_000 || (age > 60_000 && !processRuns(Number(m[1])))) {
      await unlink(file).catch(() => undefined);
      removed.push(rel);
    }
  }
  return removed;
}

/** Whether a process of this host runs with that pid. */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === "EPERM"; // running, as another user
  }
}
