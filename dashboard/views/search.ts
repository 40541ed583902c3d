/** Search by agency name, with filters by year, status and format. */
import { normaliseName } from "../../src/identity/index.js";
import { href, html, type SafeHtml } from "../html.js";
import { FORMATS, STATUSES, type FailedEntry, type ReportEntry, type Snapshot } from "../results.js";
import { page } from "./layout.js";
import { NO_YEAR } from "./overview.js";

export interface SearchQuery {
  q: string;
  year: string;
  status: string;
  format: string;
}

const LIMIT = 500;

/** Names are compared as the store compares them (NFKC, no whitespace), case-insensitively. */
const norm = (s: string) => normaliseName(s).toLowerCase();

function yearMatches(year: number | null, want: string): boolean {
  if (want === "") return true;
  return want === NO_YEAR ? year === null : year === Number(want);
}

/**
 * Reports whose printed name or agencyKey contains the query (or whose sha256 starts with it),
 * and the other reports of the same bodies (the same key), whatever name they print: a search
 * for 淮安市洪泽区人民政府 finds the year it printed 洪泽区人民政府 too.
 */
export function searchReports(snap: Snapshot, query: SearchQuery): ReportEntry[] {
  const q = norm(query.q);
  const hit = (r: ReportEntry) =>
    (r.agency !== null && norm(r.agency).includes(q)) || (r.agencyKey !== null && r.agencyKey.toLowerCase().includes(q)) || r.sha256.startsWith(q);
  const bodies = new Set(q === "" ? [] : snap.reports.filter(hit).map((r) => r.agencyKey));
  return snap.reports
    .filter(
      (r) =>
        (q === "" || hit(r) || (r.agencyKey !== null && bodies.has(r.agencyKey))) &&
        yearMatches(r.year, query.year) &&
        (query.status === "" || r.status === query.status) &&
        (query.format === "" || r.format === query.format),
    )
    .sort((a, b) => (a.agency ?? "\uffff").localeCompare(b.agency ?? "\uffff", "zh") || (b.year ?? 0) - (a.year ?? 0));
}

function searchFailed(snap: Snapshot, query: SearchQuery): FailedEntry[] {
  const q = norm(query.q);
  return snap.failed.filter((f) => (q === "" || norm(f.sourceKey ?? "").includes(q) || f.sha256.startsWith(q)) && yearMatches(f.year, query.year));
}

function select(name: string, value: string, options: readonly string[], labels: Record<string, string> = {}): SafeHtml {
  return html`<select name="${name}" aria-label="${name}"><option value="">any ${name}</option>${options.map(
    (o) => html`<option value="${o}"${o === value ? html` selected` : ""}>${labels[o] ?? o}</option>`,
  )}</select>`;
}

function reportRows(reports: readonly ReportEntry[]): SafeHtml {
  return html`<table class="list" id="results"><thead><tr><th>agency</th><th>year</th><th>format</th><th>status</th><th>file</th></tr></thead><tbody>
${reports.map(
  (r) => html`<tr><td><a href="/reports/${r.sha256}">${r.agency ?? html`<span class="muted">agency not read</span>`}</a></td>
<td>${r.year ?? "—"}</td><td>${r.format}</td><td><span class="badge ${r.status ?? ""}">${r.status ?? "?"}</span></td><td class="muted">${r.sourceKey ?? r.sha256.slice(0, 12)}</td></tr>`,
)}
</tbody></table>`;
}

function failedRows(failed: readonly FailedEntry[]): SafeHtml {
  return html`<table class="list" id="failed"><thead><tr><th>file</th><th>reason</th><th>message</th><th>at</th></tr></thead><tbody>
${failed.map(
  (f) => html`<tr><td>${f.sourceKey ?? f.sha256.slice(0, 12)}</td><td><span class="badge failed">${f.code}</span></td><td>${f.message}</td><td class="muted">${f.at}</td></tr>`,
)}
</tbody></table>`;
}

export function searchPage(snap: Snapshot, query: SearchQuery, readOnly: boolean): string {
  const years = [...snap.years.map(String), NO_YEAR];
  const failedOnly = query.status === "failed";
  const reports = failedOnly ? [] : searchReports(snap, query);
  // failed documents have no agency or format: shown when asked for, or when a name search finds their file
  const failed = failedOnly || (query.status === "" && query.format === "" && query.q !== "") ? searchFailed(snap, query) : [];
  const body = html`<h1>Search</h1>
<form class="search" method="get" action="/search" role="search">
<input type="search" name="q" value="${query.q}" placeholder="agency name (e.g. 发展和改革委员会)" aria-label="agency name" autofocus>
${select("year", query.year, years, { [NO_YEAR]: "year not read" })}
${select("status", query.status, STATUSES)}
${select("format", query.format, FORMATS)}
<button type="submit">Search</button>
</form>
${
  reports.length || !failedOnly
    ? html`<p class="note">${reports.length} report${reports.length === 1 ? "" : "s"}${reports.length > LIMIT ? `, the first ${LIMIT} shown` : ""}.</p>
${reports.length ? reportRows(reports.slice(0, LIMIT)) : html`<p class="empty">No report matches.</p>`}`
    : ""
}
${failed.length ? html`<h2>Failed documents</h2><p class="note">${failed.length} failed (no result); the reason codes are those of <code>nianbao status</code>.</p>${failedRows(failed.slice(0, LIMIT))}` : failedOnly ? html`<p class="empty">No failed document matches.</p>` : ""}
<p class="note"><a href="${href("/search")}">clear the filters</a></p>`;
  return page({ title: query.q ? `Search: ${query.q}` : "Search", nav: "search", body, readOnly });
}
