/**
 * The file store's failure log: `<root>/failures.ndjson`, append-only. A failure is a
 * FailureRecord line; supersedeFailures appends a `{"superseded": {uri, by, at}}` line, which
 * hides the failures before it of that source whose content is not `by`. Only the newest
 * such line of a source counts.
 *
 * supersedeFailures runs on every live put, so it must not read the whole log each time: an
 * in-memory view (what each source's failures are, and its newest superseded line) is folded
 * from the log once and then from the lines appended since (by any process), and answers
 * without a write when the source has nothing to supersede. listFailures, a listing for
 * people, reads the log backwards from its end, only as far as the failures it shows.
 */
import type { FailureLog, FailureRecord } from "../types.js";
import { WriteQueue } from "./lock.js";
import { AppendLog } from "./ndjson.js";
import type { StoreRoot } from "./paths.js";

/** A line of failures.ndjson that supersedes the earlier failures of a source (supersedeFailures). */
interface SupersededLine {
  superseded: { uri: string; by: string; at: string };
}

type Line = FailureRecord | SupersededLine;

const isSuperseded = (line: Line): line is SupersededLine => "superseded" in line;

/** What the log says about one source. Positions count the records of the log, oldest first. */
interface SourceFailures {
  /** sha256 → the position of the newest failure of that content at this source. */
  newest: Map<string, number>;
  /** The newest superseded line of this source. */
  superseded: { at: number; by: string } | null;
}

export class FileFailureLog implements FailureLog {
  private readonly log: AppendLog<Line>;
  /** source uri → its failures, as far as the log has been read. */
  private readonly sources = new Map<string, SourceFailures>();
  /** Records of the log folded into `sources`. */
  private lines = 0;

  constructor(
    root: StoreRoot,
    private readonly queue = new WriteQueue(),
  ) {
    this.log = new AppendLog<Line>(root.path("failures.ndjson"));
  }

  async init(): Promise<void> {
    await this.queue.run(() => this.log.terminateLastLine());
  }

  async recordFailure(failure: FailureRecord): Promise<void> {
    await this.queue.run(() => this.log.append(failure));
  }

  /** The newest `limit` failures, newest first, without the superseded ones. */
  async listFailures(limit: number): Promise<FailureRecord[]> {
    if (limit <= 0) return [];
    const out: FailureRecord[] = [];
    /** uri → the content that superseded the failures before (read newest first). */
    const superseded = new Map<string, string>();
    // Newest first, from the end of the log: a listing reads only as far back as it shows.
    for await (const line of this.log.readBackward()) {
      if (isSuperseded(line)) {
        if (!superseded.has(line.superseded.uri)) superseded.set(line.superseded.uri, line.superseded.by);
        continue;
      }
      const by = line.source ? superseded.get(line.source.uri) : undefined;
      if (by !== undefined && by !== line.sha256) continue;
      out.push(line);
      if (out.length >= limit) break;
    }
    return out;
  }

  async supersedeFailures(uri: string, sha256: string): Promise<string[]> {
    return this.queue.run(async () => {
      await this.refresh();
      const stale = this.visible(uri).filter((s) => s !== sha256);
      if (stale.length) await this.log.append({ superseded: { uri, by: sha256, at: new Date().toISOString() } });
      return stale;
    });
  }

  /** The contents whose failures at `uri` listFailures shows, newest failure first. */
  private visible(uri: string): string[] {
    const s = this.sources.get(uri);
    if (!s) return [];
    const { superseded } = s;
    return [...s.newest]
      .filter(([sha, at]) => superseded === null || at > superseded.at || sha === superseded.by)
      .sort((a, b) => b[1] - a[1])
      .map(([sha]) => sha);
  }

  /** Folds in the lines appended to the log since the last call (by this or another process). */
  private async refresh(): Promise<void> {
    const { restarted, records } = await this.log.readNew();
    if (restarted) {
      this.sources.clear();
      this.lines = 0;
    }
    for (const line of records) {
      const at = this.lines++;
      if (line === null || typeof line !== "object") continue;
      const uri = isSuperseded(line) ? line.superseded?.uri : line.source?.uri;
      if (typeof uri !== "string") continue;
      let s = this.sources.get(uri);
      if (!s) this.sources.set(uri, (s = { newest: new Map(), superseded: null }));
      if (isSuperseded(line)) s.superseded = { at, by: line.superseded.by };
      else s.newest.set(line.sha256, at);
    }
  }
}
