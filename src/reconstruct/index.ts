/**
 * The table reconstructor: intermediate document → report model.
 *
 * 1. tokenize: every block as one stream of cells (tokens.ts);
 * 2. find the section headings and the region of each table (sections.ts);
 * 3. detect the format from the printed labels (from the year only when no table is found: kind.ts);
 * 4. align each region's value runs to the catalogue rows (align.ts);
 * 5. build the nested table data, and a finding for every cell that could not be read.
 */
import {
  APPLICATIONS_2021_COLLAPSED,
  CATALOGUE,
  FORMAT_MARKERS,
  TABLE_IDS,
  type ReportFormat,
  type RowDef,
  type TableDef,
  type TableId,
} from "../catalogue.js";
import { RefusalError, type DocumentContent } from "../document.js";
import { withIdentity } from "../identity/index.js";
import { setPath, type Finding, type ReportData, type TableData } from "../model.js";
import { alignAsOneRun, alignOrderedThenByLabel, alignRuns, type Alignment, type RowResult } from "./align.js";
import { buildRuns } from "./runs.js";
import { readGridRows } from "./grid-rows.js";
import { resetSplitBudget } from "./digits.js";
import { gluedRowCount, readGluedTable, type GluedTable } from "./glued.js";
import { rowSumChecks, type SumCheck } from "./readings.js";
import { legacySections as readLegacySections, readLegacy } from "./legacy.js";
import { labelKey, labelSimilarity } from "./normalize.js";
import { figureProse, reviewOutcomes } from "./prose.js";
import { findIdentity } from "./identity.js";
import { formatOfYear, looksLikeReport as reportLike, tablesNotFound } from "./kind.js";
import { findHeadings, findRegions, sectionText, type Region } from "./sections.js";
import { tokenize, type Token, type TokenStream } from "./tokens.js";
import { simplified } from "./traditional.js";
import { ANCHOR_SIMILARITY, GLUED_MIN_ROWS } from "./weights.js";

export interface Reconstruction {
  report: ReportData;
  /** Findings of reconstruction itself (tables or rows not found, cells unreadable). */
  findings: Finding[];
  /** Whether a table or row of the detected format could not be located or read. */
  incomplete: boolean;
  /** Whether the document looks like a disclosure report at all. */
  looksLikeReport: boolean;
}

/** In-row sum rules (the catalogue's), used to split digits that ran together. */
function sumCheckOf(def: TableDef) {
  return (row: RowDef): SumCheck | null => rowSumChecks(def, row.fields.length)[0] ?? null;
}

function tokensOf(stream: TokenStream, region: Region): Token[] {
  return stream.tokens.slice(region.start, region.end);
}

const regionText = (stream: TokenStream, region: Region | null) => (region ? tokensOf(stream, region).map((t) => t.text).join(" ") : "");

/**
 * A table of glued text (glued.ts). A 2021 table 三 that prints （六）其他处理 as one row is
 * read with those rows when they leave fewer rows unfound.
 */
function readGlued(text: string, def: TableDef, format: ReportFormat): { def: TableDef; read: GluedTable } {
  const read = readGluedTable(text, def);
  if (format === "2021" && def.id === "applications") {
    const collapsed = readGluedTable(text, APPLICATIONS_2021_COLLAPSED);
    if (APPLICATIONS_2021_COLLAPSED.rows.length - collapsed.rowsFound < def.rows.length - read.rowsFound)
      return { def: APPLICATIONS_2021_COLLAPSED, read: collapsed };
  }
  return { def, read };
}

const MARKER_KEYS = {
  "2021": FORMAT_MARKERS["2021"].map(labelKey),
  "2019": FORMAT_MARKERS["2019"].map(labelKey),
} as const;

/** Counts format-specific labels printed in the tables. */
function detectFormat(tokens: readonly Token[]): { format: ReportFormat | null; score: Record<ReportFormat, number> } {
  const score: Record<ReportFormat, number> = { "2021": 0, "2019": 0 };
  for (const t of tokens) {
    if (t.kind !== "text") continue;
    const k = labelKey(t.text);
    for (const f of ["2021", "2019"] as const) {
      for (const m of MARKER_KEYS[f]) if (k.includes(m)) score[f]++;
    }
  }
  const format = score["2021"] > score["2019"] ? "2021" : score["2019"] > score["2021"] ? "2019" : null;
  return { format, score };
}

function cellValue(r: RowResult, i: number): number | null {
  if (r.status === "split") return r.splitValues?.[i] ?? null;
  return r.cells[i]?.parsed?.value ?? null;
}

function rowData(r: RowResult): TableData {
  return Object.fromEntries(r.row.fields.map((f, i) => [f.key, cellValue(r, i)]));
}

function rowFindings(table: TableId, rows: readonly RowResult[]): Finding[] {
  const out: Finding[] = [];
  for (const r of rows) {
    const path = `${table}.${r.row.path}`;
    if (r.status === "missing")
      out.push({ rule: "T2", severity: "error", path, message: `row ${r.row.label} not found; its cells are null` });
    else if (r.status === "damaged")
      out.push({
        rule: "T3",
        severity: "error",
        path,
        message: `row ${r.row.label}: ${r.detail ?? `the values could not be matched to its ${r.row.fields.length} columns`}; its cells are null`,
      });
    else if (r.status === "uncertain")
      out.push({ rule: "T3", severity: "error", path, message: `row ${r.row.label}: ${r.detail ?? "cells uncertain"}; its cells are null` });
    else if (r.status === "ok" && r.placed)
      out.push({ rule: "T13", severity: "warning", path, message: `row ${r.row.label}, read by OCR: ${r.placed}` });
    else if (r.status === "split")
      out.push({
        rule: "T4",
        severity: "warning",
        path,
        message: `row ${r.row.label}: digits of adjacent cells ran together; split as ${(r.splitValues ?? []).join("|")}, the only split satisfying the row's sum rule`,
      });
  }
  // Rows read column by column: one finding per run that was.
  const runs = new Map<number, RowResult[]>();
  for (const r of rows) if (r.status === "ok" && r.columnWise && r.run !== undefined) runs.set(r.run, [...(runs.get(r.run) ?? []), r]);
  for (const group of runs.values()) {
    const first = group[0] as RowResult;
    const last = group[group.length - 1] as RowResult;
    out.push({
      rule: "T7",
      severity: "warning",
      path: `${table}.${first.row.path}`,
      message: `rows ${first.row.label} … ${last.row.label} were printed one number per line in no certain order; read column by column, the only order in which every row adds up`,
    });
  }
  return out;
}

/**
 * A name read by OCR may have one character misread (棠 as 党). It is kept only when the text
 * prints it at least twice (title and body, or body and signature): one misreading is not
 * repeated in the same way. Otherwise it is null with an I3 warning.
 */
function confirmOcrName(identity: { agency: string | null; findings: Finding[] }, stream: TokenStream) {
  const name = identity.agency;
  if (name === null) return;
  const text = stream.lines.map((l) => l.text.replace(/\s+/g, "")).join("");
  const times = text.split(name.replace(/\s+/g, "")).length - 1;
  if (times >= 2) return;
  identity.agency = null;
  identity.findings.push({
    rule: "I3",
    severity: "warning",
    path: "agency",
    message: `the name «${name}» was read by OCR and printed only once in the text, so it cannot be confirmed; agency is null`,
  });
}

/** A table of an OCR'd grid: rows found by their own labels; the score counts rows read. */
function gridAlignment(stream: TokenStream, region: Region, def: TableDef): Alignment {
  const rows = readGridRows(tokensOf(stream, region), def);
  return { rows, score: rows.filter((r) => r.status === "ok").length - rows.filter((r) => r.status === "missing").length };
}

/**
 * Cells that OCR saw but could not read: null, each with a T12 finding naming what was seen.
 * An error: the value is unknown, not blank, so the report is incomplete even where no sum
 * rule needs the cell (table 二).
 */
function unreadCells(table: TableId, rows: readonly RowResult[]): Finding[] {
  const out: Finding[] = [];
  for (const r of rows) {
    r.cells.forEach((t, i) => {
      if (t?.unread === undefined) return;
      const field = r.row.fields[i];
      out.push({
        rule: "T12",
        severity: "error",
        path: `${table}.${r.row.path}.${field?.key ?? i}`,
        message: `row ${r.row.label}, column ${field?.label ?? i}: OCR could not read this cell with confidence (seen «${t.unread}»); it is null`,
      });
    });
  }
  return out;
}

function alignTable(stream: TokenStream, region: Region, def: TableDef): Alignment {
  const tokens = tokensOf(stream, region);
  const blankRows = def.labelledRows;
  const runs = buildRuns(tokens, def.rows, blankRows, def.labelledRows);
  if (runs.length > MAX_REGION_RUNS) return unreadRegion(def, runs.length);
  const cells = def.rows.reduce((n, r) => n + r.fields.length, 0);
  const numbers = tokens.filter((t) => t.kind === "value" && t.parsed?.value !== null).length;
  const options = { sumCheckOf: sumCheckOf(def), blankRows, splitDigits: numbers < cells };
  // The table's strategy (catalogue TableDef.strategy).
  switch (def.strategy) {
    case "ordered-then-label":
      return alignOrderedThenByLabel(runs, def.rows, options);
    case "runs":
      return alignRuns(runs, def.rows, options);
    case "runs-then-one-run": {
      const alignment = alignRuns(runs, def.rows, options);
      if (alignment.rows.some((r) => r.status !== "ok")) return alignAsOneRun(runs, def.rows, options) ?? alignment;
      return alignment;
    }
  }
}

/** A region too long to be the table: every row damaged, saying why (bounded work). */
function unreadRegion(def: TableDef, runs: number): Alignment {
  const detail = `the table's region holds ${runs} runs of values, more than a table can (${MAX_REGION_RUNS}); it was not read`;
  return { rows: def.rows.map((row) => ({ row, status: "damaged", cells: row.fields.map(() => null), evidence: 0, detail })), score: -Infinity };
}

/** 2019 采购总金额's unit: printed in the cell (`251000元`) or in the column header. */
function procurementUnit(rows: readonly RowResult[], tokens: readonly Token[]): "元" | "万元" | null {
  const r = rows.find((x) => x.row.path === "procurement");
  const unit = r?.cells[1]?.parsed?.unit;
  if (unit === "元" || unit === "万元") return unit;
  for (const t of tokens) {
    if (t.kind !== "text" || !t.text.includes("采购总金额")) continue;
    if (/万元/.test(t.text)) return "万元";
    if (/元/.test(t.text)) return "元";
  }
  return null;
}

/**
 * A 2021 table that prints （六）其他处理 as one row: where a column of the printed row is 0,
 * all three sub-rows are 0 there; otherwise they are null, with a warning (spec).
 */
function spreadOtherHandling(data: TableData, findings: Finding[]) {
  const printed = data["otherHandlingAsPrinted"] as TableData | undefined;
  if (!printed) return;
  const subRows = ["overdueCorrection", "overdueFee", "other"];
  const spread: TableData = {};
  const unknown: string[] = [];
  for (const k of subRows) spread[k] = {};
  for (const [col, v] of Object.entries(printed)) {
    for (const k of subRows) (spread[k] as TableData)[col] = v === 0 ? 0 : null;
    if (v !== 0) unknown.push(col);
  }
  data["otherHandling"] = spread;
  if (unknown.length)
    findings.push({
      rule: "T5",
      severity: "warning",
      path: "applications.otherHandling",
      message: `（六）其他处理 is printed as one row, as in the 2019 format; its sub-rows are null in ${unknown.join(", ")}`,
    });
}

/**
 * Table 四 whose numbers came out of order (flattened text interleaves its three groups): the
 * 行政复议 group is still read when the prose states all five of its figures and the table
 * holds those numbers in column order. Two sources agreeing is not a guess; the finding says
 * where the reading came from.
 */
function confirmReviewFromProse(rows: RowResult[], tokens: readonly Token[], prose: string, findings: Finding[]) {
  const r = rows.find((x) => x.row.path === "review");
  if (!r || r.status === "ok") return;
  const stated = reviewOutcomes(prose);
  if (!stated) return;
  const values = tokens.filter((t) => t.kind === "value");
  const cells: Token[] = [];
  for (const t of values) if (cells.length < 5 && t.parsed?.value === stated.values[cells.length]) cells.push(t);
  if (cells.length < 5) return;
  r.status = "ok";
  r.cells = cells;
  delete r.detail;
  for (const other of rows)
    if (other.status !== "ok") other.detail = "the table's numbers are out of order, and the text does not say which of the rest are this group's";
  findings.push({
    rule: "T8",
    severity: "warning",
    path: `reviewLitigation.${r.row.path}`,
    message: `the table's numbers are out of order; row ${r.row.label} was read as ${stated.values.join("|")}, the figures the text states («${stated.evidence.slice(0, 60)}»)`,
  });
}

/**
 * The most text a document may hold (characters over all its blocks and cells). A report has
 * 20,000–200,000; past this the reading would cost more time and memory than any report
 * needs, so the document is refused as too large.
 */
export const MAX_TEXT_CHARS = 4_000_000;

/** A table region holding more runs of values than this is no table (table 三 has 25 rows). */
export const MAX_REGION_RUNS = 1_000;

function textChars(doc: DocumentContent): number {
  let n = 0;
  for (const b of doc.blocks) {
    if (b.kind === "text") n += b.text.length;
    else for (const row of b.rows) for (const c of row) n += c.text.length;
  }
  return n;
}

export function reconstruct(source: DocumentContent): Reconstruction {
  const chars = textChars(source);
  if (chars > MAX_TEXT_CHARS)
    throw new RefusalError("too-large", `the document holds ${chars} characters of text, more than the limit of ${MAX_TEXT_CHARS}`);
  resetSplitBudget();
  const { document: doc, findings: conversion } = simplified(source);
  const stream = tokenize(doc);
  const headings = findHeadings(stream);
  const anchorRows = (format: ReportFormat, table: TableId) => CATALOGUE[format][table].rows;
  // The first two rows of a table are its fallback anchors when its header is not printed.
  const rowAnchor = (table: TableId, key: string) =>
    anchorRows("2021", table)
      .slice(0, 2)
      .some((r) => labelSimilarity(r.label, key) >= ANCHOR_SIMILARITY);
  const regions = findRegions(stream, headings, rowAnchor);
  const firstTableLine = Math.min(
    ...TABLE_IDS.map((id) => regions[id]).map((r) => (r ? (stream.tokens[r.start]?.line ?? Infinity) : Infinity)),
  );
  const overviewLine = headings.find((h) => h.section === "overview")?.line ?? Infinity;
  const identity = findIdentity(stream, Math.min(firstTableLine, overviewLine === Infinity ? 60 : overviewLine + 1, 200), firstTableLine);
  identity.findings.unshift(...conversion);
  // Grids read by OCR carry a confidence per cell.
  const byOcr = doc.blocks.some((b) => b.kind === "table" && b.rows.some((r) => r.some((c) => c.confidence !== undefined)));
  if (byOcr) confirmOcrName(identity, stream);
  const meta = withIdentity(
    { title: identity.title, agency: identity.agency, year: identity.year },
    stream.lines.map((l) => l.text).join("\n"),
  );
  const sections = {
    overview: sectionText(stream, headings, "overview"),
    problems: sectionText(stream, headings, "problems"),
    other: sectionText(stream, headings, "other"),
  };
  const tableTokens = TABLE_IDS.flatMap((id) => (regions[id] ? tokensOf(stream, regions[id] as Region) : []));
  const hasTables = regions.applications !== null || regions.proactive !== null;
  const looksLikeReport = reportLike(identity, stream, headings, hasTables);
  // A report on 2019 or later whose tables were not found takes the format its year requires.
  const byYear = hasTables ? null : formatOfYear(meta.year);
  if (byYear) {
    const report = { format: byYear, ...meta, sections, proactive: null, applications: null, reviewLitigation: null };
    return { report, findings: [...identity.findings, ...tablesNotFound(byYear)], incomplete: true, looksLikeReport };
  }
  if (!hasTables) {
    // A pre-2019 report has its own headings (LEGACY_HEADINGS) and ends with attachments.
    const legacySections = readLegacySections(stream);
    return {
      report: {
        format: "legacy",
        ...meta,
        sections: {
          overview: legacySections.overview ?? sections.overview,
          problems: legacySections.problems ?? sections.problems,
          other: legacySections.other ?? sections.other,
        },
        proactive: null,
        applications: null,
        reviewLitigation: null,
        legacy: readLegacy(stream),
      },
      findings: identity.findings,
      incomplete: stream.tokens.length === 0,
      looksLikeReport,
    };
  }

  const findings: Finding[] = [...identity.findings];
  const prose = figureProse(sections);
  const detected = detectFormat(tableTokens);
  let format: ReportFormat;
  if (detected.format) format = detected.format;
  else {
    // No format-specific label was printed: the 2021 （六） sub-rows decide, if they align.
    const region = regions.applications;
    const full = region ? alignTable(stream, region, CATALOGUE["2021"].applications) : null;
    const single = region ? alignTable(stream, region, CATALOGUE["2019"].applications) : null;
    format = full && single && full.score > single.score ? "2021" : "2019";
    findings.push({
      rule: "T6",
      severity: "warning",
      path: null,
      message: `no format-specific column label was found; the ${format} format was assumed from the rows of table 三`,
    });
  }

  const tables: Record<TableId, TableData | null> = { proactive: null, applications: null, reviewLitigation: null };
  let incomplete = false;
  const glued =
    gluedRowCount(regionText(stream, regions.applications), CATALOGUE["2021"].applications.rows) +
      gluedRowCount(regionText(stream, regions.proactive), CATALOGUE["2019"].proactive.rows) >=
    GLUED_MIN_ROWS;
  for (const id of TABLE_IDS) {
    const region = regions[id];
    if (!region) {
      findings.push({ rule: "T1", severity: "error", path: id, message: `table ${tableName(id)} not found` });
      incomplete = true;
      continue;
    }
    if (glued) {
      const { def, read } = readGlued(regionText(stream, region), CATALOGUE[format][id], format);
      if (read.rowsFound === 0) {
        findings.push({ rule: "T1", severity: "error", path: id, message: `table ${tableName(id)}: no row could be read` });
        incomplete = true;
        continue;
      }
      if (id === "proactive" && format === "2019") (read.data["procurement"] as TableData)["amountUnit"] = read.amountUnit;
      if (def === APPLICATIONS_2021_COLLAPSED) spreadOtherHandling(read.data, findings);
      findings.push(...read.findings);
      incomplete ||= read.incomplete;
      tables[id] = read.data;
      continue;
    }
    let def = CATALOGUE[format][id];
    // Grids read by OCR are read strictly, row by printed label (grid-rows.ts).
    const read = (d: TableDef) => (byOcr ? gridAlignment(stream, region, d) : alignTable(stream, region, d));
    let alignment = read(def);
    if (format === "2021" && id === "applications") {
      const collapsed = read(APPLICATIONS_2021_COLLAPSED);
      if (collapsed.score > alignment.score) {
        def = APPLICATIONS_2021_COLLAPSED;
        alignment = collapsed;
      }
    }
    if (alignment.rows.every((r) => r.status === "missing")) {
      findings.push({ rule: "T1", severity: "error", path: id, message: `table ${tableName(id)}: no row could be read` });
      incomplete = true;
      continue;
    }
    if (id === "reviewLitigation") confirmReviewFromProse(alignment.rows, tokensOf(stream, region), prose, findings);
    const data: TableData = {};
    for (const r of alignment.rows) setPath(data, r.row.path, rowData(r));
    if (id === "proactive" && format === "2019") {
      (data["procurement"] as TableData)["amountUnit"] = procurementUnit(alignment.rows, tokensOf(stream, region));
    }
    if (def === APPLICATIONS_2021_COLLAPSED) spreadOtherHandling(data, findings);
    const rf = [...rowFindings(id, alignment.rows), ...unreadCells(id, alignment.rows)];
    if (rf.some((f) => f.severity === "error")) incomplete = true;
    findings.push(...rf);
    tables[id] = data;
  }

  return {
    report: { format, ...meta, sections, ...tables },
    findings,
    incomplete,
    looksLikeReport,
  };
}

function tableName(id: TableId): string {
  return { proactive: "二 (主动公开)", applications: "三 (收到和处理申请)", reviewLitigation: "四 (行政复议、行政诉讼)" }[id];
}
