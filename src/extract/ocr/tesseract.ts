/**
 * Tesseract (Debian's `tesseract-ocr` with `tesseract-ocr-chi-sim`), run once for many
 * crops: the crops are written as the pages of one TIFF file and read in one process with
 * TSV output, so every word comes back with its confidence and the crop (page) it is in.
 * Nothing is fetched: the traineddata files are the Debian packages'.
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execWatched, scratchDir } from "../programs.js";
import { toTiff, type Gray } from "./image.js";

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
  /**
   * The text is dark on light: Tesseract does not read a line again inverted when its
   * confidence is low (it does by default, for light text on a dark fill; a digit read of a
   * label is always low, so that costs a second read of most of them).
   */
  darkOnLight?: boolean;
  /** The whole run's time limit… */
  timeoutMs: number;
  /** …and no later than this (epoch ms; ExtractOptions.deadline). */
  deadline: number;
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

/** One word of Tesseract's TSV output: the image it is in (0-based), its line and its box. */
interface TsvWord {
  image: number;
  /** block:paragraph:line, unique within an image */
  line: string;
  top: number;
  confidence: number;
  text: string;
}

/**
 * Runs Tesseract once over `images` (written as the pages of one TIFF file) and returns
 * its words. Both readers below are this one run with other options.
 */
async function recognise(images: readonly Gray[], options: OcrOptions): Promise<TsvWord[]> {
  const dir = scratchDir("ocr");
  try {
    const file = join(dir, "images.tif");
    writeFileSync(file, toTiff(images));
    const args = [file, "stdout", "-l", options.lang, "--psm", String(options.psm), "-c", "tessedit_create_tsv=1"];
    if (options.whitelist) args.push("-c", `tessedit_char_whitelist=${options.whitelist}`);
    if (options.darkOnLight) args.push("-c", "tessedit_do_invert=0");
    const tsv = await execWatched("tesseract", args, { ms: options.timeoutMs, deadline: options.deadline }, {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, OMP_THREAD_LIMIT: "1" },
    });
    const words: TsvWord[] = [];
    for (const row of tsv.split("\n")) {
      const f = row.split("\t");
      // Level 5 rows are words: level, page, block, paragraph, line, word, left, top, width, height, conf, text.
      if (f[0] !== "5" || f.length < 12) continue;
      const text = (f[11] ?? "").trim();
      if (text === "") continue;
      words.push({ image: Number(f[1]) - 1, line: `${f[2]}:${f[3]}:${f[4]}`, top: Number(f[7]), confidence: Number(f[10]), text });
    }
    return words;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads each image as one line or block; one result per image, in order. */
export async function ocrBatch(images: readonly Gray[], options: OcrOptions): Promise<OcrRead[]> {
  if (images.length === 0) return [];
  const words: TsvWord[][] = images.map(() => []);
  for (const w of await recognise(images, options)) words[w.image]?.push(w);
  return words.map((ws) => ({ text: joinWords(ws.map((w) => w.text)), confidence: ws.length ? Math.min(...ws.map((w) => w.confidence)) : -1 }));
}

/** The text lines of each image (a page of prose), top to bottom as Tesseract orders them, each with its top. */
export async function ocrLines(images: readonly Gray[], options: OcrOptions): Promise<{ y: number; text: string }[][]> {
  if (images.length === 0) return [];
  const lines = images.map(() => new Map<string, { y: number; words: string[] }>());
  for (const w of await recognise(images, options)) {
    const page = lines[w.image];
    if (!page) continue;
    const l = page.get(w.line) ?? { y: w.top, words: [] };
    l.words.push(w.text);
    page.set(w.line, l);
  }
  return lines.map((page) => [...page.values()].map((l) => ({ y: l.y, text: l.words.join("").replace(/(\d)\s+(?=\d)/g, "$1") })));
}
