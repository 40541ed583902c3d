/**
 * The versioned extraction artifact, end to end: the real Redis, a real file store, a real
 * worker process and the real `nianbao reprocess --from reconstruct`, on real files.
 *
 * A stored extraction written by an older extractor (EXTRACTOR_VERSION below the running one),
 * or one that does not match the schema, is not reused: the reconstruct stage extracts the
 * original again, rewrites the artifact with the current version, says so in its log, and the
 * result is the one a fresh extraction gives. A current artifact is reused as it is.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { EXTRACTOR_VERSION, readStoredDocument, type IntermediateDocument } from "../src/document.js";
import { buildEnvelope, extractBytes, sha256 } from "../src/process.js";
import { openStore } from "../src/store/index.js";
import type { OutputStore, SourceRef } from "../src/store/types.js";
import { StageQueues } from "../queues/connection.js";
import { extractionKey } from "../queues/jobs.js";
import { cli } from "./support/cli.js";
import { CORPUS } from "./support/corpus.js";
import { ARTIFACTS, pipelineEnv, startCli, stop, testStore, uniquePrefix, type Proc } from "./support/pipeline.js";

const FILES = {
  /** Its artifact is from extractor version 0, and holds no blocks: reusing it would lose the report. */
  older: "synthetic/s016.txt",
  /** Its artifact does not match the schema (blocks is not a list). */
  invalid: "synthetic/s019.html",
  /** Its artifact is current: it is reused, not extracted again. */
  current: "synthetic/s027.txt",
} as const;

describe.sequential("reprocess --from reconstruct after an extractor version bump", () => {
  const prefix = uniquePrefix("xv");
  const root = mkdtempSync(join(tmpdir(), "nianbao-extractor-version-"));
  let env: Record<string, string>;
  let store: OutputStore;
  let worker: Proc;
  const sha: Record<keyof typeof FILES, string> = { older: "", invalid: "", current: "" };

  beforeAll(async () => {
    const { url } = await testStore("file", root, "unused");
    env = pipelineEnv(prefix, url, {});
    store = openStore(url);
    await store.init();
    for (const [which, name] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
      const bytes = readFileSync(join(CORPUS, name));
      const path = join(root, "archive", name);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, bytes);
      const ex = await extractBytes(bytes, { fileName: name.split("/")[1] ?? null });
      sha[which] = ex.sha256;
      const artifact =
        which === "older"
          ? JSON.stringify({ ...ex.document, extractor: 0, blocks: [] })
          : which === "invalid"
            ? JSON.stringify({ ...ex.document, blocks: "not a list" })
            : JSON.stringify(ex.document);
      await store.putArtifact(extractionKey(ex.sha256), artifact);
      // An old result, so that `reprocess --all` selects the document.
      const envelope = buildEnvelope(ex);
      envelope.pipeline.version = "0.0.1";
      const source: SourceRef = { uri: pathToFileURL(path).href, key: name, size: bytes.length, versionId: null, etag: null, mtime: null };
      await store.putResult(envelope, source);
      await store.recordIngest(ex.sha256, source);
    }
    worker = startCli(`${prefix}-worker`, ["worker"], env);
  }, 60_000);

  afterAll(async () => {
    if (worker) await stop(worker);
    const queues = new StageQueues(loadConfig(env), "producer");
    for (const q of Object.values(queues.queues)) await q.obliterate({ force: true }).catch(() => undefined);
    await queues.close();
    await store?.close();
  }, 60_000);

  it("rereads the schema: an older or malformed artifact is refused, a current one accepted", () => {
    const doc: IntermediateDocument = { extractor: EXTRACTOR_VERSION, mediaType: "text/plain", pages: null, blocks: [{ kind: "text", text: "x" }], warnings: [] };
    expect(readStoredDocument(JSON.stringify(doc))).toEqual({ ok: true, document: doc });
    expect(readStoredDocument(JSON.stringify({ ...doc, extractor: EXTRACTOR_VERSION - 1 }))).toMatchObject({ ok: false, reason: expect.stringMatching(/older than/) });
    const { extractor: _omit, ...unversioned } = doc;
    // Stored before extractions carried a version: version 0.
    expect(readStoredDocument(JSON.stringify(unversioned))).toMatchObject({ ok: false, reason: expect.stringMatching(/version 0, older than/) });
    const cell = { row: 0, col: 0, rowSpan: 1, colSpan: 1, text: "1" };
    const table = (c: object) => ({ ...doc, blocks: [{ kind: "table", nRows: 1, nCols: 1, rows: [[c]] }] });
    expect(readStoredDocument(JSON.stringify(table({ ...cell, confidence: 0.5 }))).ok).toBe(true);
    expect(readStoredDocument(JSON.stringify(table({ ...cell, confidence: 1.5 }))).ok).toBe(false);
    expect(readStoredDocument(JSON.stringify(table({ ...cell, rowSpan: 0 }))).ok).toBe(false);
    expect(readStoredDocument("{not json").ok).toBe(false);
  });

  it("re-extracts the older and the invalid artifact, rewrites them at the current version, and reuses the current one", async () => {
    const run = await cli(`${prefix}-reprocess`, ["reprocess", "--all", "--from", "reconstruct"], env, root);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("3 documents: 3 done, 0 failed, 0 remaining");

    for (const [which, name] of Object.entries(FILES) as [keyof typeof FILES, string][]) {
      const bytes = readFileSync(join(CORPUS, name));
      expect(sha256(bytes)).toBe(sha[which]);
      const fresh = await extractBytes(bytes, { fileName: name.split("/")[1] ?? null });
      // The artifact is the current extraction.
      const stored = readStoredDocument((await store.getArtifact(extractionKey(sha[which]))) ?? "");
      expect(stored).toEqual({ ok: true, document: fresh.document });
      // The result is the one a fresh extraction gives.
      const result = await store.getResult(sha[which]);
      expect(result?.envelope).toEqual(buildEnvelope(fresh));
    }

    // The worker said why it extracted again, for those two only; no extract job was needed.
    const log = readFileSync(join(ARTIFACTS, `${worker.name}.log`), "utf8").split("\n");
    const reextracted = log.filter((l) => l.includes(`"msg":"re-extracting"`));
    expect(reextracted).toHaveLength(2);
    expect(reextracted.find((l) => l.includes(sha.older))).toMatch(/extractor version 0, older than/);
    expect(reextracted.find((l) => l.includes(sha.invalid))).toMatch(/does not match the schema/);
    expect(log.filter((l) => l.includes(`"msg":"extracting"`) && l.includes(sha.current))).toHaveLength(0);
  }, 120_000);
});
