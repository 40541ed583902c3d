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
import { constants, type BigIntStats } from "node:fs";
import { lstat, open, opendir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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
  ino: bigint;
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
      const found = this.observe(file.abs, file.stats, pollNo);
      if (found) ready.push(found);
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
    if (previous && previous.size === st.size && previous.mtimeNs === st.mtimeNs && previous.ino === st.ino) {
      entry = previous;
      entry.seenStable += 1;
    } else {
      // New, or changed since the last poll (still being written, or rewritten later).
      entry = { size: st.size, mtimeNs: st.mtimeNs, ino: st.ino, seenStable: 1, returned: false, lastPoll: pollNo };
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
    const abs = this.resolveUri(object.uri);
    let handle;
    try {
      // O_NOFOLLOW: a file swapped for a symlink after poll() is refused rather than followed.
      handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (e) {
      const code = errorCode(e);
      if (code === "ENOENT" || code === "ENOTDIR") throw new ObjectGoneError(object.uri, { cause: e });
      if (code === "ELOOP") throw new Error(`Upload ${object.uri} is a symbolic link; not read`, { cause: e });
      throw new Error(`Upload ${object.uri} can't be opened: ${code ?? String(e)}`, { cause: e });
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`Upload ${object.uri} is not a regular file`);
      if (this.maxBytes !== undefined && st.size > this.maxBytes) {
        throw new ObjectTooLargeError(object.uri, st.size, this.maxBytes);
      }
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

  /** Maps a `file:` URI back to a path, refusing anything outside the root. */
  private resolveUri(uri: string): string {
    let abs: string;
    try {
      abs = fileURLToPath(uri);
    } catch (e) {
      throw new Error(`Not a file: URI for the local inbox: ${uri}`, { cause: e });
    }
    const rel = path.relative(this.dir, abs);
    if (rel === "" || rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new Error(`${uri} is outside the inbox ${this.root}`);
    }
    return abs;
  }

  async close(): Promise<void> {
    await this.polling;
    this.entries.clear();
  }
}
