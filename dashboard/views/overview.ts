/** Overview: reports per year by status and by format, and the two charts. */
import { href, html, type SafeHtml } from "../html.js";
import { FORMATS, OUTCOMES, outcomeLabel, STATUSES, type Snapshot, type Status } from "../results.js";
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

function charts(snap: Snapshot): SafeHtml {
  const years = [...new Set(snap.reports.map((r) => r.year).filter((y): y is number => y !== null))].sort((a, b) => a - b);
  const bars = years.map((y) => {
    const counted = snap.reports.filter((r) => r.year === y && r.newReceived !== null);
    return { label: String(y), value: counted.reduce((a, r) => a + (r.newReceived ?? 0), 0), note: `${counted.length} report${counted.length === 1 ? "" : "s"}` };
  });
  const mix = years.map((y) => ({
    label: String(y),
    values: OUTCOMES.map((o) => snap.reports.filter((r) => r.year === y).reduce((a, r) => a + (r.outcomes[o] ?? 0), 0)),
  }));
  return html`<div class="cards">
<figure class="card"><figcaption><h2>Applications per year</h2><p class="note">Sum of 一、本年新收 (总计 column) over the stored reports of each year, invalid ones included; blank cells are left out.</p></figcaption>
${barChart("Applications received per year", bars)}</figure>
<figure class="card"><figcaption><h2>Outcome mix</h2><p class="note">Share of each outcome of 三、本年度办理结果 (总计 column), per year.</p></figcaption>
${stackedShareChart("Outcome mix per year", OUTCOMES.map(outcomeLabel), mix)}</figure>
</div>`;
}

export function overviewPage(snap: Snapshot, readOnly: boolean): string {
  const rows = yearRows(snap);
  const body = html`<h1>Reports</h1>
<p class="note">${snap.reports.length} documents in the store, ${snap.failed.length} failed. Counts link to the documents. Failed documents have no year of their own: they are counted under the year folder of their upload path (<code>2023/…</code>), if any.</p>
${rows.length ? yearTable(rows) : html`<p class="empty">Nothing processed yet.</p>`}
${charts(snap)}`;
  return page({ title: "Overview", nav: "overview", body, readOnly });
}
