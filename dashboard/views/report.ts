/** One document: its facts, its three tables in the official layout with the cells that break a rule marked, and its findings. */
import { CATALOGUE, TABLE_IDS, type TableId } from "../../src/catalogue.js";
import type { TableData } from "../../src/model.js";
import type { StoredReport } from "../../src/store/types.js";
import { html, type SafeHtml } from "../html.js";
import { page } from "./layout.js";
import { findingsList, officialTable, type ShownFinding } from "./tables.js";

export interface ReportView {
  stored: StoredReport;
  /** Whether the original can be served from the upload bucket. */
  sourceAvailable: boolean;
  readOnly: boolean;
}

const SECTION_NAMES = { overview: "Overview (section 一)", problems: "Problems and improvements (section 五)", other: "Other matters (section 六)" } as const;

/** Every finding, numbered in the order the page shows them: the general ones, then table by table. */
export function numberFindings(stored: StoredReport): ShownFinding[] {
  const all = [...stored.envelope.validation.findings, ...stored.crossYear];
  const tableOf = (path: string | null): TableId | null => {
    const head = path?.split(".")[0];
    return TABLE_IDS.find((t) => t === head) ?? null;
  };
  const order = [null, ...TABLE_IDS];
  return all
    .map((f) => ({ ...f, table: tableOf(f.path) }))
    .sort((a, b) => order.indexOf(a.table) - order.indexOf(b.table))
    .map((f, i) => ({ ...f, n: i + 1 }));
}

function prose(text: string | null): SafeHtml {
  if (text === null || text.trim() === "") return html`<p class="empty">not found in the document</p>`;
  return html`${text.split(/\n+/).map((p) => html`<p>${p}</p>`)}`;
}

function legacyBody(stored: StoredReport): SafeHtml {
  const r = stored.envelope.report;
  if (r.format !== "legacy") return html``;
  return html`<h2>Statistics (pre-2019 report)</h2>
${
  r.legacy.statistics.length
    ? html`<table class="list"><thead><tr><th>label</th><th>unit</th><th>values</th></tr></thead><tbody>${r.legacy.statistics.map(
        (s) => html`<tr><td>${s.label}</td><td>${s.unit ?? ""}</td><td class="n">${s.values.map((v) => (v === null ? "—" : String(v))).join(" · ")}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="empty">no statistics table</p>`
}
<h2>Figures stated in the text</h2>
${
  r.legacy.figures.length
    ? html`<table class="list"><thead><tr><th>figure</th><th class="n">value</th><th>sentence</th></tr></thead><tbody>${r.legacy.figures.map(
        (f) => html`<tr><td>${f.label}</td><td class="n">${f.value} ${f.unit}</td><td>${f.evidence}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="empty">none</p>`
}`;
}

export function reportPage(view: ReportView): string {
  const { stored } = view;
  const env = stored.envelope;
  const r = env.report;
  const sha = env.source.sha256;
  const findings = numberFindings(stored);
  const general = findings.filter((f) => f.table === null);
  const status = env.validation.status;
  const heading = r.title ?? ([r.agency, r.year].filter((x) => x !== null).join(" ") || sha.slice(0, 12));

  const tables =
    r.format === "legacy"
      ? legacyBody(stored)
      : html`${TABLE_IDS.map((t) => {
          const def = CATALOGUE[r.format][t];
          const own = findings.filter((f) => f.table === t);
          return html`<section class="tbl" id="table-${t}"><h2>${def.heading}</h2>
<div class="grid"><div class="wrap">${officialTable(r.format, t, r[t] as TableData | null, own)}</div>
<aside class="findings" aria-label="findings of ${t}">${findingsList(own)}</aside></div></section>`;
        })}`;

  const body = html`<h1><span class="badge ${status}">${status}</span> ${heading}</h1>
<dl class="meta">
<dt>agency</dt><dd>${r.agency ?? html`<span class="muted">not read</span>`}</dd>
<dt>region</dt><dd>${r.region ? html`${r.region.name} <span class="muted">${r.region.code}</span>` : html`<span class="muted">not settled</span>`}</dd>
<dt>agency key</dt><dd><code>${r.agencyKey ?? "—"}</code></dd>
<dt>year</dt><dd>${r.year ?? html`<span class="muted">not read</span>`}</dd>
<dt>format</dt><dd>${r.format}</dd>
<dt>file</dt><dd>${stored.source?.key ?? env.source.fileName ?? ""} <span class="muted">${env.source.mediaType}${env.source.pages !== null ? `, ${env.source.pages} pages` : ""}</span></dd>
<dt>sha256</dt><dd><code>${sha}</code></dd>
<dt>pipeline</dt><dd>${env.pipeline.version}, stored ${stored.storedAt}</dd>
</dl>
<p class="links">${view.sourceAvailable ? html`<a href="/reports/${sha}/source" id="link-source">original file</a>` : html`<span class="muted">original not in the upload bucket</span>`}
<a href="/reports/${sha}/json" id="link-json">JSON</a>
<a href="/coverage?year=${r.year ?? ""}">coverage of ${r.year ?? "—"}</a></p>
${general.length ? html`<h2>Findings on the report</h2>${findingsList(general)}` : ""}
${tables}
<h2>Text</h2>
${(["overview", "problems", "other"] as const).map(
  (s) => html`<details class="prose"${s === "overview" ? html` open` : ""}><summary>${SECTION_NAMES[s]}</summary>${prose(r.sections[s])}</details>`,
)}`;
  return page({ title: `${r.agency ?? sha.slice(0, 12)} ${r.year ?? ""}`, body, readOnly: view.readOnly });
}
