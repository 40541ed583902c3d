/**
 * How the file store serialises its writes: within one process, a WriteQueue runs them one at
 * a time; across the processes of one host, a LockFile (`<root>/.results.lock`,
 * `<root>/.ingest.lock`) is held around a read-modify-write. A lock left by a process that
 * died is taken over. Several hosts sharing one folder should use PgStore.
 */
import { rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { errorCode, readText, writeFileExclusive } from "./fs.js";

/** Runs writes one after another, in the order they were asked for. */
export class WriteQueue {
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier write of this queue has finished (one writer at a time). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the writes asked for so far have finished. */
  async idle(): Promise<void> {
    await this.queue.catch(() => undefined);
  }
}

/** Putting one result takes milliseconds: a lock older than this was left by a crash. */
const STALE_LOCK_MS = 30_000;

/** A lock file of the store's root, created with O_EXCL and holding `<host> <pid>`. */
export class LockFile {
  readonly file: string;

  constructor(root: string, name: string) {
    this.file = join(root, name);
  }

  /** Runs `fn` holding the lock, waiting while another live process holds it. */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    const owner = `${hostname()} ${process.pid}\n`;
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFileExclusive(this.file, owner);
        break;
      } catch (e) {
        if (errorCode(e) !== "EEXIST") throw e;
        const held = await readText(this.file);
        if (held !== null && (await this.isStale(held))) {
          // Remove only the lock just judged stale, not one another process has taken since.
          if ((await readText(this.file)) === held) await rm(this.file, { force: true });
          continue;
        }
        await new Promise((r) => setTimeout(r, Math.min(1 + attempt, 20)));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(this.file, { force: true });
    }
  }

  /** A lock whose owner process on this host is gone, or that has been held for too long. */
  private async isStale(held: string): Promise<boolean> {
    const [host, pid] = held.trim().split(" ");
    if (host === hostname() && pid !== undefined && /^\d+$/.test(pid)) {
      try {
        process.kill(Number(pid), 0);
      } catch (e) {
        if (errorCode(e) === "ESRCH") return true;
      }
    }
    try {
      return Date.now() - (await stat(this.file)).mtimeMs > STALE_LOCK_MS;
    } catch {
      return false; // gone already: the next attempt takes it
    }
  }
}
