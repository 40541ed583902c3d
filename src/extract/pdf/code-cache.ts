/**
 * pdf.js's worker code (2 MB of JavaScript) compiled through V8's code cache; the parser
 * thread's bundle goes through compileCached() too (workers/thread-entry.ts).
 *
 * Every parser thread compiles that code again: about 35 ms of CPU to load it, and more while
 * the first document runs, as each function is compiled on its first call. That is a large
 * part of a one-file `nianbao extract`. Node 20 keeps no code cache for ES modules, so the
 * module's text is run as a script instead (asScript): the same code in a function, with its
 * `export { … }` returned and `import.meta` passed in. V8 then takes the bytecode from a cache
 * file written by an earlier thread, after that thread's first document, so that it holds the
 * functions a document needs.
 *
 * The cache is only ever an optimisation:
 * - V8 checks that a cache fits its version and flags, and refuses it otherwise
 *   (`cachedDataRejected`); the file is then written again. The file's name holds a hash of the
 *   source (V8 itself compares only its length) and of the process's command-line options (flags
 *   set at run time, src/tuning.ts, are left to V8's own check).
 * - The folder is the user's own (created 0700; one owned by someone else, or open to others,
 *   is not used: its files would run as code). Files are written whole (temporary name, then
 *   rename), with a SHA-256 of their data in front, checked before V8 sees it. Nothing read or
 *   written there can fail a document: errors only leave it uncached.
 * - The folder keeps the 8 newest cache files (pruned when one is written).
 * - NIANBAO_CODE_CACHE names the folder (default: nianbao-code-cache-UID in the temporary
 *   folder), or `off`.
 */
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { threadId } from "node:worker_threads";
import vm from "node:vm";

/** The folder of the cache files, or null when switched off. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const v = env.NIANBAO_CODE_CACHE;
  if (v === "off" || v === "0") return null;
  if (v !== undefined && v !== "") return path.resolve(v);
  return path.join(tmpdir(), `nianbao-code-cache-${process.getuid?.() ?? "user"}`);
}

/**
 * An ES module's text as a script defining one function: `(function (importMeta) { … return
 * { exports }; })`. Null if the module is not of the one shape this handles: a bundle with no
 * `import` declarations and a single `export { … }` list as its last statement (pdf.js's
 * builds). A module with top-level `await` does not compile as a script: runCached() says so.
 *
 * A dynamic `import()` in the script throws (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): Node 20
 * offers a loader for scripts only as an experimental feature, which warns, and which a script
 * from the code cache loses. pdf.js's worker code has one, for a fallback JPEG 2000 decoder,
 * inside a try/catch; nianbao never decodes an image (pdfjs.ts, maxImageSize).
 */
export function asScript(source: string): string | null {
  const tail = /\nexport \{([^}]*)\};\s*(?:\/\/# sourceMappingURL=\S*\s*)?$/.exec(source);
  if (!tail) return null;
  const body = source.slice(0, tail.index);
  // Any other static import or export at the start of a line: not this shape.
  if (/^(?:import|export)\b/m.test(body)) return null;
  const entries: string[] = [];
  for (const part of tail[1]!.split(",")) {
    const m = /^\s*([\w$]+)(?:\s+as\s+([\w$]+))?\s*$/.exec(part);
    if (!m) {
      if (part.trim() === "") continue;
      return null;
    }
    entries.push(`${JSON.stringify(m[2] ?? m[1])}: ${m[1]}`);
  }
  return `(function (__nianbaoImportMeta) {"use strict";\n${body.replace(/\bimport\.meta\b/g, "__nianbaoImportMeta")}\nreturn { ${entries.join(", ")} };\n})`;
}

/** A script compiled through the code cache. */
export interface CachedScript {
  /** What running the script gave (for asScript's text, the function that runs the module). */
  value: unknown;
  /** Whether V8 took its bytecode from the cache. */
  fromCache: boolean;
  /**
   * Writes the cache, once, if it was missing or refused: best after the code has run a while,
   * so that it holds the functions compiled on their first call. Never throws.
   */
  save(): void;
}

/**
 * Compiles `script` as the file `filename`, with the cache in `dir` (none if null), and runs
 * it. Null if it does not compile (a module's top-level `await`, say); throws what running it
 * throws.
 */
export function compileCached(script: string, name: string, filename: string, dir: string | null): CachedScript | null {
  const file = dir === null ? null : path.join(dir, `${name}-${cacheKey(script)}.v8cache`);
  const cachedData = file === null ? undefined : readCache(dir!, file);
  let compiled: vm.Script;
  try {
    compiled = new vm.Script(script, { filename, cachedData });
  } catch {
    return null;
  }
  const fromCache = cachedData !== undefined && compiled.cachedDataRejected === false;
  const value: unknown = compiled.runInThisContext();
  let saved = fromCache || file === null;
  return {
    value,
    fromCache,
    save() {
      if (saved) return;
      saved = true;
      writeCache(dir!, file!, compiled);
    },
  };
}

/** A module run as a script (asScript), with the code cache. */
export interface CachedModule extends Omit<CachedScript, "value"> {
  exports: Record<string, unknown>;
}

/** Runs `script` (from asScript) as if it were the module at `url`: compileCached(), then the module. */
export function runCached(script: string, name: string, url: string, dir: string | null): CachedModule | null {
  const cached = compileCached(script, name, url, dir);
  if (cached === null) return null;
  const run = cached.value as (meta: { url: string }) => Record<string, unknown>;
  return { exports: run({ url }), fromCache: cached.fromCache, save: () => cached.save() };
}

/** Source, V8 version and options: a different one of any of them is a different file. */
function cacheKey(script: string): string {
  return createHash("sha256")
    .update(script)
    .update(`\0${process.version}\0${process.arch}\0${process.execArgv.join(" ")}`)
    .digest("hex")
    .slice(0, 24);
}

/** The folder, if it is a real folder of this user, closed to others; made if missing. */
function ownFolder(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    return st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** A cache file: the SHA-256 of V8's data, then the data. */
const DIGEST_BYTES = 32;
const digest = (data: Uint8Array) => createHash("sha256").update(data).digest();

/**
 * The cached data, if the file is whole. V8 checks a cache's version, flags and length, but not
 * (in release builds) its bytes: one changed byte aborts the whole process (tried: a fatal
 * "Check failed" in V8's deserializer), so a damaged file must never reach it.
 */
function readCache(dir: string, file: string): Buffer | undefined {
  try {
    if (!ownFolder(dir)) return undefined;
    const st = lstatSync(file);
    // A cache is ~1–3 MB; anything else here is not ours.
    if (!st.isFile() || st.size > 64 * 1024 * 1024) return undefined;
    const bytes = readFileSync(file);
    const data = bytes.subarray(DIGEST_BYTES);
    return bytes.length > DIGEST_BYTES && digest(data).equals(bytes.subarray(0, DIGEST_BYTES)) ? data : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(dir: string, file: string, compiled: vm.Script): void {
  const temp = `${file}.${process.pid}-${threadId}.tmp`;
  try {
    if (!ownFolder(dir)) return;
    const data = compiled.createCachedData();
    writeFileSync(temp, Buffer.concat([digest(data), data]), { mode: 0o600 });
    renameSync(temp, file);
    prune(dir, file);
  } catch {
    rmSync(temp, { force: true });
  }
}

/** Cache files kept in the folder: one per pdf.js version, Node and set of V8 options in use. */
const KEEP_FILES = 8;

/**
 * Keeps the folder bounded: the KEEP_FILES newest caches (another Node, pdf.js or set of
 * options leaves its file behind), and no temporary file of a thread stopped while it wrote
 * (older than a minute).
 */
function prune(dir: string, keep: string): void {
  const now = Date.now();
  const caches: { file: string; mtime: number }[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = lstatSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    if (name.endsWith(".tmp") && now - st.mtimeMs > 60_000) rmSync(file, { force: true });
    else if (name.endsWith(".v8cache") && file !== keep) caches.push({ file, mtime: st.mtimeMs });
  }
  caches.sort((a, b) => b.mtime - a.mtime);
  for (const old of caches.slice(KEEP_FILES - 1)) rmSync(old.file, { force: true });
}
