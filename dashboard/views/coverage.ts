/** Coverage: the agencies that reported the year before but have no report for this year. */
import { html } from "../html.js";
import type { ReportEntry, Snapshot } from "../results.js";
import { page } from "./layout.js";

export interface Coverage {
  year: number;
  reportedBefore: number;
  reportedNow: number;
  /** One entry per missing agency (matched by agencyKey, as the store matches them), with its previous report. */
  missing: MissingAgency[];
}

export interface MissingAgency extends ReportEntry {
  /** Every name the body printed in the year before, the report's own first. */
  names: string[];
}

export function coverage(snap: Snapshot, year: number): Coverage {
  const before = new Map<string, ReportEntry>();
  const names = new Map<string, Set<string>>();
  const now = new Set<string>();
  for (const r of snap.reports) {
    if (r.agencyKey === null) continue;
    if (r.year === year - 1 && r.agency !== null) names.set(r.agencyKey, (names.get(r.agencyKey) ?? new Set()).add(r.agency));
    if (r.year === year) now.add(r.agencyKey);
    // several reports of one agency-year: keep one (the valid one, if any) to link to
    else if (r.year === year - 1 && (!before.has(r.agencyKey) || r.status === "valid")) before.set(r.agencyKey, r);
  }
  const missing = [...before.entries()]
    .filter(([k]) => !now.has(k))
    .map(([k, r]): MissingAgency => ({ ...r, names: [...new Set([r.agency ?? "", ...(names.get(k) ?? [])])].filter((n) => n !== "") }))
    .sort((a, b) => (a.agency ?? "").localeCompare(b.agency ?? "", "zh"));
  return { year, reportedBefore: before.size, reportedNow: now.size, missing };
}

/**
 * The year to show when none is asked for: the newest one whose year before has reports (the
 * newest year may be one whose reports have only begun to come in, which is the point).
 */
export function defaultCoverageYear(snap: Snapshot): number | null {
  const years = new Set(snap.reports.map((r) => r.year).filter((y): y is number => y !== null));
  const newestFirst = [...years].sort((a, b) => b - a);
  return newestFirst.find((y) => years.has(y - 1)) ?? newestFirst[0] ?? null;
}

export function coveragePage(snap: Snapshot, year: number | null, readOnly: boolean): string {
  // every year with reports, and the one after the newest (whose reports may not have begun)
  const newest = snap.years[0];
  const years = newest === undefined ? [] : [...new Set([newest + 1, ...snap.years, ...(year !== null ? [year] : [])])].sort((a, b) => b - a);
  const form = html`<form class="search" method="get" action="/coverage"><label>year <select name="year" aria-label="year">${years.map(
    (y) => html`<option value="${y}"${y === year ? html` selected` : ""}>${y}</option>`,
  )}</select></label><button type="submit">Show</button></form>`;
  if (year === null) return page({ title: "Coverage", nav: "coverage", body: html`<h1>Coverage</h1><p class="empty">No report with a year yet.</p>`, readOnly });
  const c = coverage(snap, year);
  const body = html`<h1>Coverage of ${year}</h1>
${form}
<p class="note">${c.reportedBefore} agencies reported ${year - 1}; ${c.reportedNow} reported ${year}. Agencies are matched by agencyKey (the division and the body: 320813/人民政府), after the operator's aliases, as the store matches them for rule R6; a report of an older version without agencyKey, by its name after NFKC normalisation and whitespace removal.</p>
<h2>Reported ${year - 1}, not ${year}: ${c.missing.length}</h2>
${
  c.missing.length
    ? html`<table class="list" id="missing"><thead><tr><th>agency</th><th>${year - 1} report</th><th>file</th></tr></thead><tbody>
${c.missing.map(
  (r) => html`<tr><td>${r.names.join(" / ")} <span class="muted">${r.agencyKey}</span></td><td><a href="/reports/${r.sha256}"><span class="badge ${r.status ?? ""}">${r.status ?? "?"}</span> ${r.format}</a></td><td class="muted">${r.sourceKey ?? ""}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="empty">Every agency that reported ${year - 1} has a ${year} report.</p>`
}`;
  return page({ title: `Coverage ${year}`, nav: "coverage", body, readOnly });
}
