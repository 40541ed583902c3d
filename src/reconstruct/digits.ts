/**
 * Splitting digits of adjacent cells that ran together in flattened text.
 *
 * `640020470` under seven columns may be 64|0|0|2|0|4|70. Only the sum rule of the row can
 * tell, and often several splits satisfy it: then nothing is guessed. A split is accepted
 * only when exactly one candidate satisfies the row's sum rule. The search is the bounded
 * one of readings.ts, and every split of one reconstruction draws on one shared budget
 * (`resetSplitBudget`), so a text full of long digit runs costs bounded time.
 */
import type { Token } from "./tokens.js";
import { nfkc } from "./normalize.js";
import { Budget, readRun, type SumCheck } from "./readings.js";

export type { SumCheck } from "./readings.js";

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

/** Steps one split may take, and all the splits of one reconstruction together. */
export const SPLIT_STEPS = 20_000;
export const DOCUMENT_SPLIT_STEPS = 1_000_000;

let documentBudget = new Budget(DOCUMENT_SPLIT_STEPS);

/** Starts a new document's allowance (reconstruct calls it; it runs synchronously). */
export function resetSplitBudget(steps = DOCUMENT_SPLIT_STEPS): void {
  documentBudget = new Budget(steps);
}

export function splitDigitRun(values: readonly Token[], width: number, check: SumCheck): number[] | null {
  const texts = values.map((v) => nfkc(v.text).trim());
  if (!texts.every((t) => /^\d+$/.test(t))) return null;
  if (width - texts.length <= 0) return null;
  const r = readRun(texts, new Array<"count">(width).fill("count"), [check], { budget: new Budget(SPLIT_STEPS, documentBudget), cap: 2 });
  if (r.exhausted || r.readings.length !== 1) return null;
  return r.readings[0] as number[];
}
