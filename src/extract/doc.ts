/**
 * Legacy .doc (Word 97–2003) → DocumentContent.
 *
 * Default path, no external programs: word-extractor's body text, one TextBlock per line.
 * Word marks the end of each table cell with a cell mark, which word-extractor turns into a
 * tab, so a table row reads `label\tn1\tn2…\t`. The tabs are kept exactly: empty cells
 * (blanks, and the continuation cells of vertical merges) are empty strings between tabs.
 * Row ends are only recognised when Word stored the row's "table terminating paragraph"
 * property where word-extractor looks for it; in LibreOffice-written files the rows of a
 * wide table (table 三 from its third row on, table 四) run together on one line. The
 * reconstructor anchors on row labels, so this is tolerable; the LibreOffice path below
 * gives real grids.
 *
 * Optional path, when NIANBAO_DOC_LIBREOFFICE=1 and `soffice` is on PATH: convert to .docx
 * with LibreOffice and read that with the .docx extractor (exact spans; about 1 s and
 * 200 MB per file). On any failure it falls back to word-extractor with a warning.
 */
import { spawn } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { RefusalError, type DocumentContent, type TextBlock } from "../document.js";
import { findOleEntry } from "../sniff.js";
import { checkCompoundFile } from "./cfb.js";
import { extractDocx } from "./docx.js";
import { dropSliverColumns } from "./html-table.js";
import { findOnPath, limitBy, scratchDir, watched } from "./programs.js";

type ExtractOpts = { maxPages: number; maxExpandedBytes: number; deadline: number };

/** The part of word-extractor's API used here (the package ships no types). */
interface WordExtractorDocument {
  getBody(options?: { filterUnicode?: boolean }): string;
}
interface WordExtractorInstance {
  extract(source: Buffer | string): Promise<WordExtractorDocument>;
}
type WordExtractorClass = new () => WordExtractorInstance;

const require = createRequire(import.meta.url);

/** How long one LibreOffice conversion may take before it is killed. */
const LIBREOFFICE_TIMEOUT_MS = 60_000;

export async function extractDoc(bytes: Uint8Array, opts: ExtractOpts): Promise<DocumentContent> {
  checkCompoundFile(bytes);
  checkWordHeader(bytes);

  const warnings: string[] = [];
  if (process.env["NIANBAO_DOC_LIBREOFFICE"] === "1") {
    const soffice = findOnPath("soffice");
    if (soffice) {
      try {
        return await viaLibreOffice(soffice, bytes, opts);
      } catch (e) {
        if (e instanceof RefusalError && e.code === "too-large") throw e;
        warnings.push(`LibreOffice conversion failed, used word-extractor instead: ${errorMessage(e)}`);
      }
    } else {
      warnings.push("NIANBAO_DOC_LIBREOFFICE=1 but no soffice on PATH; used word-extractor");
    }
  }

  const WordExtractor = require("word-extractor") as WordExtractorClass;
  let body: string;
  try {
    const doc = await new WordExtractor().extract(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    // filterUnicode would rewrite “ ” ‘ ’ – — to ASCII; labels like 危及“三安全一稳定” keep theirs.
    body = doc.getBody({ filterUnicode: false });
  } catch (e) {
    throw new RefusalError("corrupt", `cannot read the Word 97 document: ${errorMessage(e)}`, { cause: e });
  }

  const blocks: TextBlock[] = body
    .split(/\r\n|[\r\n]/)
    .filter((line) => line.trim() !== "") // a line of tabs only is a blank row: no content
    .map((text) => ({ kind: "text", text }));
  if (blocks.length === 0) warnings.push("the document has no text");
  return { mediaType: "application/msword", pages: null, blocks, warnings };
}

/**
 * Reads the start of the WordDocument stream (the FIB) to refuse what word-extractor cannot
 * read: password-protected documents (fEncrypted) and Word 6/95 files (nFib below Word 97's
 * 0xC1, a different format). Only looks when the stream's first sector is easy to locate;
 * otherwise leaves the judgement to word-extractor.
 */
function checkWordHeader(bytes: Uint8Array): void {
  const entry = findOleEntry(bytes, "WordDocument");
  if (entry < 0) throw new RefusalError("corrupt", "OLE file without a WordDocument stream");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sectorShift = view.getUint16(0x1e, true);
  if (sectorShift !== 9 && sectorShift !== 12) throw new RefusalError("corrupt", "damaged OLE header");
  const sectorSize = 1 << sectorShift;
  const miniCutoff = view.getUint32(0x38, true);
  const startSector = view.getUint32(entry + 116, true);
  const streamSize = view.getUint32(entry + 120, true);
  // Streams under the cutoff live in the mini stream; a real WordDocument stream never does.
  if (streamSize < miniCutoff || startSector >= 0xfffffffa) return;
  const fib = (startSector + 1) * sectorSize;
  if (fib + 12 > bytes.length || view.getUint16(fib, true) !== 0xa5ec) return;
  const nFib = view.getUint16(fib + 2, true);
  const flags = view.getUint16(fib + 0x0a, true);
  if ((flags & 0x0100) !== 0) throw new RefusalError("encrypted", "password-protected Word document");
  if (nFib < 0xc0) {
    throw new RefusalError("unsupported-type", `Word 6.0/95 document (nFib ${nFib}); only Word 97 and later are read`);
  }
}

/** .doc → .docx with LibreOffice in a private temporary directory and profile, then mammoth. */
async function viaLibreOffice(soffice: string, bytes: Uint8Array, opts: ExtractOpts): Promise<DocumentContent> {
  const dir = scratchDir("lo");
  try {
    const input = join(dir, "input.doc");
    await writeFile(input, bytes);
    await run(
      soffice,
      [
        // Each call gets its own profile: parallel conversions sharing one profile block or crash.
        `-env:UserInstallation=${pathToFileURL(join(dir, "profile")).href}`,
        "--headless", "--invisible", "--norestore", "--nolockcheck", "--nodefault", "--nologo",
        "--convert-to", "docx", "--outdir", dir, input,
      ],
      limitBy(LIBREOFFICE_TIMEOUT_MS, opts.deadline),
    );
    const docx = await readFile(join(dir, "input.docx")).catch(() => {
      throw new Error("soffice produced no .docx");
    });
    const doc = await extractDocx(docx, opts);
    return {
      ...doc,
      mediaType: "application/msword",
      // LibreOffice adds 1-twip sliver columns to some tables.
      blocks: doc.blocks.map((b) => (b.kind === "table" ? dropSliverColumns(b) : b)),
      warnings: ["converted from .doc to .docx by LibreOffice", ...doc.warnings],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a program in its own process group, killing the whole group on timeout: soffice is a
 * launcher that starts soffice.bin, which would survive killing the launcher alone.
 */
function run(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const [file, watchedArgs] = watched(cmd, args, timeoutMs);
    const child = spawn(file, watchedArgs, { detached: true, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`soffice timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`soffice exited with ${code ?? signal}: ${stderr.trim().slice(0, 300)}`));
    });
  });
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
