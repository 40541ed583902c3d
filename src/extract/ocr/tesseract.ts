/**
 * Tesseract (Debian's `tesseract-ocr` with `tesseract-ocr-chi-sim`), run once for many
 * crops: the crops are written as PGM files, listed in one file, and read in one process
 * with TSV output, so every word comes back with its confidence and the crop it is in.
 * Nothing is fetched: the traineddata files are the Debian packages'.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toPgm, type Gray } from "./image.js";

export interface OcrRead {
  /** The words read, joined (with no separator between CJK characters). */
  text: string;
  /** The lowest word confidence, 0–100; -1 when nothing was read. */
  confidence: number;
}

export interface OcrOptions {
  lang: "chi_sim" | "eng";
  /** Page segmentation mode: 7 = one text line, 6 = a block. */
  psm: 6 | 7;
  /** Only these characters are read (e.g. digits for numeric cells). */
  whitelist?: string;
  /** The whole run's time limit. */
  timeoutMs: number;
}

let available: boolean | null = null;

/** Whether Tesseract and its Simplified-Chinese model are installed. */
export function tesseractAvailable(): boolean {
  if (available !== null) return available;
  try {
    const langs = execFileSync("tesseract", ["--list-langs"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
    available = /^chi_sim$/m.test(langs);
  } catch {
    available = false;
  }
  return available;
}

/** Joins words: a space between two Latin words or numbers, none next to a CJK character. */
function joinWords(words: readonly string[]): string {
  let out = "";
  for (const w of words) {
    if (out && /[A-Za-z0-9.,]$/.test(out) && /^[A-Za-z0-9.,]/.test(w)) out += " ";
    out += w;
  }
  return out;
}

/** Reads each image; one result per image, in order. */
export async function ocrBatch(images: readonly Gray[], options: OcrOptions): Promise<OcrRead[]> {
  if (images.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), "nianbao-ocr-"));
  try {
    const paths = images.map((img, i) => {
      const p = join(dir, `${i}.pgm`);
      writeFileSync(p, toPgm(img));
      return p;
    });
    const list = join(dir, "list.txt");
    writeFileSync(list, `${paths.join("\n")}\n`);
    const args = [list, "stdout", "-l", options.lang, "--psm", String(options.psm), "-c", "tessedit_create_tsv=1"];
    if (options.whitelist) args.push("-c", `tessedit_char_whitelist=${options.whitelist}`);
    const tsv = await new Promise<string>((resolve, reject) => {
      execFile(
        "tesseract",
        args,
        { encoding: "utf8", timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, OMP_THREAD_LIMIT: "1" } },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
    const words: { text: string; conf: number }[][] = images.map(() => []);
    for (const line of tsv.split("\n")) {
      const f = line.split("\t");
      if (f[0] !== "5" || f.length < 12) continue;
      const page = Number(f[1]) - 1;
      const text = (f[11] ?? "").trim();
      if (text === "" || !words[page]) continue;
      words[page]?.push({ text, conf: Number(f[10]) });
    }
    return words.map((ws) => ({ text: joinWords(ws.map((w) => w.text)), confidence: ws.length ? Math.min(...ws.map((w) => w.conf)) : -1 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
