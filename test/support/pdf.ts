/** Hand-made PDFs for tests: a few bytes of PDF syntax, no tools needed. */
import { deflateSync } from "node:zlib";

/** A grey image of its own pixels (one byte each, row-major), stored Flate-compressed. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * A PDF with one page per content stream, Helvetica as /F1 and `xobjects` as named image
 * XObjects (`/Name: [width, height]` → a grey image of that size). With `filter`, each
 * content stream is given encoded (as latin1) and its dictionary names that filter.
 */
export function buildPdf(
  pages: string | string[],
  opts: { xobjects?: Record<string, [number, number] | GrayImage>; font?: string; filter?: string } = {},
): Uint8Array {
  const contents = typeof pages === "string" ? [pages] : pages;
  const objects: string[] = [];
  const add = (body: string) => objects.push(body) as number; // returns the object number
  const xobjects = Object.entries(opts.xobjects ?? {});
  add("<< /Type /Catalog /Pages 2 0 R >>");
  add(""); // 2: the page tree, written once the pages are known
  const font = add(opts.font ?? "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  const xobjRefs = xobjects
    .map(([name, image]) => {
      const [w, h] = Array.isArray(image) ? image : [image.width, image.height];
      const data = Array.isArray(image) ? "\x80".repeat(w * h) : Buffer.from(deflateSync(image.data)).toString("latin1");
      const filter = Array.isArray(image) ? "" : "/Filter /FlateDecode ";
      const n = add(
        `<< /Type /XObject /Subtype /Image /Width ${w} /Height ${h} /ColorSpace /DeviceGray ` +
          `/BitsPerComponent 8 ${filter}/Length ${data.length} >>\nstream\n${data}\nendstream`,
      );
      return `/${name} ${n} 0 R`;
    })
    .join(" ");
  const kids = contents.map((content) => {
    // With `filter`, each content is already encoded (bytes as latin1), e.g. "FlateDecode" or "[/A85 /Fl]".
    const filter = opts.filter ? ` /Filter ${opts.filter.startsWith("[") ? opts.filter : `/${opts.filter}`}` : "";
    const stream = add(`<< /Length ${content.length}${filter} >>\nstream\n${content}\nendstream`);
    return add(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ${stream} 0 R ` +
        `/Resources << /Font << /F1 ${font} 0 R >> /XObject << ${xobjRefs} >> >> >>`,
    );
  });
  objects[1] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(" ")}] /Count ${kids.length} >>`;
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, "latin1"));
}

/** A line of Helvetica text at (x, y), for a page's content stream. */
export const pdfText = (x: number, y: number, s: string) => `BT /F1 10 Tf ${x} ${y} Td (${s}) Tj ET`;
