/**
 * The benchmark's inputs: every document of the test corpus (test/fixtures/corpus/{seed,
 * synthetic,real}), read into memory once. Inputs are the files beside the *.expected.json
 * answers; the format is taken from the file extension (only to group results: the pipeline
 * itself sniffs the bytes).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FORMATS = ["pdf", "docx", "doc", "html", "txt"] as const;
export type Format = (typeof FORMATS)[number];

export const CORPUS_FOLDERS = ["seed", "synthetic", "real"] as const;

export interface CorpusDocument {
  /** "folder/file.ext", unique. */
  id: string;
  path: string;
  fileName: string;
  format: Format;
  bytes: Uint8Array;
}

const EXTENSIONS: Record<string, Format> = { pdf: "pdf", docx: "docx", doc: "doc", html: "html", htm: "html", txt: "txt" };

/** The repository root: the nearest folder above this module holding a package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("no package.json above the bench module");
    dir = up;
  }
}

export function corpusDir(): string {
  return join(repoRoot(), "test", "fixtures", "corpus");
}

export function loadCorpus(root: string = corpusDir()): CorpusDocument[] {
  const docs: CorpusDocument[] = [];
  for (const folder of CORPUS_FOLDERS) {
    const dir = join(root, folder);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir).sort();
    for (const answer of files.filter((f) => f.endsWith(".expected.json"))) {
      const stem = answer.slice(0, -".expected.json".length);
      const input = files.find((f) => f.startsWith(`${stem}.`) && !f.endsWith(".expected.json"));
      const format = input ? EXTENSIONS[input.slice(stem.length + 1).toLowerCase()] : undefined;
      if (!input || !format) continue;
      const path = join(dir, input);
      docs.push({ id: `${folder}/${input}`, path, fileName: input, format, bytes: new Uint8Array(readFileSync(path)) });
    }
  }
  if (docs.length === 0) throw new Error(`no corpus documents under ${root}`);
  return docs;
}

export const ofFormat = (docs: readonly CorpusDocument[], format: Format): CorpusDocument[] => docs.filter((d) => d.format === format);
