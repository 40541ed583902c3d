/**
 * S3Bucket: the upload bucket as an S3-compatible bucket (`s3://bucket/prefix`): AWS S3,
 * MinIO, Ceph RGW, s3rver…
 *
 * Two ways to learn about uploads, which can be combined:
 *  - `poll()` lists the prefix (ListObjectsV2, every page) and returns each (key, ETag) it
 *    has not returned before. S3 objects appear atomically once the upload completes, so no
 *    stability wait is needed. The listing has no VersionId, so polled objects carry
 *    `versionId: null`; a HeadObject per object to fetch it would cost one request per key
 *    on every new object of a huge listing, so it is not done (read() then gets the latest).
 *  - `handleNotification(body)` takes an S3 event notification (MinIO webhook, SQS/SNS
 *    message) and returns the created objects at once, with their VersionId; they are then
 *    marked seen so the next poll doesn't return them again.
 *
 * URIs are `s3://bucket/key` with the key as stored (not URL-encoded: spaces and Chinese stay
 * as they are), the convention of the AWS CLI. Keys returned in BucketObject.key are relative
 * to the prefix. ETags are kept without their surrounding quotes (as in event notifications).
 *
 * Originals are only ever read: nothing here puts, copies or deletes objects.
 */
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { z } from "zod";
import { ObjectGoneError, ObjectOutsideBucketError, ObjectTooLargeError } from "./local.js";
import type { BucketObject, UploadBucket } from "./types.js";

export interface S3BucketOptions {
  /** e.g. `http://127.0.0.1:9000`. Default: `S3_ENDPOINT`, else AWS's own endpoint. */
  endpoint?: string;
  /** Default: `S3_REGION`, else `us-east-1`. */
  region?: string;
  /** Default: the SDK's chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, roles…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Default: `S3_FORCE_PATH_STYLE`, else true when an endpoint is set (MinIO and friends). */
  forcePathStyle?: boolean;
  /** `read()` refuses objects larger than this many bytes. Default: no limit. */
  maxBytes?: number;
  /** Keys per ListObjectsV2 page (S3 caps it at 1000). Default: the server's (1000). */
  pageSize?: number;
  /** Environment to read the S3_* settings from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface S3Location {
  bucket: string;
  /** Empty, or ending with `/`: `s3://b/2021` and `s3://b/2021/` both mean the folder `2021/`. */
  prefix: string;
}

/** Parses `s3://bucket` or `s3://bucket/prefix`. The prefix is taken literally (no %-decoding). */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/s.exec(url);
  const bucket = match?.[1];
  if (!match || bucket === undefined) throw new Error(`Not an s3://bucket/prefix URL: ${url}`);
  // Today's rules are lower-case letters, digits, dots and hyphens; legacy AWS buckets may
  // also have capitals and underscores, so only clearly impossible names are refused here.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(bucket)) {
    throw new Error(`Invalid S3 bucket name "${bucket}" in ${url}`);
  }
  let prefix = (match[2] ?? "").replace(/^\/+/, "");
  if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
  return { bucket, prefix };
}

function parseBool(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`${name} must be true or false, got "${value}"`);
}

/** S3 returns ETags quoted (`"abc"`), event notifications unquoted: compare them unquoted. */
function unquote(etag: string | undefined | null): string | null {
  if (etag === undefined || etag === null || etag === "") return null;
  return etag.replace(/^(W\/)?"(.*)"$/, "$2");
}

// The standard S3 event notification. Only the fields used are checked; the rest may vary
// between AWS, MinIO and Ceph, so objects are loose.
const S3EventRecord = z.looseObject({
  eventName: z.string(),
  eventTime: z.string().optional(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string() }),
    object: z.looseObject({
      key: z.string(),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
    }),
  }),
});
const S3Event = z.looseObject({ Records: z.array(S3EventRecord) });
/** SNS wraps the event as a JSON string in `Message` (SNS → SQS without raw delivery). */
const SnsEnvelope = z.looseObject({ Type: z.literal("Notification"), Message: z.string() });

/** Accepts the event as an object or as the JSON text an SQS message body carries. */
function unwrapEvent(body: unknown): unknown {
  let value = body;
  for (let depth = 0; depth < 3; depth++) {
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch (e) {
        throw new Error("S3 notification body is not JSON", { cause: e });
      }
      continue;
    }
    const sns = SnsEnvelope.safeParse(value);
    if (!sns.success) return value;
    value = sns.data.Message;
  }
  return value;
}

interface Seen {
  etag: string | null;
  /** Number of the poll during (or after) which the entry was last confirmed. */
  poll: number;
}

interface Listed {
  key: string;
  etag: string | null;
  size: number;
  mtime: string | null;
}

export class S3Bucket implements UploadBucket {
  readonly root: string;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly maxBytes: number | undefined;
  private readonly pageSize: number | undefined;
  /** Full key → last (ETag) returned. Only keys, no contents: about 100 bytes a key. */
  private readonly seen = new Map<string, Seen>();
  private pollCount = 0;
  /** Polls run one after another, so two listings never race over `seen`. */
  private polling: Promise<unknown> = Promise.resolve();

  constructor(url: string, options: S3BucketOptions = {}) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Url(url));
    this.root = `s3://${this.bucket}/${this.prefix}`;
    this.maxBytes = options.maxBytes;
    this.pageSize = options.pageSize;

    const env = options.env ?? process.env;
    const endpoint = options.endpoint ?? (env.S3_ENDPOINT || undefined);
    const config: S3ClientConfig = {
      region: options.region ?? (env.S3_REGION || "us-east-1"),
      forcePathStyle:
        options.forcePathStyle ?? parseBool(env.S3_FORCE_PATH_STYLE, "S3_FORCE_PATH_STYLE") ?? endpoint !== undefined,
      // Newer SDKs add CRC checksums to every request by default; servers other than AWS
      // (older MinIO, Ceph, s3rver) reject or mangle them. Only send/check them when required.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    };
    if (endpoint !== undefined) config.endpoint = endpoint;
    if (options.credentials) config.credentials = options.credentials;
    this.client = new S3Client(config);
  }

  poll(): Promise<BucketObject[]> {
    const run = this.polling.then(() => this.pollOnce());
    this.polling = run.catch(() => undefined);
    return run;
  }

  private async pollOnce(): Promise<BucketObject[]> {
    const pollNo = ++this.pollCount;
    // Only candidates (keys not yet returned with this ETag) are kept, plus the set of listed
    // keys for pruning; nothing is marked seen until every page has been listed, so a failed
    // page loses nothing: the next poll simply lists again.
    const candidates: Listed[] = [];
    const listed = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix || undefined,
            ContinuationToken: token,
            MaxKeys: this.pageSize,
          }),
        )
        .catch((e: unknown) => {
          throw new Error(`Listing ${this.root} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        });
      for (const item of page.Contents ?? []) {
        const key = item.Key;
        if (key === undefined || key.endsWith("/")) continue; // folder placeholders
        listed.add(key);
        const etag = unquote(item.ETag);
        if (this.isSeen(key, etag)) continue;
        candidates.push({ key, etag, size: item.Size ?? 0, mtime: item.LastModified?.toISOString() ?? null });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);

    const fresh: BucketObject[] = [];
    for (const c of candidates) {
      // A notification may have delivered it while the listing ran.
      if (this.isSeen(c.key, c.etag)) continue;
      this.seen.set(c.key, { etag: c.etag, poll: pollNo });
      fresh.push({ ...this.ref(c.key), size: c.size, etag: c.etag, mtime: c.mtime, versionId: null });
    }
    for (const [key, entry] of this.seen) {
      if (listed.has(key)) entry.poll = pollNo;
      // Deleted keys are forgotten, except those a notification marked during this listing:
      // they may have been created after the listing passed their place.
      else if (entry.poll < pollNo) this.seen.delete(key);
    }
    return fresh;
  }

  private isSeen(key: string, etag: string | null): boolean {
    const entry = this.seen.get(key);
    // Without an ETag on both sides there is nothing to compare: treat it as new.
    return entry !== undefined && entry.etag !== null && entry.etag === etag;
  }

  private ref(fullKey: string): Pick<BucketObject, "uri" | "key"> {
    return { uri: `s3://${this.bucket}/${fullKey}`, key: fullKey.slice(this.prefix.length) };
  }

  /**
   * Parses an S3 event notification (an object, or the JSON text of an SQS message body, or
   * an SNS envelope around it) and returns the objects it reports created under this bucket
   * and prefix that were not returned before. Throws on a body that isn't an S3 event; the
   * AWS `s3:TestEvent` yields []. A created record without a size is skipped: the next poll
   * will find the object.
   */
  handleNotification(body: unknown): BucketObject[] {
    const value = unwrapEvent(body);
    if (typeof value === "object" && value !== null && "Event" in value && value.Event === "s3:TestEvent") {
      return [];
    }
    const parsed = S3Event.safeParse(value);
    if (!parsed.success) {
      throw new Error(`Not an S3 event notification: ${z.prettifyError(parsed.error)}`);
    }

    const found = new Map<string, BucketObject>();
    for (const record of parsed.data.Records) {
      if (!record.eventName.startsWith("ObjectCreated:") && !record.eventName.startsWith("s3:ObjectCreated:")) {
        continue;
      }
      const { bucket, object } = record.s3;
      if (bucket.name !== this.bucket || object.size === undefined) continue;
      let key: string;
      try {
        // Keys arrive form-encoded: '+' for a space, %XX for everything else.
        key = decodeURIComponent(object.key.replace(/\+/g, " "));
      } catch {
        continue; // malformed escape: leave it to the poll
      }
      if (!key.startsWith(this.prefix) || key.endsWith("/")) continue;
      found.set(key, {
        ...this.ref(key),
        size: object.size,
        etag: unquote(object.eTag),
        versionId: object.versionId || null,
        mtime: record.eventTime ?? null,
      });
    }

    const fresh: BucketObject[] = [];
    for (const [key, obj] of found) {
      const etag = obj.etag ?? null;
      if (this.isSeen(key, etag)) continue; // duplicate delivery (SQS is at-least-once) or polled
      this.seen.set(key, { etag, poll: this.pollCount });
      fresh.push(obj);
    }
    return fresh;
  }

  async read(object: Pick<BucketObject, "uri" | "versionId">): Promise<Buffer> {
    const response = await this.get(object);
    const body = response.Body;
    if (body === undefined) throw new Error(`Reading ${object.uri} returned no body`);
    const length = response.ContentLength;
    if (this.maxBytes !== undefined && length !== undefined && length > this.maxBytes) {
      // Don't download what will be refused; free the socket.
      if (body instanceof Readable) body.destroy();
      throw new ObjectTooLargeError(object.uri, length, this.maxBytes);
    }
    const bytes = Buffer.from(await body.transformToByteArray());
    if (this.maxBytes !== undefined && bytes.length > this.maxBytes) {
      throw new ObjectTooLargeError(object.uri, bytes.length, this.maxBytes);
    }
    return bytes;
  }

  /** The SHA-256 (hex) of an object, streamed: memory stays flat whatever its size. */
  async hash(object: Pick<BucketObject, "uri" | "versionId">): Promise<string> {
    const body = (await this.get(object)).Body;
    if (!(body instanceof Readable)) throw new Error(`Reading ${object.uri} returned no stream`);
    const h = createHash("sha256");
    for await (const chunk of body) h.update(chunk as Buffer);
    return h.digest("hex");
  }

  /** GetObject of an object of this bucket (the key checked first); a gone one is ObjectGoneError. */
  private async get(object: Pick<BucketObject, "uri" | "versionId">): Promise<GetObjectCommandOutput> {
    const key = this.keyOf(object.uri);
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: object.versionId ?? undefined }));
    } catch (e) {
      if (e instanceof S3ServiceException && ["NoSuchKey", "NoSuchVersion", "NotFound"].includes(e.name)) {
        throw new ObjectGoneError(object.uri, { cause: e });
      }
      throw new Error(`Reading ${object.uri} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** The full object key of an `s3://bucket/key` URI, refusing other buckets and prefixes (nothing is requested). */
  private keyOf(uri: string): string {
    const head = `s3://${this.bucket}/`;
    if (!uri.startsWith(head)) throw new ObjectOutsideBucketError(uri, this.root, `not in bucket ${this.bucket}`);
    const key = uri.slice(head.length);
    if (!key.startsWith(this.prefix) || key === this.prefix) throw new ObjectOutsideBucketError(uri, this.root, "outside the prefix");
    // (`..` segments are literal in S3: a key is a name, not a path, so they stay inside.)
    return key;
  }

  async close(): Promise<void> {
    await this.polling;
    this.client.destroy();
  }
}
