/**
 * LocalInbox: the upload bucket as a folder on disk (default `./data/inbox`).
 *
 * Files may sit in subfolders (`2021/淮安市/报告.pdf`). A file is returned by `poll()` only once
 * it has stopped changing: its size, mtime and inode were identical over `stableChecks`
 * consecutive polls. Stability is judged by poll count, so it is only as good as the poll
 * interval is long compared with the pauses of a slow writer.
 *
 * Writers should use write-then-rename: write `name.part` (ignored here, like `*.tmp`,
 * `*.crdownload`, `~$*` and dotfiles), then rename it to `name`. A renamed file is complete the
 * moment it appears, but that can't be told apart from a file that is still growing, so it
 * still goes through the stability check: with the default `stableChecks` of 2 it is returned
 * by the poll after the one that first saw it.
 *
 * Originals are only ever read: nothing here writes, moves or deletes under the root.
 */
import { createHash } from "node:crypto";
import { constants, type BigIntStats } from "node:fs";
import { lstat, open, opendir, realpath, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { HEAD_BYTES, TAIL_BYTES, truncation } from "../complete.js";
import type { BucketObject, UploadBucket } from "./types.js";

export interface LocalInboxOptions {
  /**
   * How many consecutive polls must see a file with the same size, mtime and inode before it
   * is returned. 1 returns files at first sight (only safe when every writer renames into place).
   * Default 2.
   */
  stableChecks?: number;
  /** `read()` refuses files larger than this many bytes. Default: no limit. */
  maxBytes?: number;
  /**
   * How long a file that holds still but looks cut short (src/complete.ts: a PDF without
   * `%%EOF`, a ZIP without its central directory, text ending mid-character) is waited for
   * before it is returned as it is. Default 300,000 ms (INCOMPLETE_GRACE_MS).
   */
  incompleteGraceMs?: number;
}

/**
 * Thrown by `read()` and `hash()` when the object is not a file of this bucket: a URI outside
 * the root, a path that leaves it through a symbolic link (after realpath), or a file with
 * more than one hard link (its other name may be anywhere on the file system).
 */
export class ObjectOutsideBucketError extends Error {
  constructor(
    readonly uri: string,
    readonly root: string,
    why: string,
    message = `${uri} is not a file of the upload bucket ${root}: ${why}; not read`,
  ) {
    super(message);
    this.name = "ObjectOutsideBucketError";
  }
}

/** A file the poll found but will never return, with the reason (the watcher logs it once). */
export interface RefusedObject {
  key: string;
  reason: string;
}

/** Thrown by `read()` when the object is no longer there (deleted or renamed after `poll()`). */
export class ObjectGoneError extends Error {
  constructor(
    readonly uri: string,
    options?: { cause?: unknown },
  ) {
    super(`Upload ${uri} no longer exists (deleted or moved after it was listed)`, options);
    this.name = "ObjectGoneError";
  }
}

/** Thrown by `read()` when the object is larger than the configured `maxBytes`. */
export class ObjectTooLargeError extends Error {
  constructor(
    readonly uri: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`Upload ${uri} is ${size} bytes, more than the limit of ${maxBytes} bytes`);
    this.name = "ObjectTooLargeError";
  }
}

/** Names of files that are still being written by a browser, an editor or a copier. */
export function isInProgressName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    name.startsWith(".") ||
    name.startsWith("~$") ||
    lower.endsWith(".part") ||
    lower.endsWith(".tmp") ||
    lower.endsWith(".crdownload")
  );
}

/** What a poll remembers about one file: no contents, so a 100k-file tree stays small. */
interface Entry {
  size: bigint;
  mtimeNs: bigint;
  /** ctime too: a file rewritten in place with the same size and its mtime put back is still seen. */
  ctimeNs: bigint;
  ino: bigint;
  /** When the file was first found still but looking cut short (src/complete.ts), if it was. */
  incompleteSince?: number;
  /** Consecutive polls that saw this exact (size, mtime, inode). */
  seenStable: number;
  returned: boolean;
  /** Number of the last poll that found the file: older entries are for files now gone. */
  lastPoll: number;
}

/** Errors that mean "this entry went away or can't be looked at": skip it, don't fail the poll. */
const SKIPPABLE = new Set(["ENOENT", "ENOTDIR", "EACCES", "EPERM", "ELOOP"]);

function errorCode(e: unknown): string | undefined {
  if (e instanceof Error && "code" in e && typeof e.code === "string") return e.code;
  return undefined;
}

export class LocalInbox implements UploadBucket {
  readonly root: string;
  /** Absolute path of the root folder. */
  readonly dir: string;
  private readonly stableChecks: number;
  private readonly maxBytes: number | undefined;
  /** Keyed by absolute path. Entries for files that disappeared are dropped on the next poll. */
  private readonly entries = new Map<string, Entry>();
  private pollCount = 0;
  /** Polls run one after another: overlapping walks would count one wait as two checks. */
  private polling: Promise<unknown> = Promise.resolve();

  constructor(dir = "./data/inbox", options: LocalInboxOptions = {}) {
    this.dir = path.resolve(dir);
    this.root = pathToFileURL(this.dir).href;
    this.stableChecks = options.stableChecks ?? 2;
    if (!Number.isInteger(this.stableChecks) || this.stableChecks < 1) {
      throw new Error(`stableChecks must be a positive integer, got ${String(options.stableChecks)}`);
    }
    this.maxBytes = options.maxBytes;
    this.incompleteGraceMs = options.incompleteGraceMs ?? 300_000;
  }

  private readonly incompleteGraceMs: number;
  /** Hard-linked files already reported by takeRefused() (path and inode), so each is told once. */
  private readonly refusedSeen = new Set<string>();
  private refused: RefusedObject[] = [];

  /** The files the polls since the last call skipped for good (hard links), each once. */
  takeRefused(): RefusedObject[] {
    const out = this.refused;
    this.refused = [];
    return out;
  }

  poll(): Promise<BucketObject[]> {
    const run = this.polling.then(() => this.pollOnce());
    this.polling = run.catch(() => undefined);
    return run;
  }

  private async pollOnce(): Promise<BucketObject[]> {
    const rootStat = await stat(this.dir).catch((e: unknown) => {
      throw new Error(`Inbox folder ${this.dir} can't be read: ${errorCode(e) ?? String(e)}`, { cause: e });
    });
    if (!rootStat.isDirectory()) throw new Error(`Inbox ${this.dir} is not a folder`);

    const pollNo = ++this.pollCount;
    const ready: { entry: Entry; object: BucketObject }[] = [];
    for await (const file of this.walk()) {
      if (file.stats.nlink > 1n) {
        this.refuseLink(file.abs, file.stats);
        continue;
      }
      const found = this.observe(file.abs, file.stats, pollNo);
      if (found && (await this.looksComplete(file.abs, found.entry))) ready.push(found);
    }
    // Marked returned only now: if the walk failed half-way, the next poll returns them.
    for (const { entry } of ready) entry.returned = true;
    // Forget files that are gone, so the map only ever holds the current tree.
    for (const [abs, entry] of this.entries) if (entry.lastPoll !== pollNo) this.entries.delete(abs);

    const objects = ready.map((r) => r.object);
    objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return objects;
  }

  /** Updates the entry for one file; returns it with its object when it has just become stable. */
  private observe(abs: string, st: BigIntStats, pollNo: number): { entry: Entry; object: BucketObject } | null {
    const previous = this.entries.get(abs);
    let entry: Entry;
    if (previous && previous.size === st.size && previous.mtimeNs === st.mtimeNs && previous.ctimeNs === st.ctimeNs && previous.ino === st.ino) {
      entry = previous;
      entry.seenStable += 1;
    } else {
      // New, or changed since the last poll (still being written, or rewritten later).
      entry = { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino, seenStable: 1, returned: false, lastPoll: pollNo };
      this.entries.set(abs, entry);
    }
    entry.lastPoll = pollNo;
    if (entry.returned || entry.seenStable < this.stableChecks) return null;
    const object: BucketObject = {
      uri: pathToFileURL(abs).href,
      key: path.relative(this.dir, abs).split(path.sep).join("/"),
      size: Number(st.size),
      mtime: new Date(Number(st.mtimeMs)).toISOString(),
      etag: null,
      versionId: null,
    };
    return { entry, object };
  }

  /**
   * Whether a file that has held still also looks whole (src/complete.ts). One that looks cut
   * short is held back (not returned, so asked again next poll) until it changes, or until it
   * has looked so for `incompleteGraceMs`: then it is returned as it is, and the parser decides.
   */
  private async looksComplete(abs: string, entry: Entry): Promise<boolean> {
    let why: string | null;
    try {
      why = await readTruncation(abs, Number(entry.size));
    } catch (e) {
      if (SKIPPABLE.has(errorCode(e) ?? "")) return false; // gone meanwhile: the next poll forgets it
      throw e;
    }
    if (why === null) return true;
    const now = Date.now();
    entry.incompleteSince ??= now;
    return now - entry.incompleteSince >= this.incompleteGraceMs;
  }

  private refuseLink(abs: string, st: BigIntStats): void {
    const id = `${st.ino}:${abs}`;
    if (this.refusedSeen.has(id)) return;
    this.refusedSeen.add(id);
    this.refused.push({
      key: path.relative(this.dir, abs).split(path.sep).join("/"),
      reason: `it has ${st.nlink} hard links: its other names may be outside the inbox (move files in, don't link them)`,
    });
  }

  /**
   * Depth-first walk yielding regular files with their lstat. Uses `opendir` (streams entries)
   * and an explicit stack, so neither a huge folder nor a deep tree costs much memory.
   * Symbolic links are never followed: a link out of the root would escape it, and a link to a
   * file inside the root adds nothing (the target is found under its own path).
   */
  private async *walk(): AsyncGenerator<{ abs: string; stats: BigIntStats }> {
    const stack = [this.dir];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      let handle;
      try {
        handle = await opendir(dir);
      } catch (e) {
        // A subfolder that vanished or is unreadable mid-walk is skipped, not fatal.
        if (SKIPPABLE.has(errorCode(e) ?? "")) continue;
        throw e;
      }
      for await (const dirent of handle) {
        if (isInProgressName(dirent.name)) continue;
        const abs = path.join(dir, dirent.name);
        if (dirent.isDirectory()) {
          stack.push(abs);
          continue;
        }
        if (!dirent.isFile()) continue; // symlinks, sockets, FIFOs, devices
        let stats: BigIntStats;
        try {
          stats = await lstat(abs, { bigint: true });
        } catch (e) {
          if (SKIPPABLE.has(errorCode(e) ?? "")) continue; // gone between readdir and lstat
          throw e;
        }
        if (stats.isFile()) yield { abs, stats };
      }
    }
  }

  async read(object: Pick<BucketObject, "uri" | "versionId">): Promise<Buffer> {
    const handle = await this.openChecked(object.uri);
    try {
      const bytes = await handle.readFile();
      // The file may have grown after fstat; the limit holds for what was actually read.
      if (this.maxBytes !== undefined && bytes.length > this.maxBytes) {
        throw new ObjectTooLargeError(object.uri, bytes.length, this.maxBytes);
      }
      return bytes;
    } finally {
      await handle.close();
    }
  }

  /** The SHA-256 (hex) of an object, read as a stream: memory stays flat whatever its size. */
  async hash(object: Pick<BucketObject, "uri" | "versionId">): Promise<string> {
    const handle = await this.openChecked(object.uri);
    try {
      const h = createHash("sha256");
      for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 })) h.update(chunk as Buffer);
      return h.digest("hex");
    } finally {
      await handle.close();
    }
  }

  /**
   * Opens an object of this inbox for reading, after checking that it is one: its URI under
   * the root, its real path (symbolic links resolved) under the root's real path, a regular
   * file with one link, within maxBytes. Nothing outside the root is opened: the checks that
   * need no file come first, and the real path is resolved before the open.
   */
  private async openChecked(uri: string): Promise<FileHandle> {
    const abs = this.resolveUri(uri);
    const outside = (why: string) => new ObjectOutsideBucketError(uri, this.root, why);
    let real: string;
    try {
      real = await realpath(abs);
    } catch (e) {
      // Gone, or a path whose folders do not exist: only inside the root (checked above) may
      // that be told apart from "outside", so nothing about other paths leaks.
      const code = errorCode(e);
      if (code === "ENOENT" || code === "ENOTDIR") throw new ObjectGoneError(uri, { cause: e });
      throw new Error(`Upload ${uri} can't be opened: ${code ?? String(e)}`, { cause: e });
    }
    if (!isInside(await this.realDir(), real)) throw outside("its real path leaves the inbox through a symbolic link");
    let handle: FileHandle;
    try {
      // O_NOFOLLOW: a file swapped for a symlink after poll() is refused rather than followed.
      handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      const code = errorCode(e);
      if (code === "ENOENT" || code === "ENOTDIR") throw new ObjectGoneError(uri, { cause: e });
      if (code === "ELOOP") throw new Error(`Upload ${uri} is a symbolic link; not read`, { cause: e });
      throw new Error(`Upload ${uri} can't be opened: ${code ?? String(e)}`, { cause: e });
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`Upload ${uri} is not a regular file`);
      if (st.nlink > 1) throw outside(`it has ${st.nlink} hard links, and its other names may be anywhere`);
      if (this.maxBytes !== undefined && st.size > this.maxBytes) throw new ObjectTooLargeError(uri, st.size, this.maxBytes);
      return handle;
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  private realDirCache: string | null = null;
  private async realDir(): Promise<string> {
    return (this.realDirCache ??= await realpath(this.dir));
  }

  /** Maps a `file:` URI back to a path, refusing anything outside the root (before any file is looked at). */
  private resolveUri(uri: string): string {
    let abs: string;
    try {
      abs = fileURLToPath(uri);
    } catch (e) {
      throw new ObjectOutsideBucketError(uri, this.root, `not a file: URI (${(e as Error).message})`);
    }
    if (!isInside(this.dir, abs)) throw new ObjectOutsideBucketError(uri, this.root, "its path is outside the inbox");
    return abs;
  }

  async close(): Promise<void> {
    await this.polling;
    this.entries.clear();
  }
}

/** Whether `abs` is strictly below the folder `dir` (both absolute, compared as paths). */
function isInside(dir: string, abs: string): boolean {
  const rel = path.relative(dir, abs);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** Reads a file's first and last bytes and asks src/complete.ts whether it looks cut short. */
async function readTruncation(abs: string, size: number): Promise<string | null> {
  const handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    await handle.read(head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(TAIL_BYTES, size));
    await handle.read(tail, 0, tail.length, size - tail.length);
    return truncation(head, tail, size, path.basename(abs));
  } finally {
    await handle.close();
  }
}
