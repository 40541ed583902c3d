/**
 * Dev tool: print the IntermediateDocument of a PDF.
 *
 *   npx tsc -p scripts/tsconfig.dev.json
 *   node dist/dev-scripts/scripts/dump-doc.js FILE.pdf            # text lines and tables
 *   node dist/dev-scripts/scripts/dump-doc.js FILE.pdf --shapes   # tables only, values as #
 *   node dist/dev-scripts/scripts/dump-doc.js FILE.pdf --json     # the document as JSON
 *
 * Text lines print as `[p3] text` (tabs as ` ⇥ `); tables as rows of ` | `-joined cells
 * `col:text`, with `[rowSpan/colSpan]` before spanning cells. `--shapes` normalises labels
 * (NFKC, no spaces, `1、`→`1.`) so that the tables of different files can be diffed.
 * Run compiled code: pdf.js under tsx costs much more memory.
 */
import { readFileSync } from "node:fs";
import { extractPdf } from "../src/extract/pdf.js";
import type { TableBlock } from "../src/document.js";

const VALUE = /^(?:[-+−]?[\d０-９][\d０-９,，.．]*|[/／\-—–－]+)$/;

function shapeText(t: string): string {
  const s = t
    .normalize("NFKC")
    .replace(/\s+/g, "")
    .replace(/["“”]/g, '"')
    .replace(/^(\d)[、.．]/, "$1.");
  return s === "" ? "_" : VALUE.test(s) ? "#" : s;
}

export function formatTable(t: TableBlock, shapes = false): string {
  const pages = t.pageEnd !== t.page ? `p${t.page}-${t.pageEnd}` : `p${t.page}`;
  const lines = [`[TABLE ${pages} ${t.nRows}x${t.nCols}]`];
  t.rows.forEach((row, r) => {
    const cells = row.map((c) => {
      const mark = c.rowSpan > 1 || c.colSpan > 1 ? `[${c.rowSpan}/${c.colSpan}]` : "";
      return `${mark}${c.col}:${shapes ? shapeText(c.text) : c.text}`;
    });
    lines.push(`  r${r}: ${cells.join(" | ")}`);
  });
  return lines.join("\n");
}

async function main(): Promise<void> {
  const [file, flag] = process.argv.slice(2);
  if (!file) throw new Error("usage: dump-doc FILE.pdf [--json|--shapes]");
  const bytes = new Uint8Array(readFileSync(file));
  const t0 = performance.now();
  const doc = await extractPdf(bytes, { maxPages: 500, maxExpandedBytes: 200 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (flag === "--json") {
    console.log(JSON.stringify(doc, null, 1));
    return;
  }
  if (flag !== "--shapes") {
    console.log(`pages=${doc.pages} blocks=${doc.blocks.length} ${ms.toFixed(0)} ms warnings=${JSON.stringify(doc.warnings)}`);
  }
  for (const b of doc.blocks) {
    if (b.kind === "table") console.log(formatTable(b, flag === "--shapes"));
    else if (flag !== "--shapes") console.log(`[p${b.page}] ${b.text.replace(/\t/g, " ⇥ ")}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
