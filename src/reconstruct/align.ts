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
import type { Token } from "./tokens.js";
import { addsUp, type SumCheck } from "./digits.js";
import { doubtBlanksBeforeUnread, doubted, markDisplaced, markUncertain } from "./doubt.js";
import { fitValues, type Fit } from "./fit.js";
import { evidenceFor, namesRow, rowSimilarity, type Run } from "./runs.js";
import {
  DAMAGED_PENALTY,
  EVIDENCE_WEIGHT,
  FIT_BONUS,
  LABEL_MARGIN,
  MISSING_PENALTY,
  NAMES_ROW,
  NOISE_COST,
  NOISE_COST_PER_VALUE,
  SPLIT_PENALTY,
  STRONG_EVIDENCE,
} from "./weights.js";

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
  /** Index of the run that filled the row (alignRuns, alignByLabel). */
  run?: number;
  /** Read with others of its run column by column (column-order.ts). */
  columnWise?: boolean;
  detail?: string;
  /** Read by OCR and placed by its position, not its label (grid-rows.ts): how. */
  placed?: string;
}

export interface Alignment {
  rows: RowResult[];
  score: number;
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
  // The step is only built when it improves the cell: a long document has millions of tries.
  const relax = (k: number, j: number, s: number, step: () => Step) => {
    if (s > (score[k] as number[])[j]!) {
      (score[k] as number[])[j] = s;
      (back[k] as (Step | null)[])[j] = step();
    }
  };
  // The shape of rows j..j+m-1 (their widths and sum rules), made on first use: a run can only
  // fill as many rows as it has values for, so most shapes are never asked for.
  const signatures = checks.map((c) => (c ? `${c.total}:${c.parts.join(",")}` : "-"));
  const shapes: ({ widths: number[]; checks: (SumCheck | null)[]; key: string } | undefined)[] = [];
  const shapeOf = (j: number, m: number) => {
    let shape = shapes[j * J + m - 1];
    if (!shape) {
      // A fit depends only on the run and the rows' widths and sum rules: rows alike share it.
      const key = `${widths.slice(j, j + m).join(",")}|${signatures.slice(j, j + m).join(";")}`;
      shape = { widths: widths.slice(j, j + m), checks: checks.slice(j, j + m), key };
      shapes[j * J + m - 1] = shape;
    }
    return shape;
  };
  for (let k = 0; k <= K; k++) {
    const fits = new Map<string, Fit | null>();
    for (let j = 0; j <= J; j++) {
      const here = (score[k] as number[])[j] as number;
      if (here === NEG) continue;
      if (j < J) relax(k, j + 1, here - MISSING_PENALTY, () => ({ from: [k, j], kind: "missing" }));
      if (k === K) continue;
      const run = runs[k] as Run;
      // Noise: numbers that belong to no row. Trailing noise after the last row is free.
      const noiseCost = j === J ? 0 : NOISE_COST + NOISE_COST_PER_VALUE * run.values.length;
      relax(k + 1, j, here - noiseCost, () => ({ from: [k, j], kind: "noise", run: k }));
      if (j === J) continue;
      const evidence = evidenceFor(run, rows);
      const firstEv = evidence[j] as number;
      // A blank row is only believed when its own label is printed right before the blanks.
      const last = run.evidence[run.evidence.length - 1];
      // Asked for only by blank fits: most runs have values.
      let adjacentMemo: number | undefined;
      const adjacent = () => (adjacentMemo ??= last ? rowSimilarity(last.text, rows[j] as RowDef) : 0);
      let W = 0;
      for (let m = 1; j + m <= J; m++) {
        W += widths[j + m - 1] as number;
        const shape = shapeOf(j, m);
        let fit = fits.get(shape.key);
        if (fit === undefined) {
          fit = fitValues(run.values, shape.widths, shape.checks, options.splitDigits ?? true);
          fits.set(shape.key, fit);
        }
        if (fit) {
          // A blank label row fills exactly one row; so does a damaged one, unless its count
          // fits several rows exactly (then they are damaged together).
          if (fit.kind === "blank" && m > 1) break;
          if (fit.kind === "damaged" && m > 1 && !fit.detail) break;
          if (fit.kind === "blank" && (!options.blankRows || adjacent() < NAMES_ROW)) break;
          // Rows read column by column had their labels printed apart from their numbers, in
          // no fixed place: a label of any row of the block places it.
          const ev = fit.columnWise ? Math.max(...evidence.subarray(j, j + m)) : firstEv;
          // A run whose count fills several rows exactly, read column by column or unreadable,
          // counts its evidence for each of them: their labels, printed after the numbers, must
          // not win those rows as blank rows.
          const perRow = fit.columnWise || (fit.kind === "damaged" && fit.detail !== undefined) ? m : 1;
          const gain =
            fit.kind === "ok" || fit.kind === "split"
              ? FIT_BONUS * m + EVIDENCE_WEIGHT * ev * perRow - (fit.kind === "split" ? SPLIT_PENALTY : 0)
              : fit.kind === "blank"
                ? EVIDENCE_WEIGHT * adjacent()
                : EVIDENCE_WEIGHT * ev * perRow - DAMAGED_PENALTY;
          relax(k + 1, j + m, here + gain, () => ({ from: [k, j], kind: "fit", run: k, rows: m, fit, evidence: ev }));
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

/**
 * Aligns by label alone, for a table whose row labels are all distinct and whose rows may be
 * printed in any order (table 二: converters and page breaks reorder its small blocks). A run
 * goes to the row its label names; rows without such a run are missing.
 */
export function alignByLabel(runs: readonly Run[], rows: readonly RowDef[]): Alignment {
  const results: RowResult[] = rows.map((row) => ({ row, status: "missing", cells: row.fields.map(() => null), evidence: 0 }));
  let score = 0;
  for (const [k, run] of runs.entries()) {
    let best = -1;
    let bestSim = 0;
    let second = 0;
    const evidence = evidenceFor(run, rows);
    rows.forEach((_, j) => {
      const sim = evidence[j] as number;
      if (sim > bestSim) {
        second = bestSim;
        bestSim = sim;
        best = j;
      } else if (sim > second) second = sim;
    });
    // Labels of two rows before one run (a blank row's label, then the next row's): which
    // row the values are is not told by the labels.
    if (best < 0 || bestSim < NAMES_ROW || second >= bestSim - LABEL_MARGIN) continue;
    const r = results[best] as RowResult;
    if (r.status !== "missing" && r.evidence >= bestSim) continue;
    const fit = fitValues(run.values, [r.row.fields.length], [null]);
    if (!fit || fit.kind === "split") continue;
    r.status = fit.kind;
    r.cells = fit.perRow[0] ?? r.cells;
    r.evidence = bestSim;
    r.run = k;
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
  // Labels before a run that name its row and then another (`收费 | 采购 | 11 11` put in
  // 收费's row): the values' nearest label is not theirs, and no sum can tell which it is.
  const nearestIsOther = (r: RowResult) => {
    const run = r.run === undefined ? undefined : runs[r.run];
    if (r.status !== "ok" || !run) return false;
    const own = run.evidence.findIndex((t) => namesRow(t.text, r.row));
    return own >= 0 && run.evidence.slice(own + 1).some((t) => !namesRow(t.text, r.row) && rows.some((o) => o !== r.row && namesRow(t.text, o)));
  };
  const merged = ordered.rows.map((r, j) => {
    const alt = byLabel.rows[j] as RowResult;
    if (r.status === "ok" && (conflicts(r, j) || (r.run !== undefined && doubtfulRuns.has(r.run))))
      return doubted(r, "its label and the order of the rows place these values in different rows");
    if (unconfirmed(r, j)) return doubted(r, "no label of this row was printed with these values");
    if (nearestIsOther(r)) return doubted(r, "the label printed nearest these values is another row's");
    if (read(r) || !read(alt) || alt.cells.some((c) => c !== null && used.has(c))) return r;
    // A label with nothing after it, where the order has no place for it: in text that lost
    // the grid, its numbers may be printed elsewhere (a block of labels, then the numbers).
    if (alt.status === "blank" && alt.run !== undefined && runs[alt.run]?.values.length === 0)
      return doubted(r, "its label was printed with no numbers beside it, out of the rows' order: whether the row is blank cannot be told");
    return alt;
  });
  doubtBlanksBeforeUnread(merged, runs);
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
