/**
 * Text normalisation for label matching and number parsing.
 *
 * Printed labels vary: full-width and half-width forms, `1、`/`1.`/`1．`, `（一）`/`(一)`,
 * spaces and line breaks inside labels, curly or ASCII quotes, small typos. Matching works on
 * a normalised key, and similarity on character bigrams, which survives all of these.
 */
import { SIMILARITY_BASE, SIMILARITY_LENGTH_SHARE } from "./weights.js";

/** NFKC, with the ideographic space and no-break space turned into plain spaces. */
export function nfkc(s: string): string {
  return s.normalize("NFKC").replace(/[\u3000\u00a0\u2002-\u200b\ufeff]/g, " ");
}

/**
 * The matching key of a label: NFKC, no whitespace, no quotes or punctuation, enumerators
 * kept in one form (`1.`, `(一)`, `一、` all become their bare numeral followed by nothing).
 */
export function labelKey(s: string): string {
  return memo(keyMemo, s, () => computeLabelKey(s));
}

function computeLabelKey(s: string): string {
  return nfkc(s)
    .replace(/\s+/g, "")
    .replace(/["'“”‘’「」『』〈〉《》<>]/g, "")
    .replace(/[，,。.、:：;；!！?？·・\-—–_~～/\\|[\]【】]/g, "")
    .replace(/[()（）]/g, "");
}

const ENUM_RE = /^\s*(?:[（(]\s*[一二三四五六七八九十]+\s*[)）]|[一二三四五六七八九十]+\s*[、.．,，]|\d{1,2}\s*[、.．,，)）](?!\d))\s*/;

/** The label without its leading enumerator (`（三）不予公开` → `不予公开`). */
export function stripEnumerator(s: string): string {
  return nfkc(s).replace(ENUM_RE, "");
}

/** The leading enumerator in one canonical form, or null: `1、`→`1`, `（一）`→`(一)`, `二、`→`二`. */
export function enumeratorOf(s: string): string | null {
  const m = ENUM_RE.exec(nfkc(s));
  if (!m) return null;
  const e = m[0].replace(/\s+/g, "");
  if (/^[(（]/.test(e)) return `(${e.replace(/[()（）]/g, "")})`;
  return e.replace(/[、.．,，)）]$/, "");
}

/**
 * The character bigrams of a key (a one-character key is its own "bigram"), as numbers, the same
 * number for the same bigram: two characters of the Basic Multilingual Plane packed in 32 bits (a small
 * integer, which a Set looks up faster than a string), others (and a lone character) in a range
 * of their own above 2^32.
 */
function bigramCodes(key: string): number[] {
  const cps = Array.from(key, (c) => c.codePointAt(0) as number);
  if (cps.length < 2) return cps.length ? [ABOVE_32_BITS + (cps[0] as number)] : [];
  const out: number[] = [];
  for (let i = 0; i + 1 < cps.length; i++) {
    const a = cps[i] as number;
    const b = cps[i + 1] as number;
    out.push(a <= 0xffff && b <= 0xffff ? (a << 16) | b : ABOVE_32_BITS + 0x110000 + a * 0x110000 + b);
  }
  return out;
}
const ABOVE_32_BITS = 2 ** 32;

/** The bigrams of a text, as similarityToBigrams compares them (bigramSet). */
export type BigramSet = ReadonlySet<number>;

/**
 * How well `text` carries `label`: the share of the label's bigrams found in the text,
 * scaled down when the text is much longer than the label (a short label found inside a long
 * different label is weak evidence). 1 for an exact match; 0 for nothing in common.
 */
export function labelSimilarity(label: string, text: string): number {
  return similarityToBigrams(label, bigramSet(text));
}

/** labelSimilarity against a text's bigram set (bigramSet). */
export function similarityToBigrams(label: string, tb: BigramSet): number {
  const lb = labelBigrams(label);
  if (lb.length === 0 || tb.size === 0) return 0;
  let hit = 0;
  for (const b of lb) if (tb.has(b)) hit++;
  return similarityOf(hit, lb.length, tb.size);
}

/**
 * The similarity of a label of `bigrams` bigrams, `hit` of which the text of `textBigrams`
 * distinct bigrams holds: the share found, scaled down when the text is much longer.
 */
function similarityOf(hit: number, bigrams: number, textBigrams: number): number {
  if (hit === 0) return 0;
  const coverage = hit / bigrams;
  const ratio = Math.min(1, bigrams / Math.max(1, textBigrams));
  return coverage * (SIMILARITY_BASE + SIMILARITY_LENGTH_SHARE * ratio);
}

/**
 * The labels of several rows (each row: its label and its aliases), indexed by bigram, so that
 * one text is scored against all of them in one pass over the text's bigrams (bestSimilarities)
 * instead of one pass over every label's.
 */
export interface LabelIndex {
  /** bigram → the labels holding it, once per occurrence. */
  postings: Map<number, number[]>;
  /** label → its row. */
  rowOf: number[];
  /** label → how many bigrams it has. */
  lengths: number[];
  rows: number;
}

export function labelIndex(rows: readonly (readonly string[])[]): LabelIndex {
  const index: LabelIndex = { postings: new Map(), rowOf: [], lengths: [], rows: rows.length };
  rows.forEach((labels, row) => {
    for (const label of labels) {
      const id = index.rowOf.length;
      const lb = labelBigrams(label);
      index.rowOf.push(row);
      index.lengths.push(lb.length);
      for (const b of lb) {
        const ids = index.postings.get(b);
        if (ids) ids.push(id);
        else index.postings.set(b, [id]);
      }
    }
  });
  return index;
}

/** Per row of the index, the best similarityToBigrams of its labels to the text: the same numbers. */
export function bestSimilarities(index: LabelIndex, tb: BigramSet): Float64Array {
  const best = new Float64Array(index.rows);
  if (tb.size === 0) return best;
  const hits = new Int32Array(index.rowOf.length);
  for (const b of tb) {
    const ids = index.postings.get(b);
    if (ids) for (const id of ids) hits[id] = (hits[id] as number) + 1;
  }
  for (let id = 0; id < hits.length; id++) {
    const sim = similarityOf(hits[id] as number, index.lengths[id] as number, tb.size);
    const row = index.rowOf[id] as number;
    if (sim > (best[row] as number)) best[row] = sim;
  }
  return best;
}

/**
 * Memo tables: the same catalogue labels and the same cell texts are compared many times in
 * one alignment. Bounded, so a long batch run does not grow them without end.
 */
const MEMO_LIMIT = 20_000;
const labelMemo = new Map<string, number[]>();
const keyMemo = new Map<string, string>();
const textMemo = new Map<string, BigramSet>();

function memo<V>(table: Map<string, V>, key: string, make: () => V): V {
  let v = table.get(key);
  if (v === undefined) {
    if (table.size >= MEMO_LIMIT) table.clear();
    v = make();
    table.set(key, v);
  }
  return v;
}

const labelBigrams = (label: string) => memo(labelMemo, label, () => bigramCodes(labelKey(stripEnumerator(label))));
/** The bigram set labelSimilarity compares a label against (memoised), for a caller that keeps it. */
export const bigramSet = (text: string): BigramSet => memo(textMemo, text, () => new Set(bigramCodes(labelKey(text))));

// ------------------------------------------------------------------------------- numbers

/** Placeholders printed in a blank cell. */
const PLACEHOLDER_RE = /^(?:[/／\\—–\-－―─_~～·*×xX]+|无|空|暂无|—+|-+)$/;

/** A printed number, optionally with thousands separators, a unit, or a note in brackets. */
const NUMBER_RE =
  /^([+\-−]?)\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(万元|元|件|条|个|项|次|人次|家|宗)?\s*(?:[（(【[].*[)）】\]])?$/;

export interface ParsedValue {
  /** The number, or null for a blank or a placeholder. */
  value: number | null;
  /** Whether the cell printed a placeholder (as opposed to being empty). */
  placeholder: boolean;
  /** A unit printed with the number (`元`, `万元`), if any. */
  unit: string | null;
  /** Whether the number had a decimal part. */
  decimal: boolean;
}

/** Parses a value cell. Returns null when the text is not a value at all (it is a label). */
export function parseValue(raw: string): ParsedValue | null {
  const s = nfkc(raw).trim();
  if (s === "") return { value: null, placeholder: false, unit: null, decimal: false };
  if (PLACEHOLDER_RE.test(s)) return { value: null, placeholder: true, unit: null, decimal: false };
  const m = NUMBER_RE.exec(s);
  if (!m) return null;
  const sign = m[1] === "-" || m[1] === "−" ? -1 : 1;
  const int = (m[2] as string).replace(/,/g, "");
  const frac = m[3];
  const value = sign * Number(frac ? `${int}.${frac}` : int);
  if (!Number.isFinite(value)) return null;
  return { value, placeholder: false, unit: m[4] ?? null, decimal: frac !== undefined };
}

/** A page-number line: `- 3 -`, `— 3 —`, `第 3 页`, `第3页 共6页`, `3 / 6`. */
export function isPageNumberLine(line: string): boolean {
  const s = nfkc(line).trim();
  return (
    /^[-—–－―─]+\s*\d{1,4}\s*[-—–－―─]+$/.test(s) ||
    /^第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$/.test(s) ||
    /^\d{1,4}\s*\/\s*\d{1,4}$/.test(s)
  );
}
