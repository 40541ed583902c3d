/**
 * Doubt: the signs that make a placed row uncertain, however well its values fit. A doubted
 * row keeps its place but loses its cells (null), with the reason as a finding.
 */
import type { RowResult } from "./align.js";
import { namesRow, type Run } from "./runs.js";
import { LABELLED_MAJORITY, STRONG_EVIDENCE } from "./weights.js";

/** The row as read, made uncertain: its cells null, with the reason. */
export function doubted(r: RowResult, detail: string): RowResult {
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
export function markDisplaced(results: RowResult[], runs: readonly Run[], fitted: readonly { run: number; from: number; rows: number }[], strays: readonly { run: number; before: number }[]): void {
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
  if (labelledShare >= LABELLED_MAJORITY) {
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
export function markUncertain(results: RowResult[], noiseBefore: readonly number[]): void {
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
 * Labels printed with nothing after them, right before numbers that no row could take: text
 * that lost the grid can print a block of labels and then their numbers, so those rows may not
 * be blank at all. Such blank rows become uncertain.
 */
export function doubtBlanksBeforeUnread(results: RowResult[], runs: readonly Run[]): void {
  const read = new Set(results.filter((r) => r.status === "ok" && r.run !== undefined).map((r) => r.run));
  const suspect = new Set<number>();
  runs.forEach((run, k) => {
    if (run.values.every((v) => v.kind === "empty") || read.has(k)) return;
    for (let j = k - 1; j >= 0 && runs[j]?.values.length === 0; j--) suspect.add(j);
  });
  results.forEach((r, i) => {
    if (r.status === "blank" && r.run !== undefined && suspect.has(r.run))
      results[i] = doubted(r, "its label was printed with no numbers beside it, right before numbers no row could take: whether the row is blank cannot be told");
  });
}
