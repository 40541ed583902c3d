/**
 * Glued page text: a report page kept as plain text, with the table cells run together and
 * no separator at all (`规章000规范性文件101…一、本年新收政府信息公开申请数量7200009…`).
 *
 * 1. `splitGluedLine` cuts a page body kept as one long line into lines at its section
 *    headings, so headings, title and prose are found as in any text.
 * 2. `readGluedTable` reads a table region: it finds the catalogue's row labels in order,
 *    takes the characters between two labels as the first row's run, and reads every run
 *    (readings.ts) under the printed forms and the row's own sums.
 * 3. Rows that still have several readings are settled only by the sums between rows (R1,
 *    R2) when the table breaks no sum anywhere; and a row settled by its own sum whose
 *    reading then breaks R1 or R2 is taken back. Cells that differ between the remaining
 *    readings are null, with a finding naming the readings. Nothing is guessed.
 */
import { OUTCOME_COLUMNS, type RowDef, type TableDef } from "../catalogue.js";
import { setPath, type Finding, type TableData } from "../model.js";
import { enumeratorOf, labelKey, nfkc, stripEnumerator } from "./normalize.js";
import { Budget, readRun, rowSumChecks, type CellKind, type Reading, type Readings } from "./readings.js";
import { headingOf } from "./sections.js";

// ------------------------------------------------------------------------------- lines

/** A page body on one line is at least this long. */
const GLUED_LINE_MIN = 300;
/** A heading is this short: its text runs from its enumerator to the next space. */
const HEADING_MAX = 40;

/**
 * One long line holding several section headings (`… 一、总体情况 2020年，… 二、主动公开政府
 * 信息情况 第二十条…`) becomes one line per heading and per stretch between headings, with a
 * sentence end followed by a space also ending a line. Any other line is returned as it is.
 */
export function splitGluedLine(line: string): string[] {
  if (line.length < GLUED_LINE_MIN || line.includes("|") || line.includes("\t")) return [line];
  const headings: [number, number][] = [];
  const re = /(?:^|\s)([一二三四五六七八九十]{1,2}\s*、)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const start = m.index + m[0].length - (m[1] as string).length;
    const rest = line.slice(start, start + HEADING_MAX + 1);
    const space = rest.search(/\s/);
    const end = start + (space < 0 ? rest.length : space);
    if (space >= 0 && headingOf(line.slice(start, end))) headings.push([start, end]);
  }
  if (headings.length < 2) return [line];
  const out: string[] = [];
  const prose = (s: string) => out.push(...s.split(/(?<=[。；])\s+/).map((x) => x.trim()).filter((x) => x !== ""));
  let at = 0;
  for (const [start, end] of headings) {
    prose(line.slice(at, start));
    out.push(line.slice(start, end).trim());
    at = end;
  }
  prose(line.slice(at));
  return out;
}

// ------------------------------------------------------------------------------- labels

/** Characters a label key drops (labelKey): a label is found in the text without them. */
const KEY_DROPPED = /[\s"'“”‘’「」『』〈〉《》<>，,。.、:：;；!！?？·・\-—–_~～/\\|[\]【】()（）]/;

/** The text with its key characters (labelKey's alphabet) indexed back to positions in it. */
interface KeyedText {
  text: string;
  key: string;
  /** key index → text index */
  at: number[];
}

function keyed(text: string): KeyedText {
  let key = "";
  const at: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (KEY_DROPPED.test(c)) continue;
    key += c;
    at.push(i);
  }
  return { text, key, at };
}

interface Located {
  row: RowDef;
  /** Text positions: where the printed label starts (its enumerator included) and ends. */
  start: number;
  end: number;
}

const rowKeys = (row: RowDef) => [row.label, ...(row.aliases ?? [])].map((l) => labelKey(stripEnumerator(l))).filter((k) => k !== "");

/** The printed enumerator before `pos` (`6.`, `(一)`, `二、`), if it is the row's own. */
function enumeratorStart(text: string, pos: number, row: RowDef): { start: number; bare: boolean } {
  const en = enumeratorOf(row.label);
  if (!en) return { start: pos, bare: false };
  const before = text.slice(Math.max(0, pos - 8), pos);
  const n = en.replace(/[()]/g, "");
  const re = en.startsWith("(") ? new RegExp(`[(（]\\s*${n}\\s*[)）]\\s*$`) : new RegExp(`${n}\\s*[、.．,，]\\s*$`);
  const m = re.exec(before);
  if (m) return { start: pos - m[0].length, bare: false };
  // A digit enumerator without its punctuation (`…000026属于…`): maybe the row's, maybe a digit.
  if (/^\d+$/.test(n) && new RegExp(`${n}\\s*$`).test(before)) return { start: pos, bare: true };
  return { start: pos, bare: false };
}

/** Row labels in catalogue order, each searched after the one before. */
function locateRows(k: KeyedText, rows: readonly RowDef[]): (Located & { bareEnumerator: boolean })[] {
  const out: (Located & { bareEnumerator: boolean })[] = [];
  let from = 0;
  for (const row of rows) {
    let best: [number, number] | null = null;
    for (const key of rowKeys(row)) {
      const i = k.key.indexOf(key, from);
      if (i < 0) continue;
      if (!best || i < best[0] || (i === best[0] && key.length > best[1])) best = [i, key.length];
    }
    if (!best) continue;
    const [i, len] = best;
    const textStart = k.at[i] as number;
    const textEnd = (k.at[i + len - 1] as number) + 1;
    const en = enumeratorStart(k.text, textStart, row);
    out.push({ row, start: en.start, end: textEnd, bareEnumerator: en.bare });
    from = i + len;
  }
  return out;
}

// ------------------------------------------------------------------------------- runs

/** What may stand in a run of cells: digits, decimal points, separators, signs, placeholders. */
const VALUE_CHAR = /[0-9.,\-−—–/\\―─~无\s]/;
/** What may open a run after its label: the label's closing brackets and quotes. */
const RUN_OPENING = /^[\s)）"”’」』】:：]+/;
const ASCII_DIGIT = /[0-9]/;

interface Run {
  /** The alternatives of the run (two when a bare enumerator may end it), as segments. */
  alternatives: string[][];
  unit: "元" | "万元" | null;
  /** Text after the cells that is not a label or header: the run is not clean. */
  junk: string | null;
}

function runOf(text: string, last: boolean, nextBare: { digits: string } | null): Run {
  const body = text.replace(RUN_OPENING, "");
  let n = 0;
  while (n < body.length && VALUE_CHAR.test(body[n] as string)) n++;
  let cells = body.slice(0, n);
  let tail = body.slice(n);
  if (last) {
    // After the table's last row: a number attached to the text after it opens that text
    // (`1000001 2022年，…`), and is no cell.
    const m = /\s+(\S+)$/.exec(cells);
    if (m && tail !== "" && !/^\s/.test(tail)) {
      cells = cells.slice(0, m.index);
      tail = "";
    }
  }
  let unit: Run["unit"] = null;
  const u = /^\s*(万元|元)/.exec(tail);
  if (u) {
    unit = u[1] as "元" | "万元";
    tail = tail.slice(u[0].length);
  }
  const segments = (s: string) => s.trim().split(/\s+/).filter((x) => x !== "");
  const alternatives = [segments(cells)];
  if (nextBare && cells.trimEnd().endsWith(nextBare.digits)) alternatives.push(segments(cells.trimEnd().slice(0, -nextBare.digits.length)));
  return { alternatives, unit, junk: !last && ASCII_DIGIT.test(tail) ? tail.trim() : null };
}

// ------------------------------------------------------------------------------- reading

/** Steps one row's reading may take, and one table's reading. */
const ROW_STEPS = 50_000;
const TABLE_STEPS = 1_000_000;
/** Readings kept per row for the sums between rows. */
const READINGS_CAP = 64;

type RowState =
  /** bySum: one of several digit splits, taken because it alone adds up; broken: it does not add up. */
  | { kind: "certain"; values: Reading; bySum: boolean; spread: Readings | null; broken?: boolean }
  | { kind: "ambiguous"; readings: Readings; spread: Readings | null }
  | { kind: "unsummed"; readings: Readings }
  | { kind: "blank" }
  | { kind: "unreadable"; detail: string };

interface RowRead {
  row: RowDef;
  /** The printed run, for findings. */
  run: string;
  state: RowState;
}

const kindsOf = (row: RowDef): CellKind[] => row.fields.map((f) => f.kind);

/** Every reading of the run's alternatives together. */
function readAlternatives(alternatives: string[][], kinds: CellKind[], def: TableDef, requireSums: boolean, budget: Budget): Readings {
  const checks = rowSumChecks(def, kinds.length);
  const merged: Readings = { readings: [], more: false, exhausted: false, candidates: kinds.map(() => new Set()) };
  const seen = new Set<string>();
  for (const segs of alternatives) {
    if (segs.length === 0) continue;
    const r = readRun(segs, kinds, checks, { budget: new Budget(ROW_STEPS, budget), cap: READINGS_CAP, requireSums });
    merged.exhausted ||= r.exhausted;
    merged.more ||= r.more;
    r.candidates.forEach((s, i) => s.forEach((v) => merged.candidates[i]?.add(v)));
    for (const x of r.readings) {
      const key = x.join("|");
      if (seen.has(key)) continue;
      seen.add(key);
      merged.readings.push(x);
    }
  }
  return merged;
}

function readRow(row: RowDef, run: Run, def: TableDef, budget: Budget): RowState {
  const kinds = kindsOf(row);
  if (run.junk !== null) return { kind: "unreadable", detail: `text that is no cell follows its numbers («${run.junk.slice(0, 20)}»)` };
  if (run.alternatives.every((a) => a.length === 0)) return { kind: "blank" };
  const hasSums = rowSumChecks(def, kinds.length).length > 0;
  const summed = readAlternatives(run.alternatives, kinds, def, true, budget);
  if (summed.exhausted) return { kind: "unreadable", detail: `its characters allow too many readings to search (gave up after ${ROW_STEPS} steps)` };
  const spread = hasSums ? readAlternatives(run.alternatives, kinds, def, false, budget) : null;
  if (spread?.exhausted) return { kind: "unreadable", detail: `its characters allow too many readings to search (gave up after ${ROW_STEPS} steps)` };
  if (summed.readings.length === 1) {
    const bySum = spread !== null && (spread.readings.length > 1 || spread.more);
    return { kind: "certain", values: summed.readings[0] as Reading, bySum, spread };
  }
  if (summed.readings.length > 1) return { kind: "ambiguous", readings: summed, spread };
  // No reading adds up: the printed total is wrong, or the characters are no cells.
  if (!hasSums || !spread || spread.readings.length === 0)
    return { kind: "unreadable", detail: `its characters «${run.alternatives[0]?.join(" ") ?? ""}» cannot be read as ${kinds.length} cells` };
  if (spread.readings.length === 1) return { kind: "certain", values: spread.readings[0] as Reading, bySum: false, spread: null, broken: true };
  return { kind: "unsummed", readings: spread };
}

// ------------------------------------------------------------------------------- between rows

/** Table 三's sums between rows, each as rows whose sum equals the sum of other rows. */
function betweenRows(rows: readonly RowDef[]): { rule: string; lhs: number[]; rhs: number[] }[] {
  const idx = (p: string) => rows.findIndex((r) => r.path === p);
  const granted = idx("granted");
  const total = idx("totalProcessed");
  if (granted < 0 || total < 0) return [];
  const outcomes = rows.map((_, i) => i).filter((i) => i >= granted && i < total);
  const r1 = ["newReceived", "carriedOver", "totalProcessed", "carriedForward"].map(idx);
  return [
    { rule: "R2", lhs: outcomes, rhs: [total] },
    ...(r1.every((i) => i >= 0) ? [{ rule: "R1", lhs: [r1[0] as number, r1[1] as number], rhs: [r1[2] as number, r1[3] as number] }] : []),
  ];
}

const valuesOf = (s: RowState): Reading | null => (s.kind === "certain" ? s.values : null);

/** Whether lhs = rhs in every column, given each row's values. */
function holds(eq: { lhs: number[]; rhs: number[] }, get: (i: number) => Reading | null, width: number): boolean | null {
  for (let c = 0; c < width; c++) {
    let l = 0;
    let r = 0;
    for (const [side, rows] of [[1, eq.lhs], [-1, eq.rhs]] as const) {
      for (const i of rows) {
        const v = get(i)?.[c];
        if (typeof v !== "number") return null;
        if (side > 0) l += v;
        else r += v;
      }
    }
    if (Math.abs(l - r) > 1e-9) return false;
  }
  return true;
}

/**
 * Rows with several readings, settled by R1/R2 when every other row of the equation is
 * certain, the table breaks no row sum, and exactly one combination of readings holds in
 * every column. Then rows settled by their own sum whose reading breaks R1/R2 are taken back.
 */
function settleBetweenRows(reads: RowRead[], rows: readonly RowDef[], width: number, budget: Budget): Map<number, string> {
  const settled = new Map<number, string>();
  const eqs = betweenRows(rows);
  const stateAt = (i: number) => reads[i]?.state;
  // A table that breaks a row's own sum anywhere gives the sums between rows no weight.
  const breaksASum = reads.some((r) => r.state.kind === "unsummed" || (r.state.kind === "certain" && r.state.broken));
  if (!breaksASum) {
    for (let changed = true; changed; ) {
      changed = false;
      for (const eq of eqs) {
        const members = [...eq.lhs, ...eq.rhs];
        const open = members.filter((i) => stateAt(i)?.kind === "ambiguous");
        if (open.length === 0 || open.length > 3 || members.some((i) => !["certain", "ambiguous"].includes(stateAt(i)?.kind ?? ""))) continue;
        const options = open.map((i) => (stateAt(i) as { readings: Readings }).readings);
        if (options.some((o) => o.more)) continue;
        const fits: Reading[][] = [];
        const pick: Reading[] = [];
        const search = (d: number): boolean => {
          if (!budget.spend()) return false;
          if (d === open.length) {
            const get = (i: number) => (open.includes(i) ? (pick[open.indexOf(i)] as Reading) : valuesOf(stateAt(i) as RowState));
            if (holds(eq, get, width)) fits.push(pick.slice());
            return fits.length < 2;
          }
          for (const r of (options[d] as Readings).readings) {
            pick[d] = r;
            if (!search(d + 1)) return false;
          }
          return true;
        };
        search(0);
        if (fits.length !== 1 || budget.exhausted) continue;
        open.forEach((i, d) => {
          const read = reads[i] as RowRead;
          const st = read.state as { spread: Readings | null };
          read.state = { kind: "certain", values: (fits[0] as Reading[])[d] as Reading, bySum: true, spread: st.spread };
          settled.set(i, eq.rule);
        });
        changed = true;
      }
    }
  }
  // A reading taken because it alone adds up, which then breaks a sum between rows, is no
  // evidence: the row may be printed wrong (transposed digits add up by chance).
  for (const eq of eqs) {
    if (holds(eq, (i) => valuesOf(stateAt(i) as RowState), width) !== false) continue;
    for (const i of [...eq.lhs, ...eq.rhs]) {
      const read = reads[i] as RowRead;
      if (read.state.kind === "certain" && read.state.bySum && read.state.spread)
        read.state = { kind: "ambiguous", readings: read.state.spread, spread: null };
      settled.delete(i);
    }
  }
  return settled;
}

// ------------------------------------------------------------------------------- table

export interface GluedTable {
  data: TableData;
  findings: Finding[];
  /** A row could not be located or read. */
  incomplete: boolean;
  /** How many of the table's rows were located. */
  rowsFound: number;
  /** 采购总金额's unit (2019 table 二), from the run or the header. */
  amountUnit: "元" | "万元" | null;
}

const fmtReading = (r: Reading) => r.map((v) => (v === null ? "—" : String(v))).join("|");

function describeReadings(r: Readings): string {
  const shown = r.readings.slice(0, 4).map(fmtReading).join(", ");
  const extra = r.readings.length - 4 + (r.more ? 1 : 0);
  return `${r.readings.length}${r.more ? "+" : ""} readings (${shown}${extra > 0 ? ", …" : ""})`;
}

/** Table 四's numbers: one run after the last column header (its three groups side by side). */
function reviewRun(k: KeyedText): { run: string; rowsFound: number } | null {
  const header = labelKey(OUTCOME_COLUMNS[OUTCOME_COLUMNS.length - 1]?.label ?? "总计");
  const i = k.key.lastIndexOf(header);
  if (i < 0) return null;
  return { run: k.text.slice((k.at[i + header.length - 1] as number) + 1), rowsFound: 3 };
}

/** Whether a region's text has row labels with digits run straight after them. */
export function gluedRowCount(text: string, rows: readonly RowDef[]): number {
  const k = keyed(nfkc(text));
  let n = 0;
  for (const l of locateRows(k, rows)) if (/^[)）"”’」』】:：]*[0-9]{2}/.test(k.text.slice(l.end))) n++;
  return n;
}

export function readGluedTable(regionText: string, def: TableDef): GluedTable {
  const text = nfkc(regionText);
  const k = keyed(text);
  const budget = new Budget(TABLE_STEPS);
  const findings: Finding[] = [];
  const data: TableData = {};
  let incomplete = false;
  let amountUnit: GluedTable["amountUnit"] = null;
  const reads: (RowRead | null)[] = def.rows.map(() => null);

  if (def.id === "reviewLitigation") {
    const found = reviewRun(k);
    const fields = def.rows.flatMap((r) => r.fields);
    const joint: RowDef = { path: "", label: def.rows[0]?.label ?? "", fields };
    if (found) {
      const run = runOf(found.run, true, null);
      const state = readRow(joint, run, def, budget);
      const split = (values: Reading | null, i: number) => values?.slice(i * 5, i * 5 + 5) ?? null;
      def.rows.forEach((row, i) => {
        const sub = (s: RowState): RowState => {
          if (s.kind === "certain") return { kind: "certain", values: split(s.values, i) as Reading, bySum: s.bySum, spread: null };
          if (s.kind === "ambiguous" || s.kind === "unsummed") {
            const rs = s.readings.readings.map((x) => split(x, i) as Reading);
            const cands = s.readings.candidates.slice(i * 5, i * 5 + 5);
            return { ...s, readings: { ...s.readings, readings: rs, candidates: cands } } as RowState;
          }
          return s;
        };
        reads[i] = { row, run: run.alternatives[0]?.join(" ") ?? "", state: sub(state) };
      });
    }
  } else {
    const located = locateRows(k, def.rows);
    located.forEach((l, i) => {
      const next = located[i + 1];
      const nextBare = next?.bareEnumerator ? { digits: enumeratorOf(next.row.label) ?? "" } : null;
      const run = runOf(text.slice(l.end, next ? next.start : text.length), !next, nextBare);
      if (run.unit) amountUnit = run.unit;
      reads[def.rows.indexOf(l.row)] = { row: l.row, run: run.alternatives[0]?.join(" ") ?? "", state: readRow(l.row, run, def, budget) };
    });
  }

  const width = def.rows[0]?.fields.length ?? 0;
  const settled =
    def.id === "applications"
      ? settleBetweenRows(
          reads.map((r, i) => r ?? { row: def.rows[i] as RowDef, run: "", state: { kind: "unreadable", detail: "not found" } }),
          def.rows,
          width,
          budget,
        )
      : new Map<number, string>();

  def.rows.forEach((row, i) => {
    const read = reads[i];
    const path = `${def.id}.${row.path}`;
    const cells: Reading = row.fields.map(() => null);
    if (!read) {
      findings.push({ rule: "T2", severity: "error", path, message: `row ${row.label} not found; its cells are null` });
      incomplete = true;
    } else {
      const s = read.state;
      if (s.kind === "certain") s.values.forEach((v, j) => (cells[j] = v));
      else if (s.kind === "ambiguous" || s.kind === "unsummed") {
        // Cells that agree in every reading are read; the others are null.
        const differ: string[] = [];
        s.readings.candidates.forEach((set, j) => {
          if (set.size === 1 && !s.readings.more) cells[j] = [...set][0] as number | null;
          else differ.push(row.fields[j]?.key ?? String(j));
        });
        const why =
          s.kind === "unsummed"
            ? `no reading of «${read.run}» adds up to its printed total, and the digits allow ${describeReadings(s.readings)}`
            : `«${read.run}» has ${describeReadings(s.readings)} that satisfy the row's sums`;
        // A warning: the row was read, and the rules that need its null cells say so themselves.
        findings.push({ rule: "T10", severity: "warning", path, message: `row ${row.label}: ${why}; ${differ.join(", ")} ${differ.length === 1 ? "is" : "are"} null` });
      } else if (s.kind === "unreadable") {
        findings.push({ rule: "T3", severity: "error", path, message: `row ${row.label}: ${s.detail}; its cells are null` });
        incomplete = true;
      }
      const rule = settled.get(i);
      if (rule && s.kind === "certain")
        findings.push({ rule: "T11", severity: "warning", path, message: `row ${row.label}: «${read.run}» had several readings; ${fmtReading(s.values)} is the only one under which ${rule} holds in every column` });
    }
    setPath(data, row.path, Object.fromEntries(row.fields.map((f, j) => [f.key, cells[j] ?? null])));
  });

  if (def.id === "proactive" && amountUnit === null) {
    const m = /采购总金额\s*[(（]?\s*(?:单位\s*[:：]?\s*)?(万元|元)/.exec(text);
    if (m) amountUnit = m[1] as "元" | "万元";
  }
  const rowsFound = reads.filter((r) => r !== null).length;
  findings.unshift({
    rule: "T9",
    severity: "warning",
    path: def.id,
    message: `the table's cells ran together in the text, with no separator; each row's characters were read by the printed forms and the row's sums`,
  });
  return { data, findings, incomplete, rowsFound, amountUnit };
}
