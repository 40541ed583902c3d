/**
 * Changes to pdf.js's worker code (the part that parses the PDF), applied to its source text
 * when it is loaded (pdf/pdfjs.ts). Each patch is data: the text it finds, the text it puts
 * there, and why. A patch whose text is not found exactly once is left out, and pdf.js then
 * works as published: correct, only slower. test/pdf-patches.test.ts fails when a patch stops
 * applying to the installed pdf.js, so an upgrade cannot drop one unnoticed.
 *
 * The changes only skip work whose result text extraction never reads. The extractions of
 * every PDF in the test corpus are byte-identical with and without them.
 */

export interface SourcePatch {
  id: string;
  why: string;
  /** Must occur exactly once in the source. */
  find: string;
  replace: string;
}

export const WORKER_PATCHES: readonly SourcePatch[] = [
  {
    id: "text-only-fonts",
    why:
      "An embedded font program is only needed to draw glyphs, or to learn which character a " +
      "glyph is when the PDF gives no ToUnicode map. When it does give one (and the font is not " +
      "vertical: pdf/vertical.ts reads the glyphs themselves), the text comes from that map and " +
      "the advances from /Widths, so parsing and converting the program (Type1, CFF, TrueType " +
      "repair) is wasted: about 15% of the CPU of a cold batch of corpus PDFs. The font is then " +
      "handed on without font data, which also spares copying it to the main thread.",
    find: `    [type, subtype] = getFontFileType(file, properties);
    if (type !== this.type || subtype !== this.subtype) {`,
    replace: `    if (properties.hasIncludedToUnicodeMap && !this.vertical) {
      amendFallbackToUnicode(properties);
      this.toUnicode = properties.toUnicode;
      return;
    }
    [type, subtype] = getFontFileType(file, properties);
    if (type !== this.type || subtype !== this.subtype) {`,
  },
];

export interface PatchedSource {
  source: string;
  applied: string[];
  /** Ids of the patches whose text was not found exactly once. */
  missed: string[];
}

export function applyPatches(source: string, patches: readonly SourcePatch[]): PatchedSource {
  const applied: string[] = [];
  const missed: string[] = [];
  for (const p of patches) {
    const at = source.indexOf(p.find);
    if (at < 0 || source.indexOf(p.find, at + 1) >= 0) {
      missed.push(p.id);
      continue;
    }
    source = source.slice(0, at) + p.replace + source.slice(at + p.find.length);
    applied.push(p.id);
  }
  return { source, applied, missed };
}
