/**
 * Page images for OCR: a grey raster read from the red channel of a rendered page (a red
 * seal vanishes there, black ink stays), straightened, and thresholded.
 *
 * Pure functions over `Gray` rasters (one byte per pixel, 0 = black, row-major).
 */

export interface Gray {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Parses a binary PNM (P5 grey or P6 colour; pdftoppm's output); colour keeps its red channel. */
export function parsePnm(buf: Uint8Array): Gray {
  let pos = 0;
  const token = (): string => {
    // Skip whitespace and comments, then read one token.
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos] as number))) pos++;
      if (buf[pos] === 0x23) while (pos < buf.length && buf[pos] !== 0x0a) pos++;
      else break;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos] as number))) pos++;
    return String.fromCharCode(...buf.subarray(start, pos));
  };
  const magic = token();
  if (magic !== "P5" && magic !== "P6") throw new Error(`not a binary PNM image (${magic.slice(0, 4)})`);
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  pos++; // the single whitespace after the header
  if (!(width > 0 && height > 0) || max !== 255) throw new Error("unsupported PNM header");
  const channels = magic === "P6" ? 3 : 1;
  if (buf.length - pos < width * height * channels) throw new Error("PNM image is truncated");
  const data = new Uint8Array(width * height);
  for (let i = 0, p = pos; i < data.length; i++, p += channels) data[i] = buf[p] as number;
  return { width, height, data };
}

/** How many pixels of the raster have each grey level (0–255). */
export function greyHistogram(img: Gray): Uint32Array {
  const hist = new Uint32Array(256);
  const { data } = img;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    hist[v] = (hist[v] as number) + 1;
  }
  return hist;
}

/** Otsu's threshold of the grey histogram: pixels at or below it are ink. */
export function otsu(img: Gray): number {
  const hist = greyHistogram(img);
  const total = img.data.length;
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += i * (hist[i] as number);
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let threshold = 128;
  for (let t = 0; t < 256; t++) {
    wB += hist[t] as number;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * (hist[t] as number);
    const mB = sumB / wB;
    const mF = (sum - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  return threshold;
}

/**
 * The angle (degrees, within ±2°) at which the points (xs, ys) of an image `width` × `height`
 * line up best along rows: the row profile of the points sheared by it is sharpest (the sum
 * of squared counts is largest). Searched coarse (0.1°), then fine (0.02°).
 */
export function sharpestAngle(xs: readonly number[], ys: readonly number[], width: number, height: number): number {
  const bins = new Float64Array(height + 2 * width + 2);
  const sharpness = (deg: number) => {
    const t = Math.tan((deg * Math.PI) / 180);
    bins.fill(0);
    for (let i = 0; i < xs.length; i++) {
      const b = Math.round((ys[i] as number) - (xs[i] as number) * t) + width;
      bins[b] = (bins[b] as number) + 1;
    }
    let score = 0;
    for (let b = 0; b < bins.length; b++) score += (bins[b] as number) * (bins[b] as number);
    return score;
  };
  let best = 0;
  let bestScore = -1;
  for (const [from, to, step] of [[-2, 2, 0.1], [-0.1, 0.1, 0.02]] as const) {
    const centre = best;
    for (let deg = centre + from; deg <= centre + to + 1e-9; deg += step) {
      const score = sharpness(deg);
      if (score > bestScore) {
        bestScore = score;
        best = deg;
      }
    }
  }
  return Math.round(best * 100) / 100;
}

/**
 * The skew in degrees (within ±2°) of a page without rules, from its ink: the angle at which
 * the text lines' row profile is sharpest. Every row is sampled (every third column): sampling
 * every other row, as this once did, left the odd rows' bins empty at 0° alone, which made 0°
 * the sharpest angle on every page.
 */
export function skewDegrees(img: Gray, ink: number): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x += 3) {
      if ((img.data[y * img.width + x] as number) > ink) continue;
      xs.push(x);
      ys.push(y);
    }
  return sharpestAngle(xs, ys, img.width, img.height);
}

/** The image turned by `deg` degrees about its centre (so that a skew of `deg` is undone by -deg). */
export function rotate(img: Gray, deg: number): Gray {
  if (deg === 0) return img;
  const { width: w, height: h } = img;
  const out = new Uint8Array(w * h).fill(255);
  const a = (deg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const cx = w / 2;
  const cy = h / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Inverse mapping: where in the source does this target pixel come from.
      const dx = x - cx;
      const dy = y - cy;
      const sx = Math.round(cos * dx - sin * dy + cx);
      const sy = Math.round(sin * dx + cos * dy + cy);
      if (sx >= 0 && sx < w && sy >= 0 && sy < h) out[y * w + x] = img.data[sy * w + sx] as number;
    }
  }
  return { width: w, height: h, data: out };
}

/** A crop of the image as a new raster (clamped to the image). */
export function crop(img: Gray, x0: number, y0: number, x1: number, y1: number): Gray {
  const ax = Math.max(0, Math.floor(x0));
  const ay = Math.max(0, Math.floor(y0));
  const bx = Math.min(img.width, Math.ceil(x1));
  const by = Math.min(img.height, Math.ceil(y1));
  const w = Math.max(0, bx - ax);
  const h = Math.max(0, by - ay);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) data.set(img.data.subarray((ay + y) * img.width + ax, (ay + y) * img.width + ax + w), y * w);
  return { width: w, height: h, data };
}

/**
 * The inside of a cell of a ruled table: the box (x0, y0, x1, y1) within its rules, trimmed
 * of the rules themselves. A rule's position is known to a pixel or two, and a rule a little
 * tilted runs in and out of a cell's edge, so each edge is looked at: from just outside the
 * cell inwards, the rows (columns) that are mostly ink (at or below `ink`) are rule, and the
 * inside starts at the first clear one after them.
 */
export function cellInside(img: Gray, ink: number, x0: number, y0: number, x1: number, y1: number): { x0: number; y0: number; x1: number; y1: number } {
  const dark = (x: number, y: number) => x >= 0 && y >= 0 && x < img.width && y < img.height && (img.data[y * img.width + x] as number) <= ink;
  const rowShare = (y: number, a: number, b: number) => {
    let n = 0;
    for (let x = a; x < b; x++) if (dark(x, y)) n++;
    return b > a ? n / (b - a) : 0;
  };
  const colShare = (x: number, a: number, b: number) => {
    let n = 0;
    for (let y = a; y < b; y++) if (dark(x, y)) n++;
    return b > a ? n / (b - a) : 0;
  };
  // Walks from `from` towards the inside by `dir` over the rule's band (rows or columns inked
  // over at least `share`); returns the first position past it, at most `reach` away.
  const past = (from: number, dir: 1 | -1, share: (p: number) => number, min: number, reach: number) => {
    let p = from;
    let seenRule = false;
    for (let k = 0; k <= reach; k++, p += dir) {
      const rule = share(p) >= min;
      if (rule) seenRule = true;
      else if (seenRule || k >= 4) break;
    }
    return p;
  };
  const ix0 = Math.round(x0) + 4;
  const ix1 = Math.round(x1) - 4;
  const top = past(Math.round(y0) - 3, 1, (y) => rowShare(y, ix0, ix1), 0.3, 9) + 1;
  const bottom = past(Math.round(y1) + 3, -1, (y) => rowShare(y, ix0, ix1), 0.3, 9);
  const left = past(Math.round(x0) - 3, 1, (x) => colShare(x, top, bottom), 0.5, 9) + 1;
  const right = past(Math.round(x1) + 3, -1, (x) => colShare(x, top, bottom), 0.5, 9);
  return { x0: left, y0: top, x1: Math.max(left, right), y1: Math.max(top, bottom) };
}

/** The raster with ink blots (at or below `ink`) of fewer than `pixels` pixels that touch its edge whitened: specks left of a rule. */
export function clearEdgeSpecks(img: Gray, ink: number, pixels = 10): Gray {
  const { width: w, height: h } = img;
  const out = { width: w, height: h, data: img.data.slice() };
  const seen = new Uint8Array(w * h);
  const stack: number[] = [];
  const start = (i: number) => {
    if (seen[i] || (img.data[i] as number) > ink) return;
    const blot: number[] = [];
    seen[i] = 1;
    stack.push(i);
    while (stack.length) {
      const j = stack.pop() as number;
      blot.push(j);
      const x = j % w;
      const y = (j - x) / w;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const k = yy * w + xx;
          if (!seen[k] && (img.data[k] as number) <= ink) {
            seen[k] = 1;
            stack.push(k);
          }
        }
    }
    if (blot.length <= pixels) for (const j of blot) out.data[j] = 255;
  };
  for (let x = 0; x < w; x++) {
    start(x);
    start((h - 1) * w + x);
  }
  for (let y = 0; y < h; y++) {
    start(y * w);
    start(y * w + w - 1);
  }
  return out;
}

/** The bounding box of the ink in a raster, or null when it holds fewer than `minPixels`. */
export function inkBox(img: Gray, ink: number, minPixels = 12): { x0: number; y0: number; x1: number; y1: number; pixels: number } | null {
  let x0 = img.width;
  let y0 = img.height;
  let x1 = -1;
  let y1 = -1;
  let pixels = 0;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      if ((img.data[y * img.width + x] as number) > ink) continue;
      pixels++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return pixels < minPixels ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1, pixels };
}

/** The raster scaled by `f` (bilinear), grey kept. */
export function scale(img: Gray, f: number): Gray {
  const w = Math.max(1, Math.round(img.width * f));
  const h = Math.max(1, Math.round(img.height * f));
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(img.height - 1, (y + 0.5) / f - 0.5);
    const y0 = Math.max(0, Math.floor(sy));
    const y1 = Math.min(img.height - 1, y0 + 1);
    const fy = Math.max(0, sy - y0);
    for (let x = 0; x < w; x++) {
      const sx = Math.min(img.width - 1, (x + 0.5) / f - 0.5);
      const x0 = Math.max(0, Math.floor(sx));
      const x1 = Math.min(img.width - 1, x0 + 1);
      const fx = Math.max(0, sx - x0);
      const p = (xx: number, yy: number) => img.data[yy * img.width + xx] as number;
      const top = p(x0, y0) * (1 - fx) + p(x1, y0) * fx;
      const bottom = p(x0, y1) * (1 - fx) + p(x1, y1) * fx;
      out[y * w + x] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return { width: w, height: h, data: out };
}

/** The raster with a white margin of `m` pixels around it (Tesseract reads a framed word better). */
export function pad(img: Gray, m: number): Gray {
  const w = img.width + 2 * m;
  const h = img.height + 2 * m;
  const out = new Uint8Array(w * h).fill(255);
  for (let y = 0; y < img.height; y++) out.set(img.data.subarray(y * img.width, (y + 1) * img.width), (y + m) * w + m);
  return { width: w, height: h, data: out };
}

/**
 * A multi-page TIFF of the rasters (8-bit grey, uncompressed, one strip a page, no
 * resolution: as a PGM file gives none): one file for a Tesseract run over many crops, where
 * a file each costs a file system its metadata work.
 */
export function toTiff(images: readonly Gray[]): Buffer {
  // Each page: its pixels, then its directory of ENTRIES 12-byte entries.
  const ENTRIES = 8;
  const dirBytes = 2 + ENTRIES * 12 + 4;
  const size = 8 + images.reduce((s, img) => s + img.width * img.height + (img.width * img.height) % 2 + dirBytes, 0);
  const out = Buffer.alloc(size);
  out.write("II", 0, "latin1");
  out.writeUInt16LE(42, 2);
  let pos = 8;
  let link = 4; // where the offset of the next directory goes
  for (const img of images) {
    const pixels = pos;
    out.set(img.data, pos);
    pos += img.data.length + (img.data.length % 2); // directories start on a word boundary
    out.writeUInt32LE(pos, link);
    out.writeUInt16LE(ENTRIES, pos);
    const tags: [tag: number, type: number, value: number][] = [
      [256, 4, img.width], // ImageWidth (LONG)
      [257, 4, img.height], // ImageLength
      [258, 3, 8], // BitsPerSample (SHORT)
      [259, 3, 1], // Compression: none
      [262, 3, 1], // PhotometricInterpretation: black is zero
      [273, 4, pixels], // StripOffsets
      [278, 4, img.height], // RowsPerStrip
      [279, 4, img.data.length], // StripByteCounts
    ];
    tags.forEach(([tag, type, value], i) => {
      const e = pos + 2 + i * 12;
      out.writeUInt16LE(tag, e);
      out.writeUInt16LE(type, e + 2);
      out.writeUInt32LE(1, e + 4);
      if (type === 3) out.writeUInt16LE(value, e + 8);
      else out.writeUInt32LE(value, e + 8);
    });
    link = pos + 2 + ENTRIES * 12;
    out.writeUInt32LE(0, link);
    pos += dirBytes;
  }
  return out;
}
