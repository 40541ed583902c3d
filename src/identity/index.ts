/**
 * Agency identity (README "Identity"): the division a body's name places it in (`region`) and
 * the key that is the same for the same body across years and spellings (`agencyKey`).
 *
 *   洪泽区人民政府, 淮安市洪泽区人民政府       → 320813 江苏省淮安市洪泽区, 320813/人民政府
 *   江苏省淮安市洪泽区岔河镇人民政府          → 320813103 …岔河镇, 320813103/人民政府
 *   城关镇人民政府 (88 of them)               → null, unless the document names its county
 *   枫宁市人民政府 (no such place)            → null, key 枫宁市人民政府
 *
 * The place is read from the start of the name only, as a chain of division names each inside
 * the one before (a level may be skipped: 淮安市岔河镇 is not printed, 江苏省洪泽区 may be). A
 * wrong region is worse than none, so whenever the name fits several divisions and the rest of
 * the document does not settle which, there is no region. Pure: no I/O besides reading the
 * division table once.
 */
import { divisions, fullName, isWithin, lineage, type Division } from "./divisions.js";

export interface Region {
  /** GB/T 2260: 6 digits, or 9 for a township or street. */
  code: string;
  /** The full name, from the province down: 江苏省淮安市洪泽区. */
  name: string;
}

export interface Identity {
  region: Region | null;
  agencyKey: string | null;
}

/** A name as keys compare it: NFKC (full-width → ASCII, compatibility forms) and no whitespace. */
export function normaliseName(name: string): string {
  return name.normalize("NFKC").replace(/\s+/gu, "");
}

/** Whether a string is a key with a region (`320813/人民政府`) rather than a name. */
export const isAgencyKey = (s: string): boolean => /^\d{6}(\d{3})?\//.test(s);

interface Place {
  division: Division;
  /** Characters of the name the place takes (洪泽区人民政府 → 3). */
  length: number;
}

/** Every reading of the start of `name` as a chain of divisions, as long as it goes. */
function places(name: string): Place[] {
  const table = divisions();
  const out: Place[] = [];
  const walk = (at: number, within: Division | null) => {
    let longer = false;
    for (let len = 2; len <= table.longestName && at + len <= name.length; len++) {
      for (const d of table.named(name.slice(at, at + len))) {
        if (within !== null && !isWithin(d, within)) continue;
        longer = true;
        walk(at + len, d);
      }
    }
    if (!longer && within !== null) out.push({ division: within, length: at });
  };
  walk(0, null);
  return out;
}

/**
 * Whether `text` names the division by a place that holds it: its parent chain printed together
 * (淮安市洪泽区岔河镇, 洪泽区岔河镇), or a city or county of it on its own when that name is not
 * a word of ordinary prose (城区, 郊区 and other two-character 区 are).
 */
function namedBy(text: string, d: Division): boolean {
  const chain = lineage(d);
  for (let i = 0; i < chain.length - 1; i++) {
    const a = chain[i] as Division;
    if (text.includes(chain.slice(i).map((x) => x.name).join(""))) return true;
    const distinctive = a.name.length >= 3 || !a.name.endsWith("区");
    if (a.parent !== null && distinctive && text.includes(a.name)) return true;
  }
  return false;
}

/**
 * The region of an agency name, or null. `context` is the rest of the document (title, text):
 * it is read only to choose among divisions of the same name.
 */
export function regionOf(agency: string, context = ""): { region: Region; length: number } | null {
  const name = normaliseName(agency);
  const all = places(name);
  const longest = Math.max(0, ...all.map((p) => p.length));
  const fits = new Map<string, Place>();
  for (const p of all) if (p.length === longest) fits.set(p.division.code, p);
  let chosen = [...fits.values()];
  if (chosen.length > 1) {
    const text = normaliseName(context);
    chosen = chosen.filter((p) => namedBy(text, p.division));
  }
  if (chosen.length !== 1) return null;
  const p = chosen[0] as Place;
  return { region: { code: p.division.code, name: fullName(p.division) }, length: p.length };
}

/** region and agencyKey of a report: `<region code>/<the name without its place>`, else the normalised name. */
export function identify(agency: string | null, context = ""): Identity {
  if (agency === null) return { region: null, agencyKey: null };
  const name = normaliseName(agency);
  const found = regionOf(name, context);
  if (!found) return { region: null, agencyKey: name };
  return { region: found.region, agencyKey: `${found.region.code}/${name.slice(found.length)}` };
}

/** The report's metadata with its identity added (reconstruct calls it on what findMetadata read). */
export function withIdentity<T extends { agency: string | null; title: string | null }>(meta: T, text: string): T & Identity {
  return { ...meta, ...identify(meta.agency, `${meta.title ?? ""}\n${text}`) };
}
