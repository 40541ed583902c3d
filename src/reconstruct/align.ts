/**
 * Aligning value runs to catalogue rows.
 *
 * A table region of the token stream is cut into *runs*: maximal sequences of value cells
 * (numbers, placeholders, empty cells), each with the label text printed before it (its
 * *evidence*). The rows of a table always come in the official order, so the runs are aligned
 * to the catalogue rows by dynamic programming, like a sequence alignment:
 *
 *  - a run fills one row, or several consecutive rows when their labels were lost or printed
 *    elsewhere (flattened PDF text often puts a merged label after its numbers);
 *  - a row may be missing (never printed, or unreadable), a run may be noise;
 *  - the evidence scores a run against a row by label similarity, so a printed label always
 *    wins over position, and rows a report left out do not shift everything after them.
 *
 * The same aligner reads grids (a run is the value cells of one grid row, its evidence the
 * label cells) and text (a run is the numbers between two labels). What it cannot place with
 * certainty comes back as null with a reason, never as a plausible guess.
 */
import type { RowDef } from "../catalogue.js";
import { enumeratorOf, labelKey, labelSimilarity } from "./normalize.js";
import type { Token } from "./tokens.js";
import { readUncertainOrder } from "./column-order.js";
import { addsUp, splitDigitRun, type SumCheck } from "./digits.js";

export interface Run {
  values: Token[];
  /** The label text printed before the values. */
  evidence: Token[];
  /** The first label text printed after them (flattened text often prints a label there). */
  after?: Token[];
  /** Whether the values share a line with the label before them (`规章 0 0 0`). */
  labelled?: boolean;
}

export type RowStatus =
  /** values read exactly */
  | "ok"
  /** a label printed with no value cells at all: the cells are blank */
  | "blank"
  /** values found, but not as many as the row has columns: cells unreadable */
  | "damaged"
  /** digits of adjacent cells ran together; exactly one split satisfies the sum rules */
  | "split"
  /** the row was not found */
  | "missing"
  /** values were found, but which row they belong to is not certain */
  | "uncertain";

export interface RowResult {
  row: RowDef;
  status: RowStatus;
  /** One entry per field: the token read, or null where nothing was read. */
  cells: (Token | null)[];
  /** For "split": the numbers the digit string was split into. */
  splitValues?: number[];
  /** Label similarity of the evidence that placed the row. */
  evidence: number;
  /** Index of the run that filled the row (alignRuns). */
  run?: number;
  /** Read with others of its run column by column (column-order.ts). */
  columnWise?: boolean;
  detail?: string;
}

export interface Alignment {
  rows: RowResult[];
  score: number;
}

const EVIDENCE_WEIGHT = 3;
const FIT_BONUS = 1;
const MISSING_PENALTY = 1;
const DAMAGED_PENALTY = 0.5;
/** A label cell this similar to a row's label names that row. */
const NAMES_ROW = 0.85;
/** A run matched with at least this similarity is an anchor: its row is known. */
export const STRONG_EVIDENCE = 0.6;
/** How many text tokens before a run count as its evidence. */
const EVIDENCE_WINDOW = 10;
/** How many text tokens after a run count as its evidence, and how much less they weigh. */
const AFTER_WINDOW = 3;
const AFTER_DISCOUNT = 0.9;

/** Cuts a region of tokens into runs of values with the label text before each. */
export function buildRuns(tokens: readonly Token[], rows: readonly RowDef[], blankRows: boolean, textAfter = false): Run[] {
  const runs: Run[] = [];
  let evidence: Token[] = [];
  let values: Token[] = [];
  // With `textAfter`, the text after a run is evidence too, unless its values share a line
  // with a label: then that label is theirs (`规章 0 0 0`), and the next line's is the next
  // row's. (Not for table 四, whose labels are column headers.)
  const open: { after: Token[] | null } = { after: null };
  const close = () => {
    if (values.length) {
      const labelled = evidence.length > 0 && evidence[evidence.length - 1]?.line === values[0]?.line;
      open.after = labelled || !textAfter ? null : [];
      runs.push({ values, evidence: evidence.slice(-EVIDENCE_WINDOW), labelled, ...(open.after ? { after: open.after } : {}) });
      evidence = [];
    }
    values = [];
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === "text") {
      close();
      if (open.after && open.after.length < AFTER_WINDOW) open.after.push(t);
      evidence.push(t);
      // A label printed with no cells after it (a blank row in flattened text) still makes a
      // row: only when the next text starts another row, so a wrapped label is not cut.
      const next = tokens[i + 1];
      if (blankRows && next && next.kind === "text" && bestRowSimilarity(t.text, rows) >= NAMES_ROW && startsAnotherRow(t.text, next.text, rows)) {
        runs.push({ values: [], evidence: evidence.slice(-EVIDENCE_WINDOW) });
        evidence = [];
      }
    } else {
      values.push(t);
    }
  }
  close();
  // Text after a run that names two rows (`行政规范性文件/信息内容/行政许可`) is a block of
  // labels, not the run's own: it is no evidence.
  for (const run of runs) {
    if (!run.after) continue;
    const named = rows.filter((r) => run.after?.some((t) => namesRow(t.text, r))).length;
    if (named > 1) delete run.after;
  }
  return runs;
}

/** Whether a label cell names the row. */
function namesRow(text: string, row: RowDef): boolean {
  return rowSimilarity(text, row) >= NAMES_ROW;
}

function rowSimilarity(text: string, row: RowDef): number {
  let best = labelSimilarity(row.label, text);
  for (const a of row.aliases ?? []) best = Math.max(best, labelSimilarity(a, text));
  return best;
}

function bestRowSimilarity(text: string, rows: readonly RowDef[]): number {
  return Math.max(0, ...rows.map((r) => rowSimilarity(text, r)));
}

function startsAnotherRow(text: string, next: string, rows: readonly RowDef[]): boolean {
  const here = rows.findIndex((r) => namesRow(text, r));
  return rows.some((r, i) => i !== here && namesRow(next, r));
}

/**
 * Similarity of a run's evidence to a row: the best single label cell, or the joined tail, of
 * the text before it; or, a little less, of the text right after it.
 */
const evidenceMemo = new WeakMap<Run, Map<RowDef, number>>();
function evidenceFor(run: Run, row: RowDef): number {
  // The aligners ask for the same run and row many times (the ordered pass, the label pass).
  let memo = evidenceMemo.get(run);
  if (!memo) evidenceMemo.set(run, (memo = new Map()));
  let known = memo.get(row);
  if (known === undefined) memo.set(row, (known = scoreEvidence(run, row)));
  return known;
}

function scoreEvidence(run: Run, row: RowDef): number {
  let best = evidenceBefore(run, row);
  const after = run.after ?? [];
  for (const t of after) best = Math.max(best, rowSimilarity(t.text, row) * AFTER_DISCOUNT);
  for (let k = 2; k <= after.length; k++) {
    const joined = after
      .slice(0, k)
      .map((t) => t.text)
      .join("");
    best = Math.max(best, rowSimilarity(joined, row) * AFTER_DISCOUNT * 0.95);
  }
  return best;
}

function evidenceBefore(run: Run, row: RowDef): number {
  let best = 0;
  for (const t of run.evidence) best = Math.max(best, rowSimilarity(t.text, row));
  // A label wrapped over several lines is joined back, but never across the start of a
  // numbered sub-row label (`8.`): the text before it is the tail of the row above
  // (`执法/案卷/8./属于/行政` is 8.属于行政…, not 7.…执法案卷).
  const from = lastNumberedStart(run.evidence);
  for (let k = 2; k <= run.evidence.length - from; k++) {
    const joined = run.evidence
      .slice(-k)
      .map((t) => t.text)
      .join("");
    best = Math.max(best, rowSimilarity(joined, row) * 0.95);
  }
  return best;
}

const numberedStarts = new WeakMap<readonly Token[], number>();
function lastNumberedStart(evidence: readonly Token[]): number {
  const known = numberedStarts.get(evidence);
  if (known !== undefined) return known;
  let from = 0;
  for (let i = evidence.length - 1; i > 0; i--) {
    if (/^\d+$/.test(enumeratorOf((evidence[i] as Token).text) ?? "")) {
      from = i;
      break;
    }
  }
  numberedStarts.set(evidence, from);
  return from;
}

interface Fit {
  kind: "ok" | "split" | "damaged" | "blank";
  /** why a fit is damaged, for the finding */
  detail?: string;
  /** values per row, in order */
  perRow: (Token | null)[][];
  splitValues?: number[][];
  /** Some of the rows were read column by column (one number per line, see column-order.ts). */
  columnWise?: boolean;
}

/**
 * Drops empty cells that only close a line (`| 1 | 2 |` leaves one after the last bar). They
 * are padding when a run spans several lines; inside a line an empty cell stays a blank.
 */
const compacted = new WeakMap<readonly Token[], Token[]>();
function dropLineEndEmpties(values: readonly Token[]): Token[] {
  const known = compacted.get(values);
  if (known) return known;
  const out = compact(values);
  compacted.set(values, out);
  return out;
}

function compact(values: readonly Token[]): Token[] {
  const out: Token[] = [];
  let pending: Token[] = [];
  let line = values[0]?.line ?? -1;
  let lineStart = false;
  for (const v of values) {
    if (v.line !== line) {
      line = v.line;
      lineStart = true;
      pending = [];
    }
    if (v.kind === "empty") {
      // Empty cells opening a later line of the run are label cells whose label is printed
      // in another row (a merged label, or one that slid into the row below).
      if (lineStart) continue;
      pending.push(v);
      if (v.lineEnd) pending = [];
      continue;
    }
    lineStart = false;
    out.push(...pending, v);
    pending = [];
  }
  return out.concat(pending);
}

/**
 * Whether `values` fill the widths exactly: either the same count, or more with only empty
 * cells left over (colspan padding, merged-cell leftovers), or after leading empty cells.
 */
function fitValues(values: readonly Token[], widths: readonly number[], sumChecks: readonly (SumCheck | null)[], splitDigits = true): Fit | null {
  let fit = fitExactly(values, widths, sumChecks, splitDigits);
  if (widths.length > 1 && (!fit || fit.kind === "damaged")) {
    const compact = dropLineEndEmpties(values);
    if (compact.length !== values.length) {
      const again = fitExactly(compact, widths, sumChecks, splitDigits);
      if (again && again.kind === "ok") fit = again;
    }
  }
  if (!fit || fit.kind !== "ok" || widths.length < 2) return fit;
  const unreadable = (detail: string): Fit => ({ kind: "damaged", perRow: widths.map((w) => new Array<Token | null>(w).fill(null)), detail });
  // One number per line: the text kept no row boundaries, so the cells may have been written
  // row by row or column by column. Only the rows' sums can tell (column-order.ts).
  const cells = fit.perRow.flat() as Token[];
  if (onePerLine(cells) && widths.every((w) => w === widths[0])) {
    const reading = readUncertainOrder(cells, widths[0] as number, sumChecks);
    if (reading.kind === "unique") return { kind: "ok", perRow: reading.perRow, columnWise: reading.columnWise };
    if (reading.kind === "ambiguous") return unreadable("the values add up in more than one cell order: which cell is which cannot be told");
  }
  // One run filling several rows across several lines is only believed when every row adds
  // up: flattened text that lost its row boundaries often lost the cell order too, and a
  // count that happens to fit would spread scrambled numbers over plausible rows. (Numbers
  // printed on one line, like table 四's data row, keep their order.) A row with no sum rule
  // (table 二) cannot be checked, so such a run is not believed.
  if (onOneLine(values)) return fit;
  if (!fit.perRow.every((row, i) => rowAddsUp(row, sumChecks[i] ?? null)))
    return unreadable("the values fill these rows by count, but the rows do not add up: the cell order was lost");
  if (sumChecks.some((c) => !c))
    return unreadable("the values fill these rows by count, but nothing can check which cell is which: the cell order was lost");
  return fit;
}

/** Whether all values come from one line. */
function onOneLine(values: readonly Token[]): boolean {
  return values.every((v) => v.line === values[0]?.line);
}

/** Whether no two values share a line. */
function onePerLine(values: readonly Token[]): boolean {
  const lines = new Set<number>();
  for (const v of values) {
    if (lines.has(v.line)) return false;
    lines.add(v.line);
  }
  return true;
}

/** Whether the row does not contradict its sum rule: no rule, a cell that is no number, or it adds up. */
function rowAddsUp(cells: readonly (Token | null)[], check: SumCheck | null): boolean {
  if (!check) return true;
  if ([check.total, ...check.parts].some((i) => typeof cells[i]?.parsed?.value !== "number")) return true;
  return addsUp(cells, check);
}

function fitExactly(values: readonly Token[], widths: readonly number[], sumChecks: readonly (SumCheck | null)[], splitDigits: boolean): Fit | null {
  const W = widths.reduce((a, b) => a + b, 0);
  const cut = (vs: readonly Token[]): (Token | null)[][] => {
    const out: (Token | null)[][] = [];
    let p = 0;
    for (const w of widths) {
      out.push(vs.slice(p, p + w));
      p += w;
    }
    return out;
  };
  // No value at all, or only empty cells (a blank row, or the padding of a header line).
  if (values.every((v) => v.kind === "empty"))
    return { kind: "blank", perRow: widths.map((w) => new Array<Token | null>(w).fill(null)) };
  if (values.length === W) return { kind: "ok", perRow: cut(values) };
  if (values.length > W) {
    if (values.slice(W).every((v) => v.kind === "empty")) return { kind: "ok", perRow: cut(values.slice(0, W)) };
    let lead = 0;
    while (lead < values.length && values[lead]?.kind === "empty") lead++;
    const rest = values.slice(lead);
    if (lead > 0 && rest.length >= W && rest.slice(W).every((v) => v.kind === "empty")) return { kind: "ok", perRow: cut(rest.slice(0, W)) };
    return null;
  }
  // Fewer values than columns: digits of adjacent cells may have run together.
  // (Digits run together within a line; numbers on separate lines were printed apart.)
  if (splitDigits && widths.length === 1 && sumChecks[0] && onOneLine(values)) {
    const split = splitDigitRun(values, W, sumChecks[0]);
    if (split) return { kind: "split", perRow: [new Array<Token | null>(W).fill(null)], splitValues: [split] };
  }
  return { kind: "damaged", perRow: widths.map((w) => new Array<Token | null>(w).fill(null)) };
}

interface Step {
  from: [number, number];
  kind: "noise" | "missing" | "fit";
  run?: number;
  rows?: number;
  fit?: Fit;
  evidence?: number;
}

/**
 * Aligns runs to rows. `sumCheckOf(row)` gives the in-row sum rule used to split run-together
 * digits (table 三: total = Σ six columns; table 四: total = Σ four), or null.
 */
export interface AlignOptions {
  /** In-row sum rule of a row, or null. */
  sumCheckOf: (row: RowDef) => SumCheck | null;
  /**
   * Whether a label printed with no values is a blank row. True for tables whose rows carry
   * their own labels (二, 三); false for table 四, whose labels are column headers.
   */
  blankRows: boolean;
  /**
   * Whether digits that ran together may be split (digits.ts). Not when the region holds as
   * many numbers as the table has cells: then none ran together, and a short run is a row
   * whose other numbers were printed elsewhere.
   */
  splitDigits?: boolean;
}

export function alignRuns(runs: readonly Run[], rows: readonly RowDef[], options: AlignOptions): Alignment {
  const K = runs.length;
  const J = rows.length;
  const NEG = -Infinity;
  const score: number[][] = Array.from({ length: K + 1 }, () => new Array<number>(J + 1).fill(NEG));
  const back: (Step | null)[][] = Array.from({ length: K + 1 }, () => new Array<Step | null>(J + 1).fill(null));
  (score[0] as number[])[0] = 0;
  const widths = rows.map((r) => r.fields.length);
  const checks = rows.map(options.sumCheckOf);
  const relax = (k: number, j: number, s: number, step: Step) => {
    if (s > (score[k] as number[])[j]!) {
      (score[k] as number[])[j] = s;
      (back[k] as (Step | null)[])[j] = step;
    }
  };
  for (let k = 0; k <= K; k++) {
    for (let j = 0; j <= J; j++) {
      const here = (score[k] as number[])[j] as number;
      if (here === NEG) continue;
      if (j < J) relax(k, j + 1, here - MISSING_PENALTY, { from: [k, j], kind: "missing" });
      if (k === K) continue;
      const run = runs[k] as Run;
      // Noise: numbers that belong to no row. Trailing noise after the last row is free.
      const noiseCost = j === J ? 0 : 0.3 + 0.1 * run.values.length;
      relax(k + 1, j, here - noiseCost, { from: [k, j], kind: "noise", run: k });
      if (j === J) continue;
      const firstEv = evidenceFor(run, rows[j] as RowDef);
      // A blank row is only believed when its own label is printed right before the blanks.
      const last = run.evidence[run.evidence.length - 1];
      const adjacent = last ? rowSimilarity(last.text, rows[j] as RowDef) : 0;
      let W = 0;
      for (let m = 1; j + m <= J; m++) {
        W += widths[j + m - 1] as number;
        const fit = fitValues(run.values, widths.slice(j, j + m), checks.slice(j, j + m), options.splitDigits ?? true);
        if (fit) {
          // A blank label row fills exactly one row; so does a damaged one, unless its count
          // fits several rows exactly (then they are damaged together).
          if (fit.kind === "blank" && m > 1) break;
          if (fit.kind === "damaged" && m > 1 && !fit.detail) break;
          if (fit.kind === "blank" && (!options.blankRows || adjacent < NAMES_ROW)) break;
          // Rows read column by column had their labels printed apart from their numbers, in
          // no fixed place: a label of any row of the block places it.
          const ev = fit.columnWise ? Math.max(...rows.slice(j, j + m).map((r) => evidenceFor(run, r))) : firstEv;
          // A run whose count fills several rows exactly, read column by column or unreadable,
          // counts its evidence for each of them: their labels, printed after the numbers, must
          // not win those rows as blank rows.
          const perRow = fit.columnWise || (fit.kind === "damaged" && fit.detail !== undefined) ? m : 1;
          const gain =
            fit.kind === "ok" || fit.kind === "split"
              ? FIT_BONUS * m + EVIDENCE_WEIGHT * ev * perRow - (fit.kind === "split" ? 0.2 : 0)
              : fit.kind === "blank"
                ? EVIDENCE_WEIGHT * adjacent
                : EVIDENCE_WEIGHT * ev * perRow - DAMAGED_PENALTY;
          relax(k + 1, j + m, here + gain, { from: [k, j], kind: "fit", run: k, rows: m, fit, evidence: ev });
        }
        if (W >= run.values.length) break;
      }
    }
  }
  // Best end state: all runs consumed, any row count (rows after the last run are missing).
  let bestJ = 0;
  let best = NEG;
  for (let j = 0; j <= J; j++) {
    const s = ((score[K] as number[])[j] as number) - (J - j) * MISSING_PENALTY;
    if (s > best) {
      best = s;
      bestJ = j;
    }
  }
  const results: RowResult[] = rows.map((row) => ({ row, status: "missing", cells: row.fields.map(() => null), evidence: 0 }));
  const noiseBetween: number[] = [];
  const fitted: { run: number; from: number; rows: number }[] = [];
  const strays: { run: number; before: number }[] = [];
  let k = K;
  let j = bestJ;
  while (k > 0 || j > 0) {
    const step = (back[k] as (Step | null)[])[j];
    if (!step) break;
    if (step.kind === "fit" && step.fit && step.rows) {
      const fit = step.fit;
      for (let m = 0; m < step.rows; m++) {
        const r = results[step.from[1] + m] as RowResult;
        r.status = fit.kind === "ok" ? "ok" : fit.kind;
        r.cells = fit.perRow[m] ?? r.cells;
        if (fit.detail) r.detail = fit.detail;
        // Rows after the first are fixed by the run's cell count from the first row on, so
        // they are as certain as the first row's label.
        r.evidence = step.evidence ?? 0;
        if (step.run !== undefined) r.run = step.run;
        if (fit.columnWise) r.columnWise = true;
        const sv = fit.splitValues?.[m];
        if (sv) r.splitValues = sv;
      }
      fitted.push({ run: step.run ?? -1, from: step.from[1], rows: step.rows });
    } else if (step.kind === "noise" && step.from[1] > 0 && step.from[1] < J) {
      noiseBetween.push(step.from[1]);
      strays.push({ run: step.run ?? -1, before: step.from[1] });
    }
    [k, j] = step.from;
  }
  markDisplaced(results, runs, fitted, strays);
  markUncertain(results, noiseBetween);
  return { rows: results, score: best };
}

/** The row as read, made uncertain: its cells null, with the reason. */
function doubted(r: RowResult, detail: string): RowResult {
  const { splitValues: _dropped, ...rest } = r;
  return { ...rest, status: "uncertain", cells: r.cells.map(() => null), detail };
}

/** Whether a row holds a reading (values, or a blank) that doubt can take away. */
const isRead = (r: RowResult) => r.status === "ok" || r.status === "split" || r.status === "blank";

const DISPLACED = "labels and numbers are out of step here (a row's label has no numbers, or numbers have no label): which row these values belong to cannot be told";

/**
 * Layout text of a table whose cells are centred vertically can print a row's numbers a line
 * above or below its label, so that labels and numbers drift out of step. Two signs of it make
 * the rows concerned uncertain, however well their labels match:
 *  - the labels before a run also name a row that got no values (two labels, one run);
 *  - a whole row's worth of values with no label of its own was left over right after a row
 *    (one label, two runs);
 *  - in text that prints most rows' numbers on their label's line, a label with no numbers
 *    (a blank row?) right before numbers on a line of their own (the blank row's numbers?).
 */
function markDisplaced(results: RowResult[], runs: readonly Run[], fitted: readonly { run: number; from: number; rows: number }[], strays: readonly { run: number; before: number }[]): void {
  const doubt = (i: number) => {
    const r = results[i];
    if (r && isRead(r)) results[i] = doubted(r, DISPLACED);
  };
  for (const f of fitted) {
    const run = runs[f.run];
    if (!run || run.values.length === 0) continue;
    const namesEmptyRow = results.some(
      (r, i) => (i < f.from || i >= f.from + f.rows) && (r.status === "missing" || r.status === "blank") && run.evidence.some((t) => namesRow(t.text, r.row)),
    );
    if (namesEmptyRow) for (let m = 0; m < f.rows; m++) doubt(f.from + m);
  }
  const withValues = fitted.filter((f) => (runs[f.run]?.values.length ?? 0) > 0);
  const labelledShare = withValues.filter((f) => runs[f.run]?.labelled).length / Math.max(1, withValues.length);
  if (labelledShare >= 0.5) {
    for (const f of withValues) {
      const before = results[f.from - 1];
      if (!runs[f.run]?.labelled && before?.status === "blank") {
        doubt(f.from - 1);
        for (let m = 0; m < f.rows; m++) doubt(f.from + m);
      }
    }
  }
  for (const n of strays) {
    const run = runs[n.run];
    const prev = results[n.before - 1];
    if (!run || !prev) continue;
    const values = run.values.filter((v) => v.kind !== "empty");
    const unlabelled = !results.some((r) => run.evidence.some((t) => namesRow(t.text, r.row)));
    if (unlabelled && values.length === prev.row.fields.length) doubt(n.before - 1);
  }
}

/**
 * A row placed by position alone (weak evidence) is only trusted when the stretch between the
 * anchors around it holds no missing row and no stray numbers: then the order of the official
 * template decides it. Otherwise its cells become null, with the reason.
 */
function markUncertain(results: RowResult[], noiseBefore: readonly number[]): void {
  const isAnchor = (r: RowResult) => r.status !== "missing" && r.evidence >= STRONG_EVIDENCE;
  let start = 0;
  while (start < results.length) {
    let end = start;
    while (end < results.length && !isAnchor(results[end] as RowResult)) end++;
    // results[start..end) are weak or missing; results[end] (if any) is an anchor
    const segment = results.slice(start, end);
    const broken =
      segment.some((r) => r.status === "missing" || r.status === "damaged") || noiseBefore.some((j) => j >= start && j <= end && j < results.length);
    if (broken) {
      for (let i = start; i < end; i++) {
        const r = results[i] as RowResult;
        if (isRead(r)) results[i] = doubted(r, "values found, but their row could not be told from the label or the order");
      }
    }
    start = end + 1;
  }
}

/**
 * Aligns by label alone, for a table whose row labels are all distinct and whose rows may be
 * printed in any order (table 二: converters and page breaks reorder its small blocks). A run
 * goes to the row its label names; rows without such a run are missing.
 */
export function alignByLabel(runs: readonly Run[], rows: readonly RowDef[]): Alignment {
  const results: RowResult[] = rows.map((row) => ({ row, status: "missing", cells: row.fields.map(() => null), evidence: 0 }));
  let score = 0;
  for (const run of runs) {
    let best = -1;
    let bestSim = 0;
    let second = 0;
    rows.forEach((row, j) => {
      const sim = evidenceFor(run, row);
      if (sim > bestSim) {
        second = bestSim;
        bestSim = sim;
        best = j;
      } else if (sim > second) second = sim;
    });
    // Labels of two rows before one run (a blank row's label, then the next row's): which
    // row the values are is not told by the labels.
    if (best < 0 || bestSim < NAMES_ROW || second >= bestSim - 0.05) continue;
    const r = results[best] as RowResult;
    if (r.status !== "missing" && r.evidence >= bestSim) continue;
    const fit = fitValues(run.values, [r.row.fields.length], [null]);
    if (!fit || fit.kind === "split") continue;
    r.status = fit.kind;
    r.cells = fit.perRow[0] ?? r.cells;
    r.evidence = bestSim;
    score += bestSim;
  }
  return { rows: results, score };
}

/**
 * The ordered alignment, with the rows it could not read taken from the label-only one where
 * that one read them from values no other row uses. For tables printed in order except where
 * a block was moved.
 */
export function alignOrderedThenByLabel(runs: readonly Run[], rows: readonly RowDef[], options: AlignOptions): Alignment {
  const ordered = alignRuns(runs, rows, options);
  const byLabel = alignByLabel(runs, rows);
  const used = new Set<Token>();
  for (const r of ordered.rows) for (const c of r.cells) if (c) used.add(c);
  const read = (r: RowResult) => r.status === "ok" || r.status === "blank";
  // Where a label names one row and the order another for the same numbers, neither is sure.
  const rowOfToken = new Map<Token, number>();
  byLabel.rows.forEach((r, j) => {
    if (r.status === "ok") for (const c of r.cells) if (c) rowOfToken.set(c, j);
  });
  const conflicts = (r: RowResult, j: number) => {
    const alt = byLabel.rows[j] as RowResult;
    if (r.status !== "ok") return false;
    if (alt.status === "ok" && alt.cells.some((c, i) => c !== r.cells[i])) return true;
    return r.cells.some((c) => c !== null && rowOfToken.has(c) && rowOfToken.get(c) !== j);
  };
  // A run the two disagree on is doubtful in every row it filled.
  const doubtfulRuns = new Set(ordered.rows.filter(conflicts).map((r) => r.run));
  // Nothing checks a row of this table but its label: a row the order placed, with no label
  // of its own that the label-only reading agrees with, is not believed.
  const unconfirmed = (r: RowResult, j: number) => {
    const alt = byLabel.rows[j] as RowResult;
    return r.status === "ok" && r.evidence < STRONG_EVIDENCE && !(alt.status === "ok" && alt.cells.every((c, i) => c === r.cells[i]));
  };
  const merged = ordered.rows.map((r, j) => {
    const alt = byLabel.rows[j] as RowResult;
    if (r.status === "ok" && (conflicts(r, j) || (r.run !== undefined && doubtfulRuns.has(r.run))))
      return doubted(r, "its label and the order of the rows place these values in different rows");
    if (unconfirmed(r, j)) return doubted(r, "no label of this row was printed with these values");
    if (read(r) || !read(alt) || alt.cells.some((c) => c !== null && used.has(c))) return r;
    return alt;
  });
  return { rows: merged, score: ordered.score };
}

/**
 * Reads all the runs of a region as one run, for a table whose labels are all column headers
 * (table 四): header words printed between its numbers (flattened text puts a wrapped 总计
 * anywhere) then cut its one data row into pieces. Believed only when every row is read and
 * adds up; otherwise null.
 */
export function alignAsOneRun(runs: readonly Run[], rows: readonly RowDef[], options: AlignOptions): Alignment | null {
  const values = runs.flatMap((r) => r.values).filter((v) => v.kind !== "empty");
  if (runs.length < 2 || values.length === 0) return null;
  const one: Run = { values, evidence: runs[0]?.evidence ?? [] };
  const alignment = alignRuns([one], rows, options);
  const read = alignment.rows.every((r) => {
    const check = options.sumCheckOf(r.row);
    return r.status === "ok" && check !== null && addsUp(r.cells, check);
  });
  return read ? alignment : null;
}

/** Label text of a run, for messages. */
export function evidenceText(run: Run): string {
  return run.evidence.map((t) => labelKey(t.text)).join("/");
}
