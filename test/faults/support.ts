/**
 * Shared pieces of the reliability suite (`npm run test:faults`): a harness that runs real
 * `nianbao` processes against a real Redis and a real store under a queue prefix of its own,
 * builders for hostile inputs (tiny PDFs, ZIPs, zip bombs generated in memory), a sampler of a
 * process's resident memory, a redis-server of our own, and a TCP proxy that can "stop" a
 * service by cutting every connection to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, type Dirent } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { createDeflate, createDeflateRaw, crc32, deflateRawSync } from "node:zlib";
import { Queue, type Job } from "bullmq";
import pg from "pg";
import { expect } from "vitest";
import { parseFailedReason } from "../../src/failures.js";
import { PIPELINE_VERSION } from "../../src/process.js";
import { withDefaultUser } from "../../src/store/pg.js";
import { openStore } from "../../src/store/index.js";
import type { OutputStore } from "../../src/store/types.js";
import { QUEUE_NAMES, STAGES, type Stage } from "../../queues/names.js";
import { CORPUS } from "../support/corpus.js";
import { ARTIFACTS, freshDatabase, REDIS_URL, startCli, stop, uniquePrefix, waitFor, type Proc } from "../support/pipeline.js";
import { buildPdf as sharedBuildPdf, pdfText } from "../support/pdf.js";

export { REDIS_URL, startCli, stop, waitFor, type Proc };
export { repeatedRowsText } from "../support/corpus.js";
export { TcpProxy } from "../support/tcp-proxy.js";

export const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
export const docId = (b: Uint8Array) => `sha256-${sha256(b)}`;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------
// Good documents: small corpus reports, made unique per test with a harmless trailing tag.

const SYNTHETIC = join(CORPUS, "synthetic");
const GOOD = ["s007.txt", "s019.html", "s008.docx", "s021.pdf", "s020.doc", "s024.html", "s015.txt", "s040.pdf"] as const;

/** Bytes of a real report that differ from every other call's (a tag the format ignores). */
export function goodDoc(tag: string, index: number): { name: string; bytes: Buffer } {
  const name = GOOD[index % GOOD.length] as string;
  const base = readFileSync(join(SYNTHETIC, name));
  const t = `nianbao-faults ${tag} ${index}`;
  const ext = name.slice(name.lastIndexOf(".") + 1);
  let bytes: Buffer;
  if (ext === "docx") {
    // A ZIP comment: the archive stays valid.
    const eocd = base.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    bytes = Buffer.concat([base.subarray(0, eocd + 22), Buffer.from(t)]);
    bytes.writeUInt16LE(Buffer.byteLength(t), eocd + 20);
  } else if (ext === "html") bytes = Buffer.concat([base, Buffer.from(`\n<!-- ${t} -->\n`)]);
  else if (ext === "pdf") bytes = Buffer.concat([base, Buffer.from(`\n% ${t}\n`)]);
  else bytes = Buffer.concat([base, Buffer.from(`\n# ${t}\n`)]);
  return { name: `${name.replace(/\.[a-z]+$/, "")}-${index}.${ext}`, bytes };
}

export function corpusBytes(name: string): Buffer {
  return readFileSync(join(SYNTHETIC, name));
}

// ------------------------------------------------------------------------------------------
// Hand-made PDFs (test/support/pdf.ts), as Buffers

/** A PDF with one page per content stream, Helvetica as /F1, and named grey image XObjects. */
export const buildPdf = (pages: readonly string[], opts: { xobjects?: Record<string, [number, number]>; filter?: string } = {}): Buffer =>
  Buffer.from(sharedBuildPdf([...pages], opts));
export { pdfText } from "../support/pdf.js";

// ------------------------------------------------------------------------------------------
// ZIP archives

export interface ZipEntrySpec {
  name: string;
  /** The stored bytes (deflated when method is 8). */
  data: Buffer;
  method: 0 | 8;
  crc: number;
  /** The uncompressed size written in the headers (a bomb may lie here). */
  size: number;
}

export function deflated(name: string, text: string): ZipEntrySpec {
  const b = Buffer.from(text, "utf8");
  return { name, data: deflateRawSync(b), method: 8, crc: crc32(b), size: b.length };
}

/** A ZIP archive (no ZIP64: every size must fit 32 bits). */
export function buildZip(entries: readonly ZipEntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, e.data);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(e.method, 10);
    cd.writeUInt32LE(e.crc >>> 0, 16);
    cd.writeUInt32LE(e.data.length, 20);
    cd.writeUInt32LE(e.size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + e.data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dir, end]);
}

/**
 * `mib` MiB of zeros, deflated (raw) in memory one MiB at a time: about 1 KB per MiB, so a
 * 256 MiB bomb is a 250 KB buffer and nothing large is ever allocated or written to disk.
 */
export async function deflatedZeros(mib: number, format: "raw" | "zlib" = "raw", head: Buffer = Buffer.alloc(0)): Promise<{ data: Buffer; crc: number; size: number }> {
  const z = format === "raw" ? createDeflateRaw({ level: 9 }) : createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  z.on("data", (c: Buffer) => chunks.push(c));
  const zero = Buffer.alloc(1 << 20);
  let crc = crc32(head);
  z.write(head);
  for (let i = 0; i < mib; i++) {
    crc = crc32(zero, crc);
    if (!z.write(zero)) await new Promise((r) => z.once("drain", r));
  }
  await new Promise<void>((r) => z.end(() => r()));
  return { data: Buffer.concat(chunks), crc, size: head.length + mib * (1 << 20) };
}

/** A one-page PDF whose content stream (its text, then `mib` MiB of zeros) is deflated: a flate bomb of about `mib` KB. */
export async function flateBombPdf(mib: number): Promise<Buffer> {
  const z = await deflatedZeros(mib, "zlib", Buffer.from(`${pdfText(72, 720, "bomb")}\n`));
  return buildPdf([z.data.toString("latin1")], { filter: "FlateDecode" });
}

/**
 * A .docx whose `_rels/.rels` makes `word/main.bin` the main document, and whose main.bin
 * declares 1 MiB but inflates to `mib` MiB of zeros: past a guard that looks at names.
 */
export async function relsBombDocx(mib: number): Promise<Buffer> {
  const rels =
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/main.bin"/></Relationships>';
  const z = await deflatedZeros(mib);
  return buildZip([
    deflated("[Content_Types].xml", CONTENT_TYPES),
    deflated("_rels/.rels", rels),
    deflated("word/document.xml", "<w:document/>"),
    { name: "word/main.bin", method: 8, data: z.data, crc: z.crc, size: 1 << 20 },
  ]);
}


export const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="xml" ContentType="application/xml"/></Types>';

// ------------------------------------------------------------------------------------------
// The harness: one pipeline under its own prefix, inbox and store

export interface HarnessOptions {
  tag: string;
  store: "file" | "postgres";
  /** Environment for every process started (over the defaults below). */
  env?: Record<string, string>;
  redisUrl?: string;
}

export type Counts = Record<Stage, Record<string, number>>;
const COUNTED = ["waiting", "prioritized", "active", "delayed", "completed", "failed", "waiting-children"] as const;

export class Harness {
  readonly prefix: string;
  /** The fresh parent folder of everything this harness writes. */
  readonly root: string;
  readonly inbox: string;
  readonly storeUrl: string;
  readonly env: Record<string, string>;
  readonly store: OutputStore;
  readonly queues: Record<Stage, Queue>;
  readonly procs: Proc[] = [];
  /** The PostgreSQL store's database, for counting rows directly. */
  readonly db: pg.Pool | null;
  private constructor(
    o: { prefix: string; root: string; inbox: string; storeUrl: string; env: Record<string, string>; redisUrl: string },
    private readonly dropDb: (() => Promise<void>) | null,
  ) {
    this.prefix = o.prefix;
    this.root = o.root;
    this.inbox = o.inbox;
    this.storeUrl = o.storeUrl;
    this.env = o.env;
    this.store = openStore(o.storeUrl);
    this.queues = Object.fromEntries(
      STAGES.map((s) => [s, new Queue(QUEUE_NAMES[s], { connection: { url: o.redisUrl }, prefix: o.prefix })]),
    ) as Record<Stage, Queue>;
    // A Redis outage (one scenario makes one) must not crash the test process.
    for (const q of Object.values(this.queues)) q.on("error", () => undefined);
    this.db = dropDb ? new pg.Pool({ connectionString: withDefaultUser(o.storeUrl), max: 2 }) : null;
    this.db?.on("error", () => undefined);
  }

  static async create(o: HarnessOptions): Promise<Harness> {
    const prefix = uniquePrefix(o.tag);
    const root = mkdtempSync(join(tmpdir(), `nianbao-faults-${o.tag}-`));
    const inbox = join(root, "inbox");
    mkdirSync(inbox, { recursive: true });
    let storeUrl = join(root, "out");
    let drop: (() => Promise<void>) | null = null;
    if (o.store === "postgres") {
      const db = await freshDatabase(`nianbao_faults_${o.tag}`);
      storeUrl = db.url;
      drop = db.drop;
    }
    const redisUrl = o.redisUrl ?? REDIS_URL;
    const env: Record<string, string> = {
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      STORE_URL: storeUrl,
      INBOX: inbox,
      CONCURRENCY: "1",
      POLL_INTERVAL_MS: "100",
      // Every drop is written to `name.part` and renamed into place, so first sight is safe.
      STABLE_CHECKS: "1",
      // ...and so is a cut file (some scenarios drop one on purpose): no waiting for it to
      // complete (uploads.test.ts sets its own, to test the wait).
      INCOMPLETE_GRACE_MS: "0",
      LOCK_DURATION_MS: "5000",
      STALLED_INTERVAL_MS: "1000",
      BACKOFF_MS: "200",
      SHUTDOWN_TIMEOUT_MS: "5000",
      LOG_LEVEL: "info",
      // `nianbao start` would also serve the dashboard (on 8080 by default): not wanted here.
      DASHBOARD_PORT: "off",
      ...o.env,
    };
    const h = new Harness({ prefix, root, inbox, storeUrl, env, redisUrl }, drop);
    await h.store.init();
    return h;
  }

  /** Starts `nianbao ARGS` with this harness's environment (plus `env`). */
  start(name: string, args: string[], env: Record<string, string> = {}): Proc {
    const p = startCli(`${this.prefix}-${name}`, args, { ...this.env, ...env });
    this.procs.push(p);
    return p;
  }

  /** Starts a `nianbao worker` and a `nianbao watch` of the inbox, and samples the worker's RSS every 50 ms. */
  startPipeline(): { worker: Proc; rss: RssSampler } {
    const worker = this.start("worker", ["worker"]);
    this.start("watch", ["watch", this.inbox]);
    return { worker, rss: new RssSampler(worker.child.pid as number, 50) };
  }

  /**
   * Drops a file into the inbox by write-then-rename (the temporary name is a dotfile at the
   * inbox root, which the watcher ignores, so a 255-byte name needs no room for a suffix);
   * returns its document id.
   */
  drop(relPath: string, bytes: Uint8Array): string {
    const abs = join(this.inbox, relPath);
    mkdirSync(dirname(abs), { recursive: true });
    const tmp = join(this.inbox, `.drop-${process.pid}-${this.drops++}`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, abs);
    return docId(bytes);
  }
  private drops = 0;

  /** Whether every one of these documents has its result stored at this pipeline version. */
  async allStored(docs: readonly Uint8Array[]): Promise<boolean> {
    for (const bytes of docs) if (!(await this.store.hasResult(sha256(bytes), PIPELINE_VERSION))) return false;
    return true;
  }

  async job(stage: Stage, id: string): Promise<Job | undefined> {
    return this.queues[stage].getJob(id);
  }

  /** Waits until the job is completed or failed, and returns it with its state. */
  async settled(stage: Stage, id: string, timeoutMs = 60_000): Promise<{ job: Job; state: string }> {
    return waitFor(
      `${stage} job ${id.slice(0, 20)}… to settle`,
      async () => {
        const job = await this.queues[stage].getJob(id);
        if (!job) return null;
        const state = await job.getState();
        if (state !== "completed" && state !== "failed") return null;
        // Read again: the job read above may be from before it settled (no failedReason yet).
        const settled = await this.queues[stage].getJob(id);
        return settled ? { job: settled, state } : null;
      },
      timeoutMs,
      100,
    );
  }

  async counts(): Promise<Counts> {
    const out = {} as Counts;
    for (const s of STAGES) out[s] = await this.queues[s].getJobCounts(...COUNTED);
    return out;
  }

  /** Every stage's counts, with only the non-zero ones kept (for exact comparisons). */
  async nonZeroCounts(): Promise<Record<Stage, Record<string, number>>> {
    const c = await this.counts();
    const out = {} as Record<Stage, Record<string, number>>;
    for (const s of STAGES) out[s] = Object.fromEntries(Object.entries(c[s]).filter(([, n]) => n !== 0));
    return out;
  }

  /**
   * The non-zero counts once they equal `expected`, or (after `timeoutMs`) as they are then,
   * for the caller's exact comparison. A result is in the store a moment before its job is
   * marked completed, so counts read right after a result appears can still show it active.
   */
  async countsWhen(expected: Record<Stage, Record<string, number>>, timeoutMs = 30_000): Promise<Record<Stage, Record<string, number>>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.nonZeroCounts();
      if (isDeepStrictEqual(c, expected) || Date.now() > until) return c;
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => stop(p).catch(() => undefined)));
    for (const q of Object.values(this.queues)) {
      await q.obliterate({ force: true }).catch(() => undefined);
      await q.close().catch(() => undefined);
    }
    await this.store.close().catch(() => undefined);
    await this.db?.end().catch(() => undefined);
    await this.dropDb?.().catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------
// The end state of a refused file

export interface RefusedFile {
  file: string;
  /**
   * The step that refuses it: parsing, or reconstructing and validating. A new document runs
   * both (and the store) in its extract job, so either way that job is the one that fails.
   */
  stage: "extract" | "reconstruct";
  code: string;
  /** Its job's failed reason. */
  reason: RegExp;
}

/**
 * Drops a hostile file and asserts what it leaves: its extract job failed once (bad input is
 * never retried) with its code and reason, no job in the other stages, no result, exactly one
 * failure record with its code, and the original untouched in the inbox. Returns how long
 * the failed job ran, in ms.
 */
export async function expectRefusedAlone(h: Harness, c: RefusedFile, bytes: Buffer, timeoutMs = 60_000): Promise<number> {
  const id = h.drop(c.file, bytes);
  const { job, state } = await h.settled("extract", id, timeoutMs);
  expect(state).toBe("failed");
  expect(parseFailedReason(job.failedReason).code).toBe(c.code);
  expect(job.failedReason).toMatch(c.reason);
  expect(job.attemptsMade).toBe(1);
  for (const stage of ["reconstruct", "store"] as const) expect(await h.job(stage, id)).toBeUndefined();
  expect(await h.store.hasResult(sha256(bytes), PIPELINE_VERSION)).toBe(false);
  // the failure is recorded in the store, once, with the same code
  const failures = await waitFor("the failure record", async () => {
    const all = (await h.store.listFailures(100)).filter((f) => f.sha256 === sha256(bytes));
    return all.length > 0 ? all : null;
  });
  expect(failures.map((f) => f.code)).toEqual([c.code]);
  expect(sha256(readFileSync(join(h.inbox, c.file)))).toBe(sha256(bytes));
  return (job.finishedOn ?? 0) - (job.processedOn ?? 0);
}

/** Drops good document `index` and waits until it is stored, the worker still alive; returns its sha256. */
export async function expectServesNext(h: Harness, worker: Proc, index: number): Promise<string> {
  const good = goodDoc(h.prefix, index);
  h.drop(join("good", good.name), good.bytes);
  await waitFor(`good document ${good.name} to be stored`, () => h.store.hasResult(sha256(good.bytes), PIPELINE_VERSION), 60_000);
  expect(isAlive(worker)).toBe(true);
  return sha256(good.bytes);
}

/** The non-zero counts per stage once every refused file and every good one has settled. */
export function settledCounts(refused: readonly RefusedFile[], goods: number): Record<Stage, Record<string, number>> {
  return liveCounts({ completed: goods, failed: refused.length });
}

/**
 * The non-zero counts per stage when new documents (not a reprocessing run) have settled: each
 * in its extract job, which also reconstructs and stores; the other queues stay empty.
 */
export function liveCounts(extract: Record<string, number>): Record<Stage, Record<string, number>> {
  return { extract: Object.fromEntries(Object.entries(extract).filter(([, n]) => n !== 0)), reconstruct: {}, store: {} };
}

// ------------------------------------------------------------------------------------------
// Processes

/** Samples a process's resident set size (VmRSS, threads included) until stopped. */
export class RssSampler {
  maxBytes = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }
  sample(): void {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"));
      if (m) {
        this.maxBytes = Math.max(this.maxBytes, Number(m[1]) * 1024);
        this.samples++;
      }
    } catch {
      // the process is gone
    }
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

export const isAlive = (p: Proc) => p.child.exitCode === null && p.child.signalCode === null;

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves once something on 127.0.0.1:port answers a Redis PING. */
export async function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    sock.setTimeout(1000);
    let buf = "";
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) {
        sock.destroy();
        resolve(buf.startsWith("+PONG"));
      }
    });
    sock.on("error", () => resolve(false));
    sock.on("timeout", () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/** A redis-server of our own, with AOF fsynced on every write, in `dir`. */
export async function startRedis(port: number, dir: string, logName: string): Promise<ChildProcess> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--appendonly", "yes", "--appendfsync", "always"];
  args.push("--dir", dir, "--save", "", "--maxmemory-policy", "noeviction");
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  let failed: Error | null = null;
  child.on("error", (e) => (failed = new Error(`cannot run redis-server (is it installed? .ci/services.sh installs it): ${e.message}`)));
  const log = createWriteStream(join(ARTIFACTS, `${logName}.log`), { flags: "a" });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  await waitFor(
    `redis-server on port ${port}`,
    async () => {
      if (failed) throw failed;
      return child.exitCode === null && (await redisPing(port));
    },
    10_000,
    50,
  );
  return child;
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

/** Every file (not folder) under `dir`, as absolute paths; symbolic links are listed, not followed. */
export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const abs = join(d, e.name);
      if (e.isDirectory()) stack.push(abs);
      else out.push(abs);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// A raw S3 endpoint: ListObjectsV2 and GetObject over objects held in memory, with keys
// taken literally (s3rver keeps objects as files and so cannot hold `../`, `//` or NUL keys).

const xmlText = (s: string) =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    // Control characters as character references, as S3 does; the SDK's parser reads them.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f]/g, (c) => `&#${c.charCodeAt(0)};`);

export class RawS3 {
  readonly objects = new Map<string, Buffer>();
  /** The request targets received, undecoded (what the client really asked for). */
  readonly requests: string[] = [];
  private server: HttpServer | null = null;

  constructor(readonly bucket: string) {}

  async start(): Promise<string> {
    const server = createHttpServer((req, res) => {
      const target = req.url ?? "/";
      this.requests.push(target);
      const q = target.indexOf("?");
      const path = q < 0 ? target : target.slice(0, q);
      const params = new URLSearchParams(q < 0 ? "" : target.slice(q + 1));
      const head = `/${this.bucket}`;
      if (req.method === "GET" && (path === head || path === `${head}/`) && params.get("list-type") === "2") {
        const prefix = params.get("prefix") ?? "";
        const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const contents = keys
          .map((k) => {
            const body = this.objects.get(k) as Buffer;
            const etag = createHash("md5").update(body).digest("hex");
            return `<Contents><Key>${xmlText(k)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;${etag}&quot;</ETag><Size>${body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
          })
          .join("");
        res.writeHead(200, { "content-type": "application/xml" });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
            `<Name>${this.bucket}</Name><Prefix>${xmlText(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount>` +
            `<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
        );
        return;
      }
      if (req.method === "GET" && path.startsWith(`${head}/`)) {
        const key = decodeURIComponent(path.slice(head.length + 1));
        const body = this.objects.get(key);
        if (body) {
          const etag = createHash("md5").update(body).digest("hex");
          res.writeHead(200, { "content-length": body.length, etag: `"${etag}"`, "content-type": "application/octet-stream" });
          res.end(body);
          return;
        }
        res.writeHead(404, { "content-type": "application/xml" });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`);
        return;
      }
      res.writeHead(400, { "content-type": "application/xml" });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidRequest</Code><Message>not supported here</Message></Error>`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    const closed = new Promise((r) => s.close(r));
    s.closeAllConnections(); // the SDK keeps connections alive
    await closed;
  }
}
