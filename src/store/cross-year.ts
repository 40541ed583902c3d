/**
 * Rule R6, the one rule that needs the store: this year's 二、上年结转 (carriedOver) equals the
 * same agency's previous-year 四、结转下年度继续办理 (carriedForward), column by column.
 *
 * Everything here is pure, so FileStore and PgStore decide the same things the same way:
 * which reports take part, how agencies are matched, which neighbour counts, and what the
 * findings say. The stores only fetch the neighbours and persist the result.
 */
import { APPLICANT_COLUMNS } from "../catalogue.js";
import { AgencyAliases } from "../identity/aliases.js";
import { identify, isAgencyKey, normaliseName } from "../identity/index.js";
import type { Envelope, Finding } from "../model.js";

/**
 * The key a stored report has as written: its agencyKey, or for a result of a version before
 * agencyKey existed, its normalised name (NFKC, no whitespace); null without an agency.
 */
export function storedKey(r: { agency: string | null; agencyKey?: string | null | undefined }): string | null {
  if (r.agency === null) return null;
  if (r.agencyKey) return r.agencyKey;
  const name = normaliseName(r.agency);
  return name === "" ? null : name;
}

/** The key reports are compared by: storedKey after the operator's aliases. */
export function comparisonKey(r: { agency: string | null; agencyKey?: string | null | undefined }, aliases: AgencyAliases): string | null {
  const key = storedKey(r);
  return key === null ? null : aliases.resolve(key);
}

/**
 * The stored keys an agency given by name or key is found under: its key (the name's own
 * place, if it has one), its normalised name (results stored before agencyKey), and every key
 * aliased to the same body.
 */
export function lookupKeys(agencyOrKey: string, aliases: AgencyAliases): string[] {
  const name = normaliseName(agencyOrKey);
  if (name === "") return [];
  const own = isAgencyKey(name) ? [name] : [identify(name).agencyKey ?? name, name];
  return [...new Set(own.flatMap((k) => aliases.keysFor(k)))];
}

/** Where a report sits for R6, or null when it does not take part (legacy, no agency, no year). */
export interface CrossYearSlot {
  /** The comparison key (after aliases). */
  agencyKey: string;
  year: number;
}

/** A slot as a map key. */
export const slotKey = (s: CrossYearSlot) => `${s.agencyKey}\u0000${s.year}`;

/** A stored result, (sha256, pipeline version), as a map key. */
export const resultKey = (sha256: string, version: string) => `${sha256}\u0000${version}`;

/**
 * Whether a put changes the next year's R6 of a slot, from the result standing for the slot
 * (resultKey, pickNeighbour) before and after it: the standing report changed, or it is the
 * report just put, whose numbers may have.
 */
export function standingChanged(before: string | null, after: string | null, put: string): boolean {
  return after !== before || after === put || before === put;
}

export function crossYearSlot(envelope: Envelope, aliases: AgencyAliases = AgencyAliases.none): CrossYearSlot | null {
  const r = envelope.report;
  if (r.format === "legacy" || r.year === null) return null;
  const key = comparisonKey(r, aliases);
  return key === null ? null : { agencyKey: key, year: r.year };
}

type Row = Record<string, number | null | undefined>;

/** A row of table 三 (e.g. carriedOver) as a record of columns; missing table or row → {}. */
function applicationsRow(envelope: Envelope, row: "carriedOver" | "carriedForward"): Row {
  const r = envelope.report;
  if (r.format === "legacy" || r.applications === null) return {};
  const value = (r.applications as Record<string, unknown>)[row];
  return value !== null && typeof value === "object" ? (value as Row) : {};
}

const cellOf = (row: Row, key: string): number | null => {
  const v = row[key];
  return typeof v === "number" ? v : null;
};

/**
 * R6 findings of `current` (year N) against `previous` (the same agency's year N−1): one
 * warning per column that disagrees, plus one warning naming the null cells if any. Columns
 * with both cells present are still compared when other columns are null.
 */
export function r6Findings(previous: Envelope, current: Envelope): Finding[] {
  const prevYear = previous.report.year;
  const curYear = current.report.year;
  const forward = applicationsRow(previous, "carriedForward");
  const over = applicationsRow(current, "carriedOver");
  const from = `the ${prevYear} report (${previous.source.sha256.slice(0, 12)})`;

  const findings: Finding[] = [];
  const nulls: string[] = [];
  for (const col of APPLICANT_COLUMNS) {
    const prev = cellOf(forward, col.key);
    const cur = cellOf(over, col.key);
    if (prev === null) nulls.push(`${prevYear} applications.carriedForward.${col.key}`);
    if (cur === null) nulls.push(`${curYear} applications.carriedOver.${col.key}`);
    if (prev === null || cur === null || prev === cur) continue;
    findings.push({
      rule: "R6",
      severity: "warning",
      path: `applications.carriedOver.${col.key}`,
      message: `${from}: ${prevYear} carriedForward (${prev}) ≠ ${curYear} carriedOver (${cur}) in column ${col.label}`,
      expected: prev,
      actual: cur,
    });
  }
  if (nulls.length) {
    // A null is never a pass: say which cells kept the rule from being checked.
    findings.push({
      rule: "R6",
      severity: "warning",
      path: "applications.carriedOver",
      message: `R6 cannot be evaluated against ${from}: ${nulls.join(", ")} ${nulls.length === 1 ? "is" : "are"} null`,
    });
  }
  return findings;
}

/** Compares dotted versions the semver way: numeric parts as numbers, a pre-release below its release. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const noBuild = v.split("+", 1)[0] ?? "";
    const dash = noBuild.indexOf("-");
    return dash < 0 ? { main: noBuild, pre: null } : { main: noBuild.slice(0, dash), pre: noBuild.slice(dash + 1) };
  };
  const ids = (s: string) => s.split(".");
  const cmpIds = (x: readonly string[], y: readonly string[]): number => {
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const p = x[i];
      const q = y[i];
      if (p === undefined) return -1;
      if (q === undefined) return 1;
      const pn = /^\d+$/.test(p);
      const qn = /^\d+$/.test(q);
      if (pn && qn) {
        const d = Number(p) - Number(q);
        if (d !== 0) return Math.sign(d);
      } else if (pn !== qn) {
        return pn ? -1 : 1; // semver: numeric identifiers sort below alphanumeric ones
      } else if (p !== q) {
        return p < q ? -1 : 1;
      }
    }
    return 0;
  };
  const va = split(a);
  const vb = split(b);
  const main = cmpIds(ids(va.main), ids(vb.main));
  if (main !== 0) return main;
  if (va.pre === null || vb.pre === null) return va.pre === vb.pre ? 0 : va.pre === null ? 1 : -1;
  return cmpIds(ids(va.pre), ids(vb.pre));
}

export interface NeighbourCandidate {
  sha256: string;
  pipelineVersion: string;
  /** ISO 8601 */
  storedAt: string;
}

/**
 * The report that stands for an agency-year: the newest pipeline version; among several
 * documents at that version, the one stored last (then the sha256, so the choice is total).
 */
export function pickNeighbour<T extends NeighbourCandidate>(candidates: readonly T[]): T | null {
  let best: T | null = null;
  for (const c of candidates) {
    if (best === null) {
      best = c;
      continue;
    }
    const byVersion = compareVersions(c.pipelineVersion, best.pipelineVersion);
    const byTime = Date.parse(c.storedAt) - Date.parse(best.storedAt);
    if (byVersion > 0 || (byVersion === 0 && (byTime > 0 || (byTime === 0 && c.sha256 > best.sha256)))) best = c;
  }
  return best;
}
