/**
 * The token stream: every block of the intermediate document, in reading order, as a flat
 * sequence of cells. A grid row gives its cells exactly; a text line is split into cells on
 * ` | `, tabs, or runs of spaces. The reconstructor then reads tables from this one stream,
 * whether the source had a grid (docx, html, a ruled PDF) or only text (plain text, .doc,
 * flattened page text).
 */
import { isLabelText, type Block, type DocumentContent } from "../document.js";
import { splitGluedLine } from "./glued.js";
import { isPageNumberLine, nfkc, parseValue, type ParsedValue } from "./normalize.js";

export type TokenSource = "grid" | "pipe" | "tab" | "space";

export interface Token {
  /** The cell text as printed (trimmed). */
  text: string;
  /** "value": a number or placeholder; "empty": an empty cell; "text": anything else. */
  kind: "text" | "value" | "empty";
  parsed: ParsedValue | null;
  /** Line (text line or grid row) the token came from, numbered across the document. */
  line: number;
  /** Index of the block it came from. */
  block: number;
  source: TokenSource;
  /** True for the last token of its line. */
  lineEnd: boolean;
  page?: number;
  /**
   * OCR could not read this cell with confidence: what it saw. The token reads as a null
   * value (it holds the cell's place), and reconstruction names it in a T12 finding.
   */
  unread?: string;
}

/** OCR cells below this confidence are not read (document.ts, GridCell.confidence). */
export const OCR_CONFIDENCE_FLOOR = 0.5;

/** A line of the document as plain text, kept for prose and metadata. */
export interface TextLine {
  text: string;
  line: number;
  block: number;
  /** Whether the line is a row of a grid (then it is never a heading or prose). */
  inGrid: boolean;
}

export interface TokenStream {
  tokens: Token[];
  lines: TextLine[];
}

/** A Markdown table's separator row (`|---|:---:|`), written by PDF-to-Markdown converters. */
const MARKDOWN_RULE_RE = /^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$/;
/** Markdown heading marks and emphasis around a line: `## 四、…`, `**一、总体情况**`. */
const MARKDOWN_MARK_RE = /^\s*#{1,6}\s+|^\s*\*\*|\*\*\s*$/g;

const MULTI_NUMBER_RE = /^[+\-−]?\d[\d,]*(?:\.\d+)?(?:\s+[+\-−]?\d[\d,]*(?:\.\d+)?)+$/;
/**
 * A label with numbers after it on one line of flattened text: `规章 0 0 0`, or a wrapped label
 * cut after its comma (`…只计这一情形， 4 0 0 0 0 0 4`, NFKC makes the comma ASCII).
 */
const TRAILING_NUMBERS_RE = /^(.*?(?:[^\d\s.,+\-−]|(?<![\d\s]),))\s+([+\-−]?\d[\d,]*(?:\.\d+)?(?:\s+[+\-−]?\d[\d,]*(?:\.\d+)?)*)$/;

function splitLine(line: string): { cells: string[]; source: TokenSource } {
  if (line.includes("|")) {
    const cells = line.split("|").map((c) => c.trim());
    // "| a | b |" and "a | b |": a bar at either end opens or closes the row; it is not an
    // empty cell. (Colspan padding is written as bars between, "a | b | ||", and stays.)
    if (/^\s*\|/.test(line)) cells.shift();
    if (/\|\s*$/.test(line)) cells.pop();
    return { cells, source: "pipe" };
  }
  if (line.includes("\t")) return { cells: line.split("\t").map((c) => c.trim()), source: "tab" };
  return { cells: nfkc(line).split(/\s{2,}/).map((c) => c.trim()).filter((c) => c !== ""), source: "space" };
}

/** In flattened text, one cell may hold several numbers (`0 0 2`) or a label and numbers. */
function refine(cell: string): string[] {
  const s = nfkc(cell).trim();
  if (MULTI_NUMBER_RE.test(s)) return s.split(/\s+/);
  const m = TRAILING_NUMBERS_RE.exec(s);
  if (m && parseValue(m[1] as string) === null) return [(m[1] as string).trim(), ...(m[2] as string).split(/\s+/)];
  return [cell];
}

function classify(text: string): Pick<Token, "kind" | "parsed"> {
  const parsed = parseValue(text);
  if (parsed === null) return { kind: "text", parsed: null };
  if (parsed.value === null && !parsed.placeholder) return { kind: "empty", parsed };
  return { kind: "value", parsed };
}

export function tokenize(doc: DocumentContent): TokenStream {
  const tokens: Token[] = [];
  const lines: TextLine[] = [];
  let lineNo = 0;
  const push = (cells: string[], source: TokenSource, block: number, page: number | undefined) => {
    const start = tokens.length;
    for (const raw of cells) {
      const text = raw.trim();
      const { kind, parsed } = classify(text);
      // One shape for every token (no spreads): a long text makes hundreds of thousands.
      const token: Token = { text, kind, parsed, line: lineNo, block, source, lineEnd: false };
      if (page !== undefined) token.page = page;
      tokens.push(token);
    }
    const last = tokens[tokens.length - 1];
    if (tokens.length > start && last) last.lineEnd = true;
  };

  doc.blocks.forEach((b: Block, bi: number) => {
    if (b.kind === "table") {
      for (const row of b.rows) {
        const sorted = [...row].sort((x, y) => x.col - y.col);
        const cells = sorted.map((c) => c.text);
        if (cells.every((c) => c.trim() === "")) continue;
        lines.push({ text: cells.join(" | "), line: lineNo, block: bi, inGrid: true });
        const start = tokens.length;
        push(cells, "grid", bi, row[0]?.page ?? b.page);
        sorted.forEach((c, i) => {
          const t = tokens[start + i];
          // A label read poorly is still a label (its similarity to the catalogue decides); only
          // a cell that is no label is a number not read.
          if (t && c.confidence !== undefined && c.confidence < OCR_CONFIDENCE_FLOOR && !isLabelText(c.text)) {
            t.kind = "value";
            t.parsed = { value: null, placeholder: true, unit: null, decimal: false };
            t.unread = c.text;
          }
        });
        lineNo++;
      }
      return;
    }
    for (const line of b.text.split(/\r?\n/).flatMap(splitGluedLine)) {
      if (line.trim() === "" || isPageNumberLine(line) || MARKDOWN_RULE_RE.test(line)) continue;
      const rawLine = line.replace(MARKDOWN_MARK_RE, "");
      lines.push({ text: rawLine.trim(), line: lineNo, block: bi, inGrid: false });
      const { cells, source } = splitLine(rawLine);
      const refined = source === "space" ? cells.flatMap(refine) : cells;
      push(refined, source, bi, b.page);
      lineNo++;
    }
  });
  return { tokens, lines };
}
