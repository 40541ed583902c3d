/**
 * HTML tables → TableBlocks, shared by the HTML and DOCX extractors (mammoth's HTML keeps
 * Word's merged cells as exact colspan/rowspan).
 *
 * Also the text helpers both need: how inline content becomes lines (block elements and
 * `<br>` break lines, source whitespace collapses as in a browser) and how the lines of one
 * cell are joined into its text (no separator between CJK characters, one space between
 * Latin words).
 *
 * All DOM walks here are iterative: pages from government CMSs can nest thousands of unclosed
 * `<font>`/`<span>` elements, and recursion would overflow the stack on them.
 */
import { ElementType } from "htmlparser2";
import type { ChildNode, Element } from "domhandler";
import { RefusalError, type GridCell, type TableBlock } from "../document.js";

// ---------------------------------------------------------------------------------------------
// Limits

export interface HtmlLimits {
  /** Deepest element nesting accepted while parsing. */
  maxElementDepth: number;
  /** Most elements in one page. */
  maxElements: number;
  /** Deepest nesting of tables inside tables. */
  maxTableDepth: number;
  /** Most table cells in one document, over all tables. */
  maxCells: number;
  /** Most grid slots (rows × columns covered by cells) in one document, over all tables. */
  maxGridSlots: number;
}

/**
 * A report has three tables of at most ~300 cells; a whole government page rarely has more
 * than a few thousand elements. These are far above that, and low enough that a hostile page
 * costs a bounded amount of memory and time.
 */
export const DEFAULT_HTML_LIMITS: HtmlLimits = {
  maxElementDepth: 3_000,
  maxElements: 300_000,
  maxTableDepth: 32,
  maxCells: 200_000,
  maxGridSlots: 2_000_000,
};

/** Counts cells and grid slots over a whole document, refusing when a limit is passed. */
export class TableBudget {
  private cells = 0;
  private slots = 0;
  constructor(private readonly limits: HtmlLimits = DEFAULT_HTML_LIMITS) {}

  addCells(n: number): void {
    this.cells += n;
    if (this.cells > this.limits.maxCells) {
      throw new RefusalError("too-large", `more than ${this.limits.maxCells} table cells`);
    }
  }

  addSlots(n: number): void {
    this.slots += n;
    if (this.slots > this.limits.maxGridSlots) {
      throw new RefusalError("too-large", `tables cover more than ${this.limits.maxGridSlots} grid positions`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Element classes

/** Elements whose content is never shown as text. */
const SKIPPED = new Set([
  "head", "script", "style", "noscript", "template", "title", "iframe", "object", "embed",
  "svg", "math", "canvas", "video", "audio", "map", "textarea", "button", "input", "select",
  "xml", // Word's data islands (<xml><w:WordDocument>…) when not inside a conditional comment
]);

/** Elements that start and end a line of text (CSS block-level by default, plus cells). */
const BLOCKS = new Set([
  "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
  "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
  "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "html", "legend", "li", "main",
  "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th",
  "thead", "tr", "ul", "option", "optgroup", "listing", "plaintext", "xmp",
]);

export function isElement(node: ChildNode): node is Element {
  return node.type === ElementType.Tag || node.type === ElementType.Script || node.type === ElementType.Style;
}

export function isSkipped(el: Element): boolean {
  if (SKIPPED.has(el.name)) return true;
  if (el.attribs["hidden"] !== undefined) return true;
  const style = el.attribs["style"];
  return style !== undefined && /(?:^|;)\s*display\s*:\s*none/i.test(style);
}

export function isBlock(el: Element): boolean {
  return BLOCKS.has(el.name);
}

// ---------------------------------------------------------------------------------------------
// Text: lines and joining

/**
 * CJK characters for the joining rules: Han ideographs (a lone surrogate stands for an
 * ideograph outside the BMP), kana, Hangul, CJK punctuation and full-width forms, and the
 * general punctuation Chinese text uses (“” ‘’ — …).
 */
const CJK = /[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2014-\u2027\ud800-\udfff]/;

function isCjk(ch: string | undefined): boolean {
  return ch !== undefined && CJK.test(ch);
}

/** Invisible characters that only get in the way of label matching. */
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;
/** What is trimmed from line and cell edges: ASCII and Unicode spaces (incl. &nbsp; and the
 * full-width space U+3000, which \s covers) plus the zero-width space. */
const EDGE_SPACE = /^\s+|\s+$/g;

/**
 * Normalises one line as a browser would show it: runs of source whitespace (and &nbsp;)
 * become one space, except that a run containing a line break next to a CJK character
 * disappears (source line wrapping inside Chinese text is not a space; CSS Text 3 does the
 * same). `pre` keeps the whitespace. Edges are trimmed in both cases.
 */
export function normaliseLine(raw: string, pre = false): string {
  let s = raw.replace(INVISIBLE, "");
  if (!pre) {
    s = s.replace(/\u00a0/g, " ").replace(/[ \t\n\r\f]+/g, (run: string, at: number, all: string) =>
      /[\n\r]/.test(run) && (isCjk(all[at - 1]) || isCjk(all[at + run.length])) ? "" : " ",
    );
  }
  return s.replace(EDGE_SPACE, "");
}

/** Joins the lines of one cell: nothing between CJK characters, one space between others. */
export function joinLines(lines: readonly string[]): string {
  let out = "";
  for (const line of lines) {
    if (line === "") continue;
    if (out !== "" && !isCjk(out[out.length - 1]) && !isCjk(line[0])) out += " ";
    out += line;
  }
  return out;
}

/**
 * Accumulates inline text into lines. `add` appends raw source text; `breakLine` ends the
 * current line (a block boundary or `<br>`); `lines` holds the finished, normalised, non-empty
 * lines.
 */
export class LineCollector {
  readonly lines: string[] = [];
  private current = "";
  private currentPre = false;

  add(text: string, pre: boolean): void {
    if (!pre) {
      this.current += text;
      return;
    }
    // In <pre>, source line breaks are real line breaks.
    const parts = text.split(/\r\n|\r|\n/);
    parts.forEach((part, i) => {
      if (i > 0) this.breakLine();
      this.current += part;
      if (part !== "") this.currentPre = true;
    });
  }

  breakLine(): void {
    const line = normaliseLine(this.current, this.currentPre);
    if (line !== "") this.lines.push(line);
    this.current = "";
    this.currentPre = false;
  }
}

/**
 * Walks the content of `root` (not `root` itself) into `out`: text nodes are added, `<br>` and
 * block elements break lines, skipped elements are ignored. Does not stop at nested tables:
 * callers only use it where there are none (data-table cells) or want their text flattened.
 */
export function collectText(root: Element, out: LineCollector, preDepth = 0): void {
  type Frame = { node: ChildNode; exit: boolean };
  const stack: Frame[] = [];
  const pushChildren = (el: Element) => {
    for (let i = el.children.length - 1; i >= 0; i--) stack.push({ node: el.children[i]!, exit: false });
  };
  let pre = preDepth;
  pushChildren(root);
  while (stack.length > 0) {
    const { node, exit } = stack.pop()!;
    if (node.type === ElementType.Text) {
      out.add(node.data, pre > 0);
      continue;
    }
    if (node.type === ElementType.CDATA) {
      for (const c of node.children) if (c.type === ElementType.Text) out.add(c.data, pre > 0);
      continue;
    }
    if (!isElement(node)) continue;
    if (exit) {
      if (node.name === "pre") pre--;
      if (isBlock(node)) out.breakLine();
      continue;
    }
    if (isSkipped(node)) continue;
    if (node.name === "br") {
      out.breakLine();
      continue;
    }
    if (isBlock(node)) out.breakLine();
    if (node.name === "pre") pre++;
    stack.push({ node, exit: true });
    pushChildren(node);
  }
}

/** A cell's text: its lines joined by `joinLines`; "" for an empty or &nbsp;-only cell. */
export function cellText(cell: Element): string {
  const lines = new LineCollector();
  collectText(cell, lines);
  lines.breakLine();
  return joinLines(lines.lines);
}

// ---------------------------------------------------------------------------------------------
// Table structure

/**
 * The rows of a table and their cells, in display order (a `<tfoot>` renders last wherever it
 * is in the source). Rows are found through any wrapper elements that sloppy markup puts
 * between `<table>` and `<tr>` (`<form>`, stray `<div>`s), but not inside nested tables.
 * Cells are the `<td>`/`<th>` of a row, likewise through wrappers.
 */
export function tableRows(table: Element): Element[][] {
  const body: Element[] = [];
  const foot: Element[] = [];
  // Iterative search for <tr> below `table`, not entering nested tables or rows.
  const stack: Array<{ el: Element; inFoot: boolean }> = [];
  const pushKids = (el: Element, inFoot: boolean) => {
    for (let i = el.children.length - 1; i >= 0; i--) {
      const c = el.children[i]!;
      if (isElement(c)) stack.push({ el: c, inFoot });
    }
  };
  pushKids(table, false);
  while (stack.length > 0) {
    const { el, inFoot } = stack.pop()!;
    if (el.name === "table" || isSkipped(el)) continue;
    if (el.name === "tr") {
      (inFoot ? foot : body).push(el);
      continue;
    }
    pushKids(el, inFoot || el.name === "tfoot");
  }
  return [...body, ...foot].map(rowCells);
}

function rowCells(tr: Element): Element[] {
  const cells: Element[] = [];
  const stack: Element[] = [];
  const pushKids = (el: Element) => {
    for (let i = el.children.length - 1; i >= 0; i--) {
      const c = el.children[i]!;
      if (isElement(c)) stack.push(c);
    }
  };
  pushKids(tr);
  while (stack.length > 0) {
    const el = stack.pop()!;
    if (el.name === "td" || el.name === "th") cells.push(el);
    else if (el.name !== "table" && el.name !== "tr" && !isSkipped(el)) pushKids(el);
  }
  return cells;
}

/** HTML's limits on spans: colspan is clamped to 1000, rowspan to 65534; rowspan=0 means
 * "to the end of the table". Anything unparsable is 1. */
function spanAttr(el: Element, name: "colspan" | "rowspan"): number {
  const raw = el.attribs[name];
  if (raw === undefined) return 1;
  const n = Number.parseInt(raw.trim(), 10);
  if (!Number.isFinite(n) || n < 0) return 1;
  if (name === "colspan") return Math.min(Math.max(n, 1), 1000);
  return n === 0 ? 0 : Math.min(n, 65534);
}

/**
 * Builds the grid of a table with the HTML table algorithm: a slot map marks the positions
 * taken by cells spanning down from earlier rows, so each cell starts at the first free
 * column of its row. Rowspans running past the last row are cut there (as browsers do).
 * Rows may be ragged: positions no cell covers simply have no cell.
 */
export function tableToBlock(table: Element, budget: TableBudget = new TableBudget()): TableBlock {
  return gridFromRows(tableRows(table), budget);
}

export function gridFromRows(rows: Element[][], budget: TableBudget = new TableBudget()): TableBlock {
  const nRows = rows.length;
  budget.addCells(rows.reduce((n, r) => n + r.length, 0));
  const occupied: boolean[][] = rows.map(() => []);
  const out: GridCell[][] = rows.map(() => []);
  let nCols = 0;

  rows.forEach((cells, r) => {
    let c = 0;
    const taken = occupied[r]!;
    for (const cell of cells) {
      while (taken[c]) c++;
      const colSpan = spanAttr(cell, "colspan");
      const rs = spanAttr(cell, "rowspan");
      const rowSpan = rs === 0 ? nRows - r : Math.min(rs, nRows - r);
      budget.addSlots(rowSpan * colSpan);
      for (let dr = 0; dr < rowSpan; dr++) {
        const line = occupied[r + dr]!;
        for (let dc = 0; dc < colSpan; dc++) line[c + dc] = true;
      }
      out[r]!.push({ row: r, col: c, rowSpan, colSpan, text: cellText(cell) });
      c += colSpan;
    }
  });
  for (const line of occupied) nCols = Math.max(nCols, line.length);
  return { kind: "table", nRows, nCols, rows: out };
}

/**
 * Removes grid columns that no cell occupies alone: every cell covering such a column also
 * covers a neighbour, so the column carries no content of its own. LibreOffice's .doc → .docx
 * conversion adds such 1-twip sliver columns. Cells covering a removed column lose one column
 * of span; cells to its right shift left.
 */
export function dropSliverColumns(table: TableBlock): TableBlock {
  // One column at a time: dropping a column can make its neighbour "alone" for a cell that
  // spanned both.
  let t = table;
  for (;;) {
    const alone = new Array<boolean>(t.nCols).fill(false);
    for (const cell of t.rows.flat()) if (cell.colSpan === 1) alone[cell.col] = true;
    const drop = alone.indexOf(false);
    if (drop < 0) return t;
    const rows = t.rows.map((row) =>
      row.map((cell) => {
        if (cell.col > drop) return { ...cell, col: cell.col - 1 };
        if (cell.col + cell.colSpan > drop) return { ...cell, colSpan: cell.colSpan - 1 };
        return cell;
      }),
    );
    t = { ...t, nCols: t.nCols - 1, rows };
  }
}
