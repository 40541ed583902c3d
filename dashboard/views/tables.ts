/**
 * The three statistics tables in the official layout of the format notices, with merged
 * header cells as printed, every label taken from src/catalogue.ts. A cell that a finding
 * names is highlighted (error or warning) and carries the finding's number; a finding on a
 * row (T2/T3: `applications.withheld.stateSecret`) or on a group of rows marks all of them.
 */
import {
  APPLICANT_COLUMNS,
  APPLICATIONS_2021_COLLAPSED,
  APPLICATIONS_GROUP_LABELS,
  APPLICATIONS_OUTCOMES_LABEL,
  CATALOGUE,
  HEADER_LABELS,
  PROACTIVE_CLAUSES,
  type ReportFormat,
  type RowDef,
  type TableId,
} from "../../src/catalogue.js";
import type { Finding, TableData } from "../../src/model.js";
import { html, type SafeHtml } from "../html.js";

/** A finding as shown on the page: numbered, and placed beside its table (or above them all). */
export interface ShownFinding extends Finding {
  n: number;
  table: TableId | null;
}

/** The findings whose path is `path` or above it (a row, a group of rows, the table). */
export function covering(findings: readonly ShownFinding[], path: string): ShownFinding[] {
  return findings.filter((f) => f.path !== null && (f.path === path || path.startsWith(`${f.path}.`)));
}

function severityClass(fs: readonly ShownFinding[]): string | null {
  if (fs.some((f) => f.severity === "error")) return "bad-error";
  return fs.length ? "bad-warning" : null;
}

function valueAt(data: TableData, path: string): unknown {
  let node: unknown = data;
  for (const k of path.split(".")) node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[k] : undefined;
  return node;
}

const refs = (fs: readonly ShownFinding[]) =>
  fs.length ? html`<sup>${fs.map((f, i) => html`${i ? "," : ""}<a href="#f${f.n}">${f.n}</a>`)}</sup>` : "";
const titleOf = (fs: readonly ShownFinding[]) => fs.map((f) => `${f.n}. ${f.rule}: ${f.message}`).join("\n");
const cls = (...names: (string | null | false)[]) => names.filter(Boolean).join(" ");

interface Ctx {
  table: TableId;
  data: TableData;
  findings: readonly ShownFinding[];
}

/** One value cell. `suffix` is shown after the number (the 2019 procurement unit). */
function cell(ctx: Ctx, rowPath: string, key: string, opts: { colspan?: number; suffix?: string | null } = {}): SafeHtml {
  const path = `${ctx.table}.${rowPath}.${key}`;
  const v = valueAt(ctx.data, `${rowPath}.${key}`);
  const fs = covering(ctx.findings, path);
  const isNum = typeof v === "number";
  return html`<td${opts.colspan && opts.colspan > 1 ? html` colspan="${opts.colspan}"` : ""} class="${cls(!isNum && "null", severityClass(fs))}" data-path="${path}"${
    fs.length ? html` title="${titleOf(fs)}"` : !isNum ? html` title="blank (null)"` : ""
  }>${isNum ? String(v) : ""}${isNum && opts.suffix ? html` <span class="muted">${opts.suffix}</span>` : ""}${refs(fs)}</td>`;
}

/** A row label cell; marked when a finding is on the whole row (or above it). */
function rowLabel(ctx: Ctx, row: Pick<RowDef, "path" | "label">, attrs: { colspan?: number; note?: string } = {}): SafeHtml {
  const fs = covering(ctx.findings, `${ctx.table}.${row.path}`);
  return html`<th class="${cls("row", severityClass(fs))}" data-path="${ctx.table}.${row.path}"${attrs.colspan && attrs.colspan > 1 ? html` colspan="${attrs.colspan}"` : ""}${
    fs.length ? html` title="${titleOf(fs)}"` : ""
  }>${row.label}${attrs.note ? html` <span class="muted">${attrs.note}</span>` : ""}${refs(fs)}</th>`;
}

/** A merged header over a group of rows or columns; marked like a row label. */
function groupHeader(ctx: Ctx, path: string, label: string, attrs: SafeHtml, align: "left" | "center" = "left"): SafeHtml {
  const fs = covering(ctx.findings, `${ctx.table}.${path}`);
  return html`<th class="${cls(align === "left" && "row", severityClass(fs))}" data-path="${ctx.table}.${path}" ${attrs}${fs.length ? html` title="${titleOf(fs)}"` : ""}>${label}${refs(fs)}</th>`;
}

// ------------------------------------------------------------------------------- table 二
/** Spreads n fields over the three value columns; the last takes what is left. */
function spans(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? 3 - (n - 1) : 1));
}

function proactiveTable(format: ReportFormat, ctx: Ctx): SafeHtml {
  const rows = CATALOGUE[format].proactive.rows;
  const byPath = new Map(rows.map((r) => [r.path, r]));
  const blocks = PROACTIVE_CLAUSES[format].map((b) => ({ clause: b.clause as string | null, rows: b.rows.map((p) => byPath.get(p)).filter((r): r is RowDef => !!r) }));
  // any row no clause claims still gets shown (the catalogue is the authority)
  const claimed = new Set(blocks.flatMap((b) => b.rows.map((r) => r.path)));
  const rest = rows.filter((r) => !claimed.has(r.path));
  if (rest.length) blocks.push({ clause: null, rows: rest });
  const unit = valueAt(ctx.data, "procurement.amountUnit");
  return html`<table class="official" data-table="proactive"><tbody>
${blocks.map((b) => {
  const fields = b.rows[0]?.fields ?? [];
  const colspans = spans(fields.length);
  return html`${b.clause ? html`<tr><th colspan="4">${b.clause}</th></tr>` : ""}
<tr><th>${HEADER_LABELS.proactiveContent}</th>${fields.map((f, i) => html`<th${colspans[i]! > 1 ? html` colspan="${colspans[i]}"` : ""}>${f.label}</th>`)}</tr>
${b.rows.map(
  (r) =>
    html`<tr>${rowLabel(ctx, r)}${r.fields.map((f, i) =>
      cell(ctx, r.path, f.key, { colspan: spans(r.fields.length)[i] ?? 1, suffix: r.path === "procurement" && f.key === "amount" && typeof unit === "string" ? unit : null }),
    )}</tr>`,
)}`;
})}
</tbody></table>`;
}

// ------------------------------------------------------------------------------- table 三
/** Rows of table 三 that sit outside 三、本年度办理结果 (一、二、四). */
const TOP_ROWS = new Set(["newReceived", "carriedOver", "carriedForward"]);
const AS_PRINTED = APPLICATIONS_2021_COLLAPSED.rows.find((r) => r.path === "otherHandlingAsPrinted");

function applicationsTable(format: ReportFormat, ctx: Ctx): SafeHtml {
  const rows: RowDef[] = [...CATALOGUE[format].applications.rows];
  // A 2021 report that printed （六）其他处理 as one row: show that row too, after the three sub-rows.
  if (AS_PRINTED && valueAt(ctx.data, "otherHandlingAsPrinted")) {
    const at = rows.findIndex((r) => r.path === "totalProcessed");
    rows.splice(at, 0, AS_PRINTED);
  }
  const outcomeRows = rows.filter((r) => !TOP_ROWS.has(r.path));
  const groupOf = (r: RowDef) => (r.path.includes(".") ? (r.path.split(".")[0] ?? null) : null);
  const groupSize = (g: string) => outcomeRows.filter((r) => groupOf(r) === g).length;
  const [first, ...middle] = APPLICANT_COLUMNS;
  const last = middle.pop();

  const body = rows.map((r) => {
    const values = APPLICANT_COLUMNS.map((c) => cell(ctx, r.path, c.key));
    if (TOP_ROWS.has(r.path)) return html`<tr>${rowLabel(ctx, r, { colspan: 3 })}${values}</tr>`;
    const isFirstOutcome = r === outcomeRows[0];
    const outcomesHeader = isFirstOutcome ? html`<th class="row" rowspan="${outcomeRows.length}">${APPLICATIONS_OUTCOMES_LABEL}</th>` : "";
    const g = groupOf(r);
    if (g === null) {
      const note = r.path === "otherHandlingAsPrinted" ? "(as printed)" : undefined;
      return html`<tr>${outcomesHeader}${rowLabel(ctx, r, { colspan: 2, ...(note ? { note } : {}) })}${values}</tr>`;
    }
    const firstOfGroup = outcomeRows.find((x) => groupOf(x) === g) === r;
    const parent = firstOfGroup ? groupHeader(ctx, g, APPLICATIONS_GROUP_LABELS[g] ?? g, html`rowspan="${groupSize(g)}"`) : "";
    return html`<tr>${outcomesHeader}${parent}${rowLabel(ctx, r)}${values}</tr>`;
  });

  return html`<table class="official" data-table="applications">
<thead>
<tr><th colspan="3" rowspan="3">${HEADER_LABELS.applicationsNote}</th><th colspan="7">${HEADER_LABELS.applicants}</th></tr>
<tr><th rowspan="2">${first?.label}</th><th colspan="${middle.length}">${HEADER_LABELS.applicantOrganisations}</th><th rowspan="2">${last?.label}</th></tr>
<tr>${middle.map((c) => html`<th>${c.label}</th>`)}</tr>
</thead>
<tbody>
${body}
</tbody></table>`;
}

// ------------------------------------------------------------------------------- table 四
function reviewLitigationTable(format: ReportFormat, ctx: Ctx): SafeHtml {
  const [review, ...litigation] = CATALOGUE[format].reviewLitigation.rows;
  if (!review) return html``;
  const litigationCols = litigation.reduce((n, r) => n + r.fields.length, 0);
  return html`<table class="official" data-table="reviewLitigation">
<thead>
<tr>${groupHeader(ctx, review.path, review.label, html`colspan="${review.fields.length}"`, "center")}<th colspan="${litigationCols}">${HEADER_LABELS.litigation}</th></tr>
<tr>${review.fields.map((f) => html`<th rowspan="2">${f.label}</th>`)}${litigation.map((r) => groupHeader(ctx, r.path, r.label, html`colspan="${r.fields.length}"`, "center"))}</tr>
<tr>${litigation.map((r) => r.fields.map((f) => html`<th>${f.label}</th>`))}</tr>
</thead>
<tbody>
<tr>${[review, ...litigation].map((r) => r.fields.map((f) => cell(ctx, r.path, f.key)))}</tr>
</tbody></table>`;
}

const RENDER: Record<TableId, (format: ReportFormat, ctx: Ctx) => SafeHtml> = {
  proactive: proactiveTable,
  applications: applicationsTable,
  reviewLitigation: reviewLitigationTable,
};

/** A table of a 2021 or 2019 report in its official layout, or a note when it was not found. */
export function officialTable(format: ReportFormat, table: TableId, data: TableData | null, findings: readonly ShownFinding[]): SafeHtml {
  if (data === null) return html`<p class="empty">table not found in the document</p>`;
  return RENDER[table](format, { table, data, findings });
}

/** The findings list shown beside a table (or above the tables). */
export function findingsList(findings: readonly ShownFinding[]): SafeHtml {
  if (!findings.length) return html`<p class="empty">no findings</p>`;
  return html`<ol class="findings">${findings.map(
    (f) => html`<li id="f${f.n}" class="${f.severity}"><span class="rule">${f.n}. ${f.rule}</span><span class="badge ${f.severity === "error" ? "invalid" : "incomplete"}">${f.severity}</span>
${f.path ? html` <span class="path">${f.path}</span>` : ""}<span class="msg">${f.message}</span>${
      f.expected !== undefined || f.actual !== undefined
        ? html`<span class="muted">expected ${JSON.stringify(f.expected ?? null)}, actual ${JSON.stringify(f.actual ?? null)}</span>`
        : ""
    }</li>`,
  )}</ol>`;
}
