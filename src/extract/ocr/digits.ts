/**
 * When a numeric cell's Tesseract reads are a number. Pure functions over the reads of one
 * cell: its text at each scale and page-segmentation mode, with confidence, and the size of
 * its ink.
 *
 * What goes wrong in digit reads is almost always a dropped digit (77 → 7, 41 → 4), sometimes
 * with a high confidence; a dropped digit leaves the ink too wide for the digits read. A
 * digit read as another digit is rarer, and shows up as reads that disagree.
 */
import type { OcrRead } from "./tesseract.js";

/** Digit reads below this confidence (0–100) are not taken. */
export const DIGIT_CONFIDENCE = 60;
/** Ink width ÷ ink height ÷ digits read: right reads stay below this (a dropped digit leaves it wider). */
export const MAX_WIDTH_PER_DIGIT = 1.0;
/** In the second read, the number must come out this many times with confidence. */
const SECOND_READ_AGREEING = 3;

export interface InkSize {
  width: number;
  height: number;
}

/** A number as printed: digits, an optional sign and decimals, no leading zero. */
export const cleanNumber = (text: string) => /^-?\d+(?:\.\d+)?$/.test(text) && !/^-?0\d/.test(text) && text !== "-0";

const digitsOf = (text: string) => text.replace(/[^0-9]/g, "");

/** Whether the ink is no wider than `text`'s digits would print. */
export function wideEnough(text: string, ink: InkSize): boolean {
  const digits = digitsOf(text).length;
  return digits > 0 && ink.width / ink.height / digits <= MAX_WIDTH_PER_DIGIT;
}

/**
 * The first read: the number when every non-empty read (at least two) is the same clean
 * number, the least confident of them is confident, and the ink is as wide as its digits.
 * Empty reads do not count: a lone 0, 1 or 7 often comes back empty at one scale.
 */
export function agreedNumber(reads: readonly OcrRead[], ink: InkSize): OcrRead | null {
  const seen = reads.filter((r) => r.text !== "");
  const first = seen[0];
  if (!first || seen.length < 2 || !seen.every((r) => r.text === first.text)) return null;
  const confidence = Math.min(...seen.map((r) => r.confidence));
  if (!cleanNumber(first.text) || confidence < DIGIT_CONFIDENCE || !wideEnough(first.text, ink)) return null;
  return { text: first.text, confidence };
}

/** Whether `short`'s digits are `long`'s with some left out, in order. */
function droppedFrom(short: string, long: string): boolean {
  if (short.length >= long.length) return false;
  let i = 0;
  for (const c of long) if (c === short[i]) i++;
  return i === short.length;
}

/**
 * The second read, for a cell the first left unsure (reads at more scales and as one word):
 * the one clean number read confidently at least three times, as wide as its digits, when
 * every other non-empty read is that number with digits dropped and is too narrow for the
 * ink (the known way a read goes wrong). Any other disagreement (another digit, a digit
 * more, a sign) leaves the cell unread. Never a number no read gave.
 */
export function settledNumber(reads: readonly OcrRead[], ink: InkSize): OcrRead | null {
  const counts = new Map<string, number[]>();
  for (const r of reads) if (r.confidence >= DIGIT_CONFIDENCE && cleanNumber(r.text)) counts.set(r.text, [...(counts.get(r.text) ?? []), r.confidence]);
  const ranked = [...counts].sort((a, b) => b[1].length - a[1].length);
  const best = ranked[0];
  if (!best || best[1].length < SECOND_READ_AGREEING || (ranked[1] && ranked[1][1].length === best[1].length)) return null;
  const [text, confidences] = best;
  if (!wideEnough(text, ink)) return null;
  for (const r of reads) {
    if (r.text === "" || r.text === text) continue;
    const explained = /^[0-9]+$/.test(r.text) && droppedFrom(r.text, digitsOf(text)) && !wideEnough(r.text, ink) && !text.startsWith("-");
    if (!explained) return null;
  }
  return { text, confidence: Math.min(...confidences) };
}
