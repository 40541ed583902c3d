/**
 * The cross-year view of one year (`nianbao report --year N`): every agency whose carried-over
 * figures disagree with its previous year (rule R6, as the store computed it on each put), and
 * every agency with a report for N−1 but none for N: a missing report is a finding in itself.
 *
 * Agencies are matched by agencyKey after the store's aliases (comparisonKey), so one body
 * printing its name two ways (洪泽区人民政府, 淮安市洪泽区人民政府) is one agency; each entry
 * shows the name its document prints and every name the body printed in the two years.
 *
 * Reads the store's listing once (streamed), keeping per agency only what it needs: memory
 * grows with the number of agencies in two years, not with the number of reports.
 */
import type { Finding } from "../model.js";
import { comparisonKey, pickNeighbour } from "./cross-year.js";
import type { ResultStore } from "./types.js";

export interface CrossYearDocument {
  /** The name the document shown prints. */
  agency: string;
  /** The key the two years were matched by (after aliases). */
  agencyKey: string;
  /** Every name the body's reports print in the two years, the document's own first. */
  names: string[];
  documentId: string;
  file: string | null;
  pipelineVersion: string;
}

export interface R6Disagreement extends CrossYearDocument {
  /** One per disagreeing column of carriedOver. */
  columns: { path: string; previousCarriedForward: number; carriedOver: number; message: string }[];
}

export interface R6Unchecked extends CrossYearDocument {
  /** Which cells were null, as the finding says. */
  message: string;
}

export interface CrossYearReport {
  year: number;
  previousYear: number;
  /** Agencies with a report in both years that R6 applies to (2019 and 2021 formats). */
  agenciesCompared: number;
  disagreements: R6Disagreement[];
  unchecked: R6Unchecked[];
  /** Agencies with a report for the previous year and none for this one (its document shown). */
  missing: CrossYearDocument[];
}

interface Candidate {
  sha256: string;
  pipelineVersion: string;
  agency: string;
  file: string | null;
  r6: boolean;
}

const documentIdOf = (sha256: string) => `sha256-${sha256}`;
const byAgency = <T extends { agency: string }>(a: T, b: T) => (a.agency < b.agency ? -1 : a.agency > b.agency ? 1 : 0);

export async function crossYearReport(store: ResultStore, year: number): Promise<CrossYearReport> {
  const previousYear = year - 1;
  const current = new Map<string, Candidate[]>();
  const previous = new Map<string, Candidate>();
  const names = new Map<string, Set<string>>();
  for await (const s of store.listReports()) {
    if (s.agency === null || (s.year !== year && s.year !== previousYear)) continue;
    const key = comparisonKey(s, store.aliases);
    if (key === null) continue;
    names.set(key, (names.get(key) ?? new Set()).add(s.agency));
    const c: Candidate = { sha256: s.sha256, pipelineVersion: s.pipelineVersion, agency: s.agency, file: s.sourceKey, r6: s.format === "2021" || s.format === "2019" };
    if (s.year === year) current.set(key, [...(current.get(key) ?? []), c]);
    else if (!previous.get(key)?.r6) previous.set(key, c);
  }

  const namesOf = (key: string, own: string) => [own, ...[...(names.get(key) ?? [])].filter((n) => n !== own).sort()];
  const missing: CrossYearDocument[] = [];
  for (const [key, c] of previous)
    if (!current.has(key))
      missing.push({ agency: c.agency, agencyKey: key, names: namesOf(key, c.agency), documentId: documentIdOf(c.sha256), file: c.file, pipelineVersion: c.pipelineVersion });

  const disagreements: R6Disagreement[] = [];
  const unchecked: R6Unchecked[] = [];
  let agenciesCompared = 0;
  for (const [key, candidates] of current) {
    const prev = previous.get(key);
    if (!prev?.r6) continue;
    // The report that stands for the agency-year, as R6 itself chooses it (pickNeighbour).
    const stored = [];
    for (const c of candidates.filter((x) => x.r6)) {
      const r = await store.getResult(c.sha256, c.pipelineVersion);
      if (r) stored.push({ ...r, candidate: c, sha256: c.sha256, pipelineVersion: c.pipelineVersion });
    }
    const rep = pickNeighbour(stored);
    if (!rep) continue;
    agenciesCompared++;
    const doc: CrossYearDocument = {
      agency: rep.candidate.agency,
      agencyKey: key,
      names: namesOf(key, rep.candidate.agency),
      documentId: documentIdOf(rep.sha256),
      file: rep.source?.key ?? rep.candidate.file,
      pipelineVersion: rep.pipelineVersion,
    };
    const r6 = rep.crossYear.filter((f: Finding) => f.rule === "R6");
    const columns = r6.flatMap((f) =>
      typeof f.expected === "number" && typeof f.actual === "number" && f.path !== null
        ? [{ path: f.path, previousCarriedForward: f.expected, carriedOver: f.actual, message: f.message }]
        : [],
    );
    if (columns.length) disagreements.push({ ...doc, columns });
    const blocked = r6.find((f) => f.expected === undefined);
    if (blocked) unchecked.push({ ...doc, message: blocked.message });
  }
  disagreements.sort(byAgency);
  unchecked.sort(byAgency);
  missing.sort(byAgency);
  return { year, previousYear, agenciesCompared, disagreements, unchecked, missing };
}
