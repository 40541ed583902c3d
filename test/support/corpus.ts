/**
 * The test corpus (test/fixtures/corpus, a copy of the project's sample corpus): cases with
 * their expected answers, and the comparison the corpus scorer makes — every numeric cell of
 * the expected tables, the format, year and agency, the status and the failing rules.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Envelope } from "../../src/model.js";

export const CORPUS = new URL("../fixtures/corpus/", import.meta.url).pathname;

/** A corpus file by its name (`s020.doc`, `jingzhouqu-2021.txt`), wherever it is in the corpus. */
export function corpusFile(name: string): string {
  for (const folder of ["synthetic", "seed", "real", "glued"]) {
    const p = join(CORPUS, folder, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`no corpus file named ${name}`);
}

/** The expected answer of a corpus document, by its name without extension (`s009`, `hongze_2024`). */
export function expectedOf(name: string): Expected {
  return JSON.parse(readFileSync(corpusFile(`${name}.expected.json`), "utf8")) as Expected;
}

export interface Case {
  name: string;
  folder: string;
  input: string;
  expected: Expected;
}

export interface Expected {
  report: Record<string, unknown>;
  expectedStatus: string;
  expectedRules: string[];
  present?: string[];
  uncertain?: { path: string; candidates?: unknown[] }[];
  /** Statuses that honest nulls in uncertain cells lead to, which also count. */
  acceptedStatuses?: string[];
}

export function cases(folder: string): Case[] {
  const dir = join(CORPUS, folder);
  const files = readdirSync(dir);
  return files
    .filter((f) => f.endsWith(".expected.json"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -".expected.json".length);
      const input = files.find((x) => x.startsWith(`${name}.`) && !x.endsWith(".expected.json"));
      if (!input) throw new Error(`no input beside ${f}`);
      return { name, folder, input: join(dir, input), expected: JSON.parse(readFileSync(join(dir, f), "utf8")) as Expected };
    });
}

const norm = (s: unknown) => (typeof s === "string" ? s.normalize("NFKC").replace(/\s+/g, "") : s);
const under = (p: string, root: string) => p === root || p.startsWith(`${root}.`);

function get(obj: unknown, path: string): unknown {
  let o = obj;
  for (const k of path.split(".")) {
    if (o === null || typeof o !== "object" || !(k in o)) return undefined;
    o = (o as Record<string, unknown>)[k];
  }
  return o;
}

/** The other readings an expected file allows for the cell at `path`. */
function candidateValues(u: { path: string; candidates?: unknown[] } | undefined, path: string): unknown[] {
  if (!u?.candidates) return [];
  const rest = path.slice(u.path.length + 1);
  return u.candidates.map((c) => (rest === "" ? c : get(c, rest)));
}

export interface Score {
  cells: number;
  exact: number;
  diffs: string[];
  fieldDiffs: string[];
  statusOk: boolean;
  silentWrong: boolean;
  /** Cells holding a number other than the expected one (a null is not counted here). */
  wrongValues: string[];
}

export function score(expected: Expected, env: Envelope): Score {
  const cells: [string, unknown][] = [];
  const fields: [string, unknown][] = [];
  const flatten = (prefix: string, v: unknown) => {
    if (v === null || typeof v !== "object") return cells.push([prefix, v ?? null]);
    for (const [k, x] of Object.entries(v)) {
      const p = `${prefix}.${k}`;
      if (k === "amountUnit") fields.push([p, x]);
      else if (x !== null && typeof x === "object") flatten(p, x);
      else cells.push([p, x]);
    }
  };
  for (const s of ["proactive", "applications", "reviewLitigation"]) if (s in expected.report) flatten(s, expected.report[s]);
  const present = expected.present && !expected.present.includes("*") ? expected.present : null;
  const uncertain = expected.uncertain ?? [];
  const uncertainOf = (p: string) => uncertain.find((u) => under(p, u.path));
  const scored = cells.filter(([p]) => (!present || present.some((r) => under(p, r))) && (!uncertainOf(p) || Array.isArray(uncertainOf(p)?.candidates)));
  const diffs: string[] = [];
  const wrongValues: string[] = [];
  let exact = 0;
  for (const [p, e] of scored) {
    const a = get(env.report, p);
    const ok = a === e || (typeof a === "number" && typeof e === "number" && Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e))) || (uncertainOf(p) !== undefined && a === null);
    if (ok) exact++;
    else diffs.push(`${p}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
    if (!ok && a !== null && a !== undefined && !candidateValues(uncertainOf(p), p).includes(a)) wrongValues.push(`${p}: expected ${JSON.stringify(e)}, got ${JSON.stringify(a)}`);
  }
  const fieldDiffs: string[] = [];
  for (const f of ["format", "year", "agency"]) {
    if (!(f in expected.report)) continue;
    const u = uncertainOf(f);
    if (u && !Array.isArray(u.candidates)) continue;
    const ok = [expected.report[f], ...(u?.candidates ?? [])].some((c) => norm(get(env.report, f)) === norm(c));
    if (!ok) fieldDiffs.push(`${f}: expected ${JSON.stringify(expected.report[f])}, got ${JSON.stringify(get(env.report, f))}`);
  }
  for (const [p, e] of fields) if (!present || present.some((r) => under(p, r))) if (norm(get(env.report, p)) !== norm(e)) fieldDiffs.push(`${p}: expected ${JSON.stringify(e)}, got ${JSON.stringify(get(env.report, p))}`);
  const errors = new Set(env.validation.findings.filter((f) => f.severity === "error").map((f) => f.rule));
  const statusOk =
    (env.validation.status === expected.expectedStatus && expected.expectedRules.every((r) => errors.has(r))) ||
    (expected.acceptedStatuses ?? []).includes(env.validation.status);
  return { cells: scored.length, exact, diffs, fieldDiffs, statusOk, silentWrong: env.validation.status === "valid" && diffs.length > 0, wrongValues };
}

/**
 * A text report whose table 三 rows are repeated until it has nearly 4,000,000 characters
 * (the limit of text): quick to extract (0.4 s), but its reconstruction needs seconds and
 * a heap of 350 MB.
 */
export function repeatedRowsText(): Buffer {
  const lines = readFileSync(corpusFile("s007.txt"), "utf8").split("\n");
  const rows = `${lines.slice(42, 50).join("\n")}\n`;
  return Buffer.from(`${lines.slice(0, 42).join("\n")}\n${rows.repeat(10_000)}${lines.slice(50).join("\n")}`, "utf8");
}
