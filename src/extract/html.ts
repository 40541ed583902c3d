/**
 * HTML → DocumentContent.
 *
 * Government article pages: the report sits inside site navigation, often in Word-export
 * markup (`<span>`/`<font>`/`<o:p>` everywhere, `&nbsp;` for blanks), sometimes GB2312/GBK.
 * Text comes out one block per line in reading order (block elements and `<br>` break lines);
 * data tables come out as TableBlocks in place, and their text is not repeated in text blocks.
 *
 * Which tables are data: the innermost ones. Site layouts and Word exports nest tables, and
 * the statistics tables are always leaves; an outer table is read as ordinary content, each
 * cell a block. A leaf "table" with a single cell is a layout box too.
 */
import { DomHandler, ElementType, Parser } from "htmlparser2";
import type { ChildNode, Document, Element } from "domhandler";
import { RefusalError, type Block, type DocumentContent } from "../document.js";
import { decodeText } from "../sniff.js";
import {
  DEFAULT_HTML_LIMITS,
  LineCollector,
  TableBudget,
  collectText,
  gridFromRows,
  isBlock,
  isElement,
  isSkipped,
  tableRows,
  type HtmlLimits,
} from "./html-table.js";

export async function extractHtml(
  bytes: Uint8Array,
  _opts: { maxPages: number; maxExpandedBytes: number },
): Promise<DocumentContent> {
  const declared = declaredCharset(bytes);
  const { blocks, warnings } = htmlToBlocks(decodeText(bytes, declared));
  return { mediaType: "text/html", pages: null, blocks, warnings };
}

/**
 * The charset a page declares in its first bytes, by `<meta charset=…>` or
 * `<meta http-equiv="Content-Type" content="…; charset=…">` (one pattern finds both).
 * Browsers look at the first 1024 bytes; Word exports put a long `<style>` first, so look
 * further.
 */
export function declaredCharset(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 16 * 1024)).toString("latin1");
  const m = /<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)/i.exec(head);
  return m?.[1];
}

/**
 * HTML text → blocks. Used for web pages and for mammoth's HTML of a .docx. Throws
 * RefusalError "too-large" when the page passes the limits (element count and depth, table
 * nesting, cell count).
 */
export function htmlToBlocks(
  html: string,
  limits: HtmlLimits = DEFAULT_HTML_LIMITS,
): { blocks: Block[]; warnings: string[] } {
  const { document, layoutTables } = parseBounded(html, limits);
  const budget = new TableBudget(limits);
  const blocks: Block[] = [];
  const warnings: string[] = [];
  let lines = new LineCollector();

  /** Moves finished lines into text blocks (called before a table, and at the end). */
  const flush = () => {
    lines.breakLine();
    for (const text of lines.lines) blocks.push({ kind: "text", text });
    lines = new LineCollector();
  };

  type Frame = { node: ChildNode; exit: boolean };
  const stack: Frame[] = [];
  const pushChildren = (nodes: ChildNode[]) => {
    for (let i = nodes.length - 1; i >= 0; i--) stack.push({ node: nodes[i]!, exit: false });
  };
  let pre = 0;
  pushChildren(document.children);

  while (stack.length > 0) {
    const { node, exit } = stack.pop()!;
    if (node.type === ElementType.Text) {
      lines.add(node.data, pre > 0);
      continue;
    }
    if (node.type === ElementType.CDATA) {
      pushChildren(node.children);
      continue;
    }
    if (!isElement(node)) continue; // comments, <!DOCTYPE>, Word's <![if …]> directives
    if (exit) {
      if (node.name === "pre") pre--;
      if (isBlock(node)) lines.breakLine();
      continue;
    }
    if (isSkipped(node)) continue;
    if (node.name === "br") {
      lines.breakLine();
      continue;
    }
    if (node.name === "table" && !layoutTables.has(node)) {
      const rows = tableRows(node);
      const cellCount = rows.reduce((n, r) => n + r.length, 0);
      if (cellCount > 1) {
        flush();
        emitCaptions(node, blocks);
        blocks.push(gridFromRows(rows, budget));
        continue;
      }
      // One cell or none: a layout box. Fall through and read it as ordinary content.
    }
    if (isBlock(node)) lines.breakLine();
    if (node.name === "pre") pre++;
    stack.push({ node, exit: true });
    pushChildren(node.children);
  }
  flush();
  return { blocks, warnings };
}

/** A data table's `<caption>`s become text blocks just before it. */
function emitCaptions(table: Element, blocks: Block[]): void {
  for (const child of table.children) {
    if (isElement(child) && child.name === "caption" && !isSkipped(child)) {
      const lines = new LineCollector();
      collectText(child, lines);
      lines.breakLine();
      for (const text of lines.lines) blocks.push({ kind: "text", text });
    }
  }
}

/**
 * Parses with htmlparser2 into a DOM while enforcing the limits as elements open, so a
 * hostile page is refused before its DOM is built in full. Also finds the layout tables
 * (those containing another table) on the way: on opening a table, the table it is nested in
 * is marked.
 */
function parseBounded(html: string, limits: HtmlLimits): { document: Document; layoutTables: Set<Element> } {
  const layoutTables = new Set<Element>();

  class BoundedHandler extends DomHandler {
    private elements = 0;
    private cells = 0;
    private readonly openTables: Element[] = [];

    override onopentag(name: string, attribs: { [key: string]: string }): void {
      if (++this.elements > limits.maxElements) {
        throw new RefusalError("too-large", `HTML page has more than ${limits.maxElements} elements`);
      }
      if (this.tagStack.length > limits.maxElementDepth) {
        throw new RefusalError("too-large", `HTML elements nested deeper than ${limits.maxElementDepth} levels`);
      }
      // Counted here as well as when the grids are built, to stop before the DOM is complete.
      if ((name === "td" || name === "th") && ++this.cells > limits.maxCells) {
        throw new RefusalError("too-large", `more than ${limits.maxCells} table cells`);
      }
      super.onopentag(name, attribs);
      if (name === "table") {
        const outer = this.openTables[this.openTables.length - 1];
        if (outer) layoutTables.add(outer);
        if (this.openTables.length >= limits.maxTableDepth) {
          throw new RefusalError("too-large", `HTML tables nested deeper than ${limits.maxTableDepth} levels`);
        }
        this.openTables.push(this.tagStack[this.tagStack.length - 1] as Element);
      }
    }

    override onclosetag(): void {
      // The handler closes exactly the innermost open element: keep the table stack in step.
      const closing = this.tagStack[this.tagStack.length - 1];
      if (closing && closing === this.openTables[this.openTables.length - 1]) this.openTables.pop();
      super.onclosetag();
    }
  }

  const handler = new BoundedHandler();
  const parser = new Parser(handler, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.end(html);
  return { document: handler.root, layoutTables };
}
