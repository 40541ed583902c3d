/**
 * Fitting a run's values to consecutive rows: the same count, with padding, after run-together
 * digits were split (digits.ts), or in another cell order (column-order.ts). A fit that
 * cannot be checked comes back damaged, with the reason.
 */
import type { Token } from "./tokens.js";
import { readUncertainOrder } from "./column-order.js";
import { addsUp, splitDigitRun, type SumCheck } from "./digits.js";

export interface Fit {
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
export function fitValues(values: readonly Token[], widths: readonly number[], sumChecks: readonly (SumCheck | null)[], splitDigits = true): Fit | null {
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
export function onOneLine(values: readonly Token[]): boolean {
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
