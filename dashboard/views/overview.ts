/** Overview: reports per year by status and by format, and the two charts. */
import { href, html, type SafeHtml } from "../html.js";
import { FORMATS, OUTCOMES, outcomeLabel, reportGroups, STATUSES, type ReportEntry, type ReportGroup, type Snapshot, type Status } from "../results.js";
import { barChart, stackedShareChart } from "../svg.js";
import { page } from "./layout.js";

/** The value of the `year` search parameter for reports whose year was not read. */
export const NO_YEAR = "none";

interface YearRow {
  year: number | null;
  status: Record<Status, number>;
  format: Record<string, number>;
  total: number;
}

function emptyRow(year: number | null): YearRow {
  return {
    year,
    status: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>,
    format: Object.fromEntries(FORMATS.map((f) => [f, 0])),
    total: 0,
  };
}

export function yearRows(snap: Snapshot): YearRow[] {
  const rows = new Map<number | null, YearRow>();
  const row = (y: number | null) => {
    let r = rows.get(y);
    if (!r) rows.set(y, (r = emptyRow(y)));
    return r;
  };
  for (const y of snap.years) row(y);
  for (const r of snap.reports) {
    const yr = row(r.year);
    if (r.status) yr.status[r.status]++;
    yr.format[r.format] = (yr.format[r.format] ?? 0) + 1;
    yr.total++;
  }
  for (const f of snap.failed) {
    const yr = row(f.year);
    yr.status.failed++;
    yr.total++;
  }
  // newest first; the documents without a year last
  return [...rows.values()].sort((a, b) => (a.year === null ? 1 : b.year === null ? -1 : b.year - a.year));
}

const countLink = (n: number, params: Record<string, string | number>) => (n ? html`<a href="${href("/search", params)}">${n}</a>` : html`<span class="muted">0</span>`);

function yearTable(rows: readonly YearRow[]): SafeHtml {
  const total = emptyRow(null);
  for (const r of rows) {
    for (const s of STATUSES) total.status[s] += r.status[s];
    for (const f of FORMATS) total.format[f] = (total.format[f] ?? 0) + (r.format[f] ?? 0);
    total.total += r.total;
  }
  const yearParam = (y: number | null) => (y === null ? NO_YEAR : y);
  return html`<table class="list" id="by-year">
<thead><tr><th rowspan="2">year</th><th colspan="${STATUSES.length}">status</th><th colspan="${FORMATS.length}">format</th><th rowspan="2" class="n">total</th></tr>
<tr>${STATUSES.map((s) => html`<th class="n"><span class="badge ${s}">${s}</span></th>`)}${FORMATS.map((f) => html`<th class="n">${f}</th>`)}</tr></thead>
<tbody>
${rows.map(
  (r) => html`<tr data-year="${r.year ?? NO_YEAR}"><td>${r.year ?? html`<span class="muted">year not read</span>`}</td>
${STATUSES.map((s) => html`<td class="n" data-status="${s}">${countLink(r.status[s], { year: yearParam(r.year), status: s })}</td>`)}
${FORMATS.map((f) => html`<td class="n" data-format="${f}">${countLink(r.format[f] ?? 0, { year: yearParam(r.year), format: f })}</td>`)}
<td class="n">${r.total}</td></tr>`,
)}
<tr class="total"><td>all years</td>${STATUSES.map((s) => html`<td class="n">${total.status[s]}</td>`)}${FORMATS.map((f) => html`<td class="n">${total.format[f] ?? 0}</td>`)}<td class="n">${total.total}</td></tr>
</tbody></table>`;
}

function charts(groups: readonly ReportGroup[]): SafeHtml {
  // one report counts once: the copy that stands for it
  const reports = groups.map((g) => g.standing);
  const years = [...new Set(reports.map((r) => r.year).filter((y): y is number => y !== null))].sort((a, b) => a - b);
  const bars = years.map((y) => {
    const counted = reports.filter((r) => r.year === y && r.newReceived !== null);
    return { label: String(y), value: counted.reduce((a, r) => a + (r.newReceived ?? 0), 0), note: `${counted.length} report${counted.length === 1 ? "" : "s"}` };
  });
  const mix = years.map((y) => ({
    label: String(y),
    values: OUTCOMES.map((o) => reports.filter((r) => r.year === y).reduce((a, r) => a + (r.outcomes[o] ?? 0), 0)),
  }));
  return html`<div class="cards">
<figure class="card"><figcaption><h2>Applications per year</h2><p class="note">Sum of 一、本年新收 (总计 column) over the reports of each year, invalid ones included; blank cells are left out. A report stored as several documents (a PDF and a text copy: the same agencyKey and year) counts once, by the copy that stands (see "Copies of one report").</p></figcaption>
${barChart("Applications received per year", bars)}</figure>
<figure class="card"><figcaption><h2>Outcome mix</h2><p class="note">Share of each outcome of 三、本年度办理结果 (总计 column), per year; each report once.</p></figcaption>
${stackedShareChart("Outcome mix per year", OUTCOMES.map(outcomeLabel), mix)}</figure>
</div>`;
}

const docLink = (r: ReportEntry) =>
  html`<a href="/reports/${r.sha256}"><code>${r.sha256.slice(0, 12)}</code></a> ${r.sourceKey ?? ""} <span class="muted">(${r.format}, ${r.status ?? "no status"}, pipeline ${r.pipelineVersion}${r.storedAt ? html`, stored ${r.storedAt}` : ""})</span>`;

/** The reports stored as more than one document: each with the copy that stands and the others. */
function copiesTable(groups: readonly ReportGroup[]): SafeHtml {
  const multi = groups.filter((g) => g.others.length).sort((a, b) => (b.year ?? 0) - (a.year ?? 0) || (a.agencyKey ?? "").localeCompare(b.agencyKey ?? ""));
  return html`<section class="card" id="copies"><h2>Copies of one report</h2>
<p class="note">Documents with the same agencyKey and year are one report, counted once in the charts. The copy that stands is the one the store's R6 check compares: the newest pipeline version, then the one stored last. ${multi.length ? "" : "No report is stored more than once."}</p>
${
  multi.length
    ? html`<table class="list"><thead><tr><th>year</th><th>agency</th><th>stands</th><th>other copies (not counted)</th></tr></thead><tbody>
${multi.map(
  (g) => html`<tr data-agency-key="${g.agencyKey ?? ""}" data-year="${g.year ?? NO_YEAR}"><td>${g.year ?? ""}</td><td>${g.standing.agency ?? ""}<br><span class="muted">${g.agencyKey ?? ""}</span></td>
<td class="stands" data-sha256="${g.standing.sha256}">${docLink(g.standing)}</td>
<td class="others">${g.others.map((o) => html`<div data-sha256="${o.sha256}">${docLink(o)}</div>`)}</td></tr>`,
)}
</tbody></table>`
    : ""
}</section>`;
}

export function overviewPage(snap: Snapshot, readOnly: boolean): string {
  const rows = yearRows(snap);
  const groups = reportGroups(snap.reports);
  const copies = snap.reports.length - groups.length;
  const body = html`<h1>Reports</h1>
<p class="note">${snap.reports.length} documents in the store, ${snap.failed.length} failed. The stored ones are ${groups.length} reports${copies ? html` (${copies} ${copies === 1 ? "document is a copy" : "documents are copies"} of another: see "Copies of one report")` : ""}. The table counts documents; counts link to them. Failed documents have no year of their own: they are counted under the year folder of their upload path (<code>2023/…</code>), if any.</p>
${rows.length ? yearTable(rows) : html`<p class="empty">Nothing processed yet.</p>`}
${charts(groups)}
${copiesTable(groups)}`;
  return page({ title: "Overview", nav: "overview", body, readOnly });
}
