/**
 * The upload bucket: where originals arrive. A local folder by default (./data/inbox), an
 * S3-compatible bucket in production (s3://bucket/prefix). Originals are only ever read:
 * never modified, moved or deleted.
 */
import type { SourceRef } from "../store/types.js";

export interface BucketObject extends SourceRef {
  /** Sub-path below the root, with `/` separators (`2021/淮安市/x.pdf`). */
  key: string;
}

export interface UploadBucket {
  /** `file:///…` or `s3://bucket/prefix` */
  readonly root: string;
  /**
   * Objects that are complete and not yet returned by an earlier call: a local file only
   * once its size and mtime held still over `stableChecks` polls (or after the
   * write-then-rename convention put it in place); an S3 object once listed.
   */
  poll(): Promise<BucketObject[]>;
  /** Reads an object's bytes (the whole object, as stored). */
  read(object: Pick<BucketObject, "uri" | "versionId">): Promise<Buffer>;
  /** The SHA-256 (hex) of an object, read as a stream (memory stays flat whatever its size). */
  hash(object: Pick<BucketObject, "uri" | "versionId">): Promise<string>;
  /** Objects the polls since the last call found but skip for good, with the reason (each once). */
  takeRefused?(): { key: string; reason: string }[];
  close(): Promise<void>;
}
