/**
 * Paths under the file store's root. Agency names, artifact keys and versions come from
 * untrusted documents and uploads, so every path segment is sanitised (safeSegment) and every
 * path is checked to stay under the root (StoreRoot).
 */
import { createHash } from "node:crypto";
import { isAbsolute, relative, resolve, sep } from "node:path";

/** Longest segment, in UTF-8 bytes (file systems allow 255; this leaves room for suffixes and temp names). */
export const MAX_SEGMENT_BYTES = 100;
const HASH_CHARS = 12;
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Makes one untrusted string safe as a single file-name segment. Keeps letters (Chinese
 * included), digits and `-_.`; replaces everything else (`/`, `\`, NUL, control characters,
 * spaces, `:*?"<>|`, `~`) with `_`; refuses a leading dot (`.`, `..`, hidden files). Whenever
 * anything was changed or cut to MAX_SEGMENT_BYTES, `~<hash of the original>` is appended, and
 * since `~` never survives sanitising, two different inputs cannot meet in one name.
 */
export function safeSegment(raw: string): string {
  let s = raw.replace(/[^\p{L}\p{M}\p{N}._-]/gu, "_").replace(/^\./u, "_");
  const changed = s !== raw || s === "";
  const bytes = Buffer.byteLength(s, "utf8");
  if (!changed && bytes <= MAX_SEGMENT_BYTES) return s;
  const suffix = `~${createHash("sha256").update(raw, "utf8").digest("hex").slice(0, HASH_CHARS)}`;
  s = truncateBytes(s, MAX_SEGMENT_BYTES - suffix.length);
  return `${s}${suffix}`;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
function truncateBytes(s: string, max: number): string {
  let out = "";
  let used = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}

/** Refuses anything but a sha256 (it becomes a file name). */
export function assertSha(sha256: string): void {
  if (!SHA256.test(sha256)) throw new Error(`not a sha256 (64 lowercase hex digits): ${JSON.stringify(sha256.slice(0, 80))}`);
}

/** The store's folder: paths below it, never outside. */
export class StoreRoot {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Joins sanitised segments under the root and refuses anything that would land outside it. */
  path(...segments: string[]): string {
    const p = resolve(this.root, ...segments);
    const rel = relative(this.root, p);
    if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new Error(`path escapes the store root: ${p}`);
    return p;
  }

  /** A stored relative path (`/`-separated, as index.ndjson holds them) made absolute, with the same check. */
  abs(relPath: string): string {
    return this.path(...relPath.split("/"));
  }
}
