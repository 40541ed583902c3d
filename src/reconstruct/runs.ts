/**
 * Runs, and the label evidence that places them.
 *
 * A table region of the token stream is cut into *runs*: maximal sequences of value cells
 * (numbers, placeholders, empty cells), each with the label text printed before it (its
 * *evidence*) and, in flattened text, the label text right after it. The aligners
 * (align.ts) score a run against a catalogue row by how well that evidence names the row.
 */
import type { RowDef } from "../catalogue.js";
import { bestSimilarities, bigramSet, enumeratorOf, labelIndex, labelKey, similarityToBigrams, type BigramSet, type LabelIndex } from "./normalize.js";
import type { Token } from "./tokens.js";
import { AFTER_DISCOUNT, AFTER_WINDOW, EVIDENCE_WINDOW, JOINED_LABEL_DISCOUNT, NAMES_ROW } from "./weights.js";

export interface Run {
  values: Token[];
  /** The label text printed before the values. */
  evidence: Token[];
  /** The first label text printed after them (flattened text often prints a label there). */
  after?: Token[];
  /** Whether the values share a line with the label before them (`规章 0 0 0`). */
  labelled?: boolean;
}


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
export function namesRow(text: string, row: RowDef): boolean {
  return rowSimilarity(text, row) >= NAMES_ROW;
}

/** How well a text names a row: its label or any alias, whichever is most similar. */
export function rowSimilarity(text: string, row: RowDef): number {
  return similarityToRow(bigramSet(text), row);
}

function similarityToRow(tb: BigramSet, row: RowDef): number {
  let best = similarityToBigrams(row.label, tb);
  for (const a of row.aliases ?? []) best = Math.max(best, similarityToBigrams(a, tb));
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
 * Similarity of a run's evidence to each of `rows`: per row, the best single label cell, or the
 * joined tail, of the text before the run; or, a little less, of the text right after it.
 * The aligners ask for the same run many times (the ordered pass, the label pass): made once
 * per run and rows.
 */
const evidenceMemo = new WeakMap<Run, Map<readonly RowDef[], Float64Array>>();
const indexMemo = new WeakMap<readonly RowDef[], LabelIndex>();
export function evidenceFor(run: Run, rows: readonly RowDef[]): Float64Array {
  let memo = evidenceMemo.get(run);
  if (!memo) evidenceMemo.set(run, (memo = new Map()));
  let known = memo.get(rows);
  if (known === undefined) memo.set(rows, (known = scoreEvidence(run, rows)));
  return known;
}

function scoreEvidence(run: Run, rows: readonly RowDef[]): Float64Array {
  let index = indexMemo.get(rows);
  if (!index) indexMemo.set(rows, (index = labelIndex(rows.map((r) => [r.label, ...(r.aliases ?? [])]))));
  const best = new Float64Array(rows.length);
  let floor = 0;
  for (const c of candidatesOf(run)) {
    // Strongest first: once every row has evidence worth this candidate's factor, none is better.
    if (c.factor <= floor) break;
    const sims = bestSimilarities(index, c.bigrams);
    floor = Infinity;
    for (let r = 0; r < best.length; r++) {
      const v = (sims[r] as number) * c.factor;
      if (c.factor > (best[r] as number) && v > (best[r] as number)) best[r] = v;
      floor = Math.min(floor, best[r] as number);
    }
  }
  return best;
}

/**
 * The texts a run's evidence offers, each with the factor its similarity is worth, made once per
 * run (they are compared with every row):
 *  - each label cell before the values (1), and the tail of them joined (JOINED_LABEL_DISCOUNT):
 *    a label wrapped over several lines is joined back, but never across the start of a
 *    numbered sub-row label (`8.`): the text before it is the tail of the row above
 *    (`执法/案卷/8./属于/行政` is 8.属于行政…, not 7.…执法案卷);
 *  - a little less, each label cell right after them and their joined head.
 */
interface Candidate {
  bigrams: BigramSet;
  factor: number;
}
const candidateMemo = new WeakMap<Run, Candidate[]>();
function candidatesOf(run: Run): Candidate[] {
  const known = candidateMemo.get(run);
  if (known) return known;
  const out: Candidate[] = [];
  const add = (tokens: readonly Token[], factor: number) => out.push({ bigrams: bigramSet(tokens.map((t) => t.text).join("")), factor });
  for (const t of run.evidence) add([t], 1);
  const from = lastNumberedStart(run.evidence);
  for (let k = 2; k <= run.evidence.length - from; k++) add(run.evidence.slice(-k), JOINED_LABEL_DISCOUNT);
  const after = run.after ?? [];
  for (const t of after) add([t], AFTER_DISCOUNT);
  for (let k = 2; k <= after.length; k++) add(after.slice(0, k), AFTER_DISCOUNT * JOINED_LABEL_DISCOUNT);
  // The strongest first, so that scoreEvidence can stop early.
  out.sort((a, b) => b.factor - a.factor);
  candidateMemo.set(run, out);
  return out;
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

/** Label text of a run, for messages. */
export function evidenceText(run: Run): string {
  return run.evidence.map((t) => labelKey(t.text)).join("/");
}
