/**
 * Splitting digits of adjacent cells that ran together in flattened text.
 *
 * `640020470` under seven columns may be 64|0|0|2|0|4|70. Only the sum rule of the row can
 * tell, and often several splits satisfy it: then nothing is guessed. A split is accepted
 * only when exactly one candidate satisfies the row's sum rule.
 */
import { nfkc } from "./normalize.js";
import type { Token } from "./tokens.js";

/** values[total] must equal the sum of values[parts]. */
export interface SumCheck {
  total: number;
  parts: readonly number[];
}

/** Whether every cell of the row is a number and its total is the sum of its parts. */
export function addsUp(cells: readonly (Token | null)[], check: SumCheck): boolean {
  const v = (i: number) => cells[i]?.parsed?.value;
  const total = v(check.total);
  if (typeof total !== "number") return false;
  let sum = 0;
  for (const p of check.parts) {
    const x = v(p);
    if (typeof x !== "number") return false;
    sum += x;
  }
  return Math.abs(sum - total) < 1e-9;
}

/** Enumeration stops (and gives up) past this many candidates. */
const MAX_CANDIDATES = 200_000;

/** Ways to cut a digit string into `k` numbers without leading zeros. */
function* cuts(digits: string, k: number): Generator<number[]> {
  if (k === 1) {
    if (digits.length === 1 || digits[0] !== "0") yield [Number(digits)];
    return;
  }
  const maxFirst = digits.length - (k - 1);
  for (let len = 1; len <= maxFirst; len++) {
    const head = digits.slice(0, len);
    if (len > 1 && head[0] === "0") break;
    for (const rest of cuts(digits.slice(len), k - 1)) yield [Number(head), ...rest];
  }
}

export function splitDigitRun(values: readonly Token[], width: number, check: SumCheck): number[] | null {
  const texts = values.map((v) => nfkc(v.text).trim());
  if (!texts.every((t) => /^\d+$/.test(t))) return null;
  const extra = width - texts.length;
  if (extra <= 0) return null;
  const found: number[][] = [];
  let seen = 0;
  // Distribute `extra` additional cuts over the tokens, each token into 1 + e_i parts.
  const distribute = (i: number, left: number, acc: number[][]): boolean => {
    if (i === texts.length) {
      if (left !== 0) return true;
      // Cartesian product of the per-token cuts.
      const product = (t: number, row: number[]): boolean => {
        if (t === acc.length) {
          if (++seen > MAX_CANDIDATES) return false;
          const sum = check.parts.reduce((a, p) => a + (row[p] ?? 0), 0);
          if (row[check.total] === sum) found.push(row);
          return found.length <= 1;
        }
        return product(t + 1, row.concat(acc[t] as number[]));
      };
      return product(0, []);
    }
    const t = texts[i] as string;
    for (let e = 0; e <= Math.min(left, t.length - 1); e++) {
      for (const c of cuts(t, e + 1)) {
        if (!distribute(i + 1, left - e, [...acc, c])) return false;
      }
    }
    return true;
  };
  // Incomplete means two candidates were found, or the search gave up: either way, no split.
  const complete = distribute(0, extra, []);
  return complete && found.length === 1 ? (found[0] as number[]) : null;
}
