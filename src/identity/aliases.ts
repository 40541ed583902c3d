/**
 * Agency aliases (README "Identity"): operators map a name or a key onto another key, for
 * bodies that were renamed or merged, so that their years are compared as one body (R6 in the
 * stores, `nianbao report`, the dashboard's coverage, search and results).
 *
 * The file (setting AGENCY_ALIASES) is one JSON object, `{ "old name or key": "new name or key" }`:
 *
 *   { "洪泽县人民政府": "320813/人民政府", "320800/经济和信息化委员会": "320800/工业和信息化局" }
 *
 * A key is `<6 or 9 digits>/<body>`; anything else is a name, and stands for both its normalised
 * form (the key of a report without a region, and of results stored before agencyKey existed) and
 * the key its own place gives it (淮安市洪泽区人民政府 → 320813/人民政府). A name as a target is
 * taken by its key. Chains are followed (a → b, b → c: a is c); a cycle, or one key sent two
 * ways, is an error.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { identify, isAgencyKey, normaliseName } from "./index.js";

export const AliasFile = z.record(
  z.string().refine((s) => normaliseName(s) !== "", "an alias needs a name or key"),
  z.string().refine((s) => normaliseName(s) !== "", "must be a name or key, not empty"),
);

export class AliasError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AliasError";
  }
}

/** The keys a name or key of the alias file stands for. */
function keysOf(entry: string): string[] {
  const s = normaliseName(entry);
  if (isAgencyKey(s)) return [s];
  const { agencyKey } = identify(s);
  return agencyKey === null || agencyKey === s ? [s] : [s, agencyKey];
}

export class AgencyAliases {
  static readonly none = new AgencyAliases(new Map());

  /** key → the key it ends at, after following the chain. */
  private readonly target: ReadonlyMap<string, string>;
  /** key it ends at → every key that ends there (itself excluded). */
  private readonly sources = new Map<string, string[]>();

  private constructor(direct: ReadonlyMap<string, string>) {
    const target = new Map<string, string>();
    for (const from of direct.keys()) {
      const seen = [from];
      let to = direct.get(from) as string;
      while (direct.has(to)) {
        if (seen.includes(to)) throw new AliasError(`the aliases go round in a circle: ${[...seen, to].join(" → ")}`);
        seen.push(to);
        to = direct.get(to) as string;
      }
      target.set(from, to);
      this.sources.set(to, [...(this.sources.get(to) ?? []), from]);
    }
    this.target = target;
  }

  /** Builds the aliases from the parsed JSON of an alias file; `origin` names it in errors. */
  static fromJson(json: unknown, origin = "aliases"): AgencyAliases {
    const parsed = AliasFile.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `  ${i.path.length ? JSON.stringify(i.path.join(".")) : "(the file)"}: ${i.message}`);
      throw new AliasError(`${origin}: not an alias file ({ "old name or key": "new name or key", … }):\n${issues.join("\n")}`);
    }
    const direct = new Map<string, string>();
    for (const [from, to] of Object.entries(parsed.data)) {
      const target = keysOf(to).at(-1) as string;
      for (const key of keysOf(from)) {
        if (key === target) continue;
        const other = direct.get(key);
        if (other !== undefined && other !== target) throw new AliasError(`${origin}: ${key} is sent both to ${other} and to ${target}`);
        direct.set(key, target);
      }
    }
    try {
      return new AgencyAliases(direct);
    } catch (e) {
      throw new AliasError(`${origin}: ${(e as Error).message}`);
    }
  }

  /** Reads an alias file; an unreadable or bad file is an AliasError naming it. */
  static load(path: string): AgencyAliases {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new AliasError(`alias file ${path}: ${(e as Error).message}`);
    }
    return AgencyAliases.fromJson(json, `alias file ${path}`);
  }

  get size(): number {
    return this.target.size;
  }

  /** The key a key stands for. */
  resolve(key: string): string {
    return this.target.get(key) ?? key;
  }

  /** Every key that resolves to `key` (which is one of them): what a store looks up. */
  keysFor(key: string): string[] {
    const k = this.resolve(key);
    return [k, ...(this.sources.get(k) ?? [])];
  }
}
