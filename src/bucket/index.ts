/**
 * Opens the upload bucket named by a URL: a folder (`./data/inbox`, `/srv/inbox`,
 * `file:///srv/inbox`) or an S3-compatible bucket (`s3://uploads/annual-reports`).
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LocalInbox, type LocalInboxOptions } from "./local.js";
import { parseS3Url, S3Bucket, type S3BucketOptions } from "./s3.js";
import type { UploadBucket } from "./types.js";

export type { BucketObject, UploadBucket } from "./types.js";
export { LocalInbox, ObjectGoneError, ObjectOutsideBucketError, ObjectTooLargeError, isInProgressName } from "./local.js";
export type { LocalInboxOptions, RefusedObject } from "./local.js";
export { S3Bucket, parseS3Url } from "./s3.js";
export type { S3BucketOptions, S3Location } from "./s3.js";

/** Options for either kind; each implementation uses the ones that apply to it. */
export type OpenBucketOptions = LocalInboxOptions & S3BucketOptions;

export function openBucket(url: string, options: OpenBucketOptions = {}): UploadBucket {
  const where = locate(url);
  return where.kind === "s3" ? new S3Bucket(where.url, options) : new LocalInbox(where.dir, options);
}

/**
 * The root the bucket named by `url` would have (`/srv/inbox/` and `file:///srv/inbox` are both
 * `file:///srv/inbox`), without opening it; throws as openBucket does on a bad URL.
 */
export function bucketRoot(url: string): string {
  const where = locate(url);
  if (where.kind === "local") return pathToFileURL(path.resolve(where.dir)).href;
  const { bucket, prefix } = parseS3Url(where.url);
  return `s3://${bucket}/${prefix}`;
}

function locate(url: string): { kind: "s3"; url: string } | { kind: "local"; dir: string } {
  const trimmed = url.trim();
  if (trimmed === "") throw new Error("Upload bucket URL is empty");
  if (/^s3:\/\//i.test(trimmed)) return { kind: "s3", url: trimmed.replace(/^s3/i, "s3") };
  if (/^file:/i.test(trimmed)) {
    try {
      return { kind: "local", dir: fileURLToPath(trimmed) };
    } catch (e) {
      throw new Error(`Invalid file: URL for the upload bucket: ${url}`, { cause: e });
    }
  }
  // Any other scheme (http:, gs:, s3a:…) is a mistake, not a folder name. A Windows drive
  // letter (C:\inbox) is a one-letter "scheme" and stays a path.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(trimmed);
  if (scheme) {
    throw new Error(`Unsupported upload bucket "${url}": use a folder path, a file: URL or s3://bucket/prefix`);
  }
  return { kind: "local", dir: trimmed };
}
