/**
 * Opens the upload bucket named by a URL: a folder (`./data/inbox`, `/srv/inbox`,
 * `file:///srv/inbox`) or an S3-compatible bucket (`s3://uploads/annual-reports`).
 */
import { fileURLToPath } from "node:url";
import { LocalInbox, type LocalInboxOptions } from "./local.js";
import { S3Bucket, type S3BucketOptions } from "./s3.js";
import type { UploadBucket } from "./types.js";

export type { BucketObject, UploadBucket } from "./types.js";
export { LocalInbox, ObjectGoneError, ObjectTooLargeError, isInProgressName } from "./local.js";
export type { LocalInboxOptions } from "./local.js";
export { S3Bucket, parseS3Url } from "./s3.js";
export type { S3BucketOptions, S3Location } from "./s3.js";

/** Options for either kind; each implementation uses the ones that apply to it. */
export type OpenBucketOptions = LocalInboxOptions & S3BucketOptions;

export function openBucket(url: string, options: OpenBucketOptions = {}): UploadBucket {
  const trimmed = url.trim();
  if (trimmed === "") throw new Error("Upload bucket URL is empty");
  if (/^s3:\/\//i.test(trimmed)) return new S3Bucket(trimmed.replace(/^s3/i, "s3"), options);
  if (/^file:/i.test(trimmed)) {
    let dir: string;
    try {
      dir = fileURLToPath(trimmed);
    } catch (e) {
      throw new Error(`Invalid file: URL for the upload bucket: ${url}`, { cause: e });
    }
    return new LocalInbox(dir, options);
  }
  // Any other scheme (http:, gs:, s3a:…) is a mistake, not a folder name. A Windows drive
  // letter (C:\inbox) is a one-letter "scheme" and stays a path.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(trimmed);
  if (scheme) {
    throw new Error(`Unsupported upload bucket "${url}": use a folder path, a file: URL or s3://bucket/prefix`);
  }
  return new LocalInbox(trimmed, options);
}
