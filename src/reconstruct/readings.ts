/**
 * The readings of a run of characters whose cells ran together: every way to cut it into a
 * row's cells, in their printed forms, that the row's own sums allow.
 *
 * `7200009` under table 三's seven columns can only be 7|2|0|0|0|0|9 once the last cell must
 * be the total of the other six; `462181147493` has three such readings. A printed form is
 * `0` or a number without leading zeros (optionally with thousands separators), a minus sign
 * only where the column may be negative (2019 本年增/减), decimals only in amount columns, or
 * a placeholder (`-`, `—`, `/`, `无`) that reads as null.
 *
 * The search is bounded: it spends one step of a `Budget` per cell tried, so its work is
 * at most the budget however long the run; when the budget runs out the result says so and
 * the caller must not take any reading from it.
 */

import type { TableDef } from "../catalogue.js";

/** values[total] must equal the sum of values[parts]. */
export interface SumCheck {
  total: number;
  parts: readonly number[];
}

/**
 * The sums inside a row of `width` cells of this table, from the catalogue (TableDef.sums):
 * table 三's 总计 is the sum of the six applicant columns (R3), and each group of table 四 has
 * its 总计 after its four outcomes (R4; three groups side by side when the whole table is read
 * as one run).
 */
export function rowSumChecks(def: Pick<TableDef, "sums">, width: number): SumCheck[] {
  const s = def.sums;
  if (!s || width === 0 || width % s.width !== 0) return [];
  return Array.from({ length: width / s.width }, (_, g) => ({ total: g * s.width + s.total, parts: s.parts.map((p) => g * s.width + p) }));
}

export type CellKind = "count" | "signed" | "amount";

/**
 * A work allowance in steps. A budget with a parent also spends from it, so one search has
 * its own limit and all the searches of a document share a larger one.
 */
export class Budget {
  private left: number;
  constructor(
    readonly steps: number,
    private readonly parent?: Budget,
  ) {
    this.left = steps;
  }
  /** Spends one step; false once this budget or its parent is gone. */
  spend(): boolean {
    const parentOk = this.parent ? this.parent.spend() : true;
    return --this.left >= 0 && parentOk;
  }
  get exhausted(): boolean {
    return this.left < 0 || (this.parent?.exhausted ?? false);
  }
}

export type Reading = (number | null)[];

export interface Readings {
  /** Distinct readings found, at most `cap` of them. */
  readings: Reading[];
  /** More readings exist than were kept. */
  more: boolean;
  /** The budget ran out: the readings are not all known, and none may be taken. */
  exhausted: boolean;
  /** Per cell, the distinct values seen over every reading (capped at 16 each). */
  candidates: Set<number | null>[];
}

/** A cell longer than this is no count a report prints (12 digits: 999,999,999,999). */
const MAX_INT_DIGITS = 12;
const MAX_DECIMALS = 8;
const PLACEHOLDER_CHARS = new Set(["-", "—", "–", "/", "\\", "―", "─", "~", "无"]);
const MINUS = new Set(["-", "−"]);

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/** The cells that can start at `p`: [end, value] pairs, shortest first. */
function cellsAt(run: string, p: number, kind: CellKind): [number, number | null][] {
  const out: [number, number | null][] = [];
  const c = run[p];
  if (c === undefined) return out;
  // A placeholder: one or more placeholder characters (`-`, `--`, `——`), null.
  if (PLACEHOLDER_CHARS.has(c)) {
    let e = p;
    while (e < run.length && PLACEHOLDER_CHARS.has(run[e] as string)) out.push([++e, null]);
  }
  let q = p;
  let sign = 1;
  if (MINUS.has(c) && kind === "signed") {
    sign = -1;
    q++;
  }
  if (!isDigit(run[q])) return out;
  const numbers = (start: number) => {
    // "0", or a leading non-zero digit followed by up to MAX_INT_DIGITS-1 more.
    if (run[start] === "0") return [start + 1];
    const ends: number[] = [];
    for (let e = start + 1; e <= run.length && e - start <= MAX_INT_DIGITS && isDigit(run[e - 1]); e++) ends.push(e);
    // Thousands separators: 1,234 or 12,345,678.
    let e = start;
    while (e < run.length && e - start < 3 && isDigit(run[e])) e++;
    while (run[e] === "," && isDigit(run[e + 1]) && isDigit(run[e + 2]) && isDigit(run[e + 3])) {
      e += 4;
      ends.push(e);
    }
    return ends;
  };
  for (const intEnd of numbers(q)) {
    const intValue = Number(run.slice(q, intEnd).replace(/,/g, ""));
    // "-0" is no printed number: a lone minus there is a placeholder (handled above).
    if (!(sign < 0 && intValue === 0)) out.push([intEnd, sign * intValue]);
    if (kind === "amount" && run[intEnd] === "." && isDigit(run[intEnd + 1])) {
      for (let e = intEnd + 2; e <= run.length && e - intEnd - 1 <= MAX_DECIMALS && isDigit(run[e - 1]); e++)
        out.push([e, sign * Number(run.slice(q, e).replace(/,/g, ""))]);
    }
  }
  return out;
}

const KIND_KEY: Record<CellKind, number> = { count: 0, signed: 1, amount: 2 };
const KIND_KEYS = 3;

/** The sum of values[parts] (rounded to the decimals a cell may print), or undefined while one is null. */
function sumOf(values: Reading, parts: readonly number[]): number | undefined {
  let total = 0;
  for (const i of parts) {
    const v = values[i];
    if (typeof v !== "number") return undefined;
    total += v;
  }
  return Math.round(total * 1e8) / 1e8;
}

export interface ReadOptions {
  budget: Budget;
  /** Keep at most this many readings (default 64). */
  cap?: number;
  /** Only readings in which every sum check holds (or cannot be checked for a null). */
  requireSums?: boolean;
}

/**
 * Every reading of `segments` (pieces that no cell may straddle, e.g. the parts of a run
 * around a space) as cells of `kinds`, each segment holding at least one cell.
 */
export function readRun(segments: readonly string[], kinds: readonly CellKind[], checks: readonly SumCheck[], options: ReadOptions): Readings {
  const { budget } = options;
  const cap = options.cap ?? 64;
  const requireSums = options.requireSums ?? true;
  const k = kinds.length;
  const found = new Map<string, Reading>();
  const candidates = kinds.map(() => new Set<number | null>());
  let more = false;
  let aborted = false;
  // The check whose total is cell j, when all its parts come before j.
  const totalAt = new Map<number, SumCheck>();
  for (const ch of checks) if (ch.parts.every((p) => p < ch.total)) totalAt.set(ch.total, ch);
  const values: Reading = new Array<number | null>(k).fill(null);

  const record = () => {
    for (let i = 0; i < k; i++) {
      const set = candidates[i] as Set<number | null>;
      if (set.size < 16) set.add(values[i] as number | null);
    }
    const key = values.join("|");
    if (found.has(key)) return;
    if (found.size >= cap) more = true;
    else found.set(key, values.slice());
  };

  // The cells that can start at a position do not depend on the path there: computed once,
  // per segment, keyed by position and kind.
  const memo = segments.map(() => new Map<number, [number, number | null][]>());
  const cellsFrom = (s: number, p: number, kind: CellKind) => {
    const key = p * KIND_KEYS + KIND_KEY[kind];
    const bySegment = memo[s] as Map<number, [number, number | null][]>;
    let o = bySegment.get(key);
    if (!o) bySegment.set(key, (o = cellsAt(segments[s] as string, p, kind)));
    return o;
  };
  const cellsLeft = (j: number) => k - j;
  // Walk segment s from position p, having filled cells [0, j).
  const walk = (s: number, p: number, j: number): void => {
    if (aborted) return;
    if (!budget.spend()) {
      aborted = true;
      return;
    }
    const seg = segments[s] as string;
    if (p === seg.length) {
      // Segment done: the next one starts, or the reading is complete.
      if (s + 1 < segments.length) walk(s + 1, 0, j);
      else if (j === k) record();
      return;
    }
    if (j === k) return;
    // Each later segment needs a cell of its own.
    if (cellsLeft(j) < segments.length - s) return;
    const check = totalAt.get(j);
    let forced: number | null | undefined;
    if (requireSums && check) forced = sumOf(values, check.parts);
    for (const [end, value] of cellsFrom(s, p, kinds[j] as CellKind)) {
      if (forced !== undefined && value !== forced) continue;
      values[j] = value;
      walk(s, end, j + 1);
      if (aborted) return;
    }
    values[j] = null;
  };
  if (segments.length === 0 || segments.some((s) => s === "")) return { readings: [], more: false, exhausted: false, candidates };
  walk(0, 0, 0);
  return { readings: [...found.values()], more, exhausted: aborted, candidates };
}
