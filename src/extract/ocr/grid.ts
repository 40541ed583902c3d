/**
 * Ruled tables in a page image: the horizontal rules (long ink runs along a row), then, in
 * each band between two rules, the vertical rules (columns inked over almost the whole band:
 * a text stroke never is). Cells are the intervals between vertical rules; a cell whose top
 * rule is missing continues the cell above (a rowspan). A table that a page break cut with
 * no rule drawn there is closed where its vertical rules stop. Positions are pixels of the
 * straightened page.
 */
import { greyHistogram, sharpestAngle, type Gray } from "./image.js";

export interface HLine {
  y: number;
  x0: number;
  x1: number;
}

export interface PixelCell {
  row: number;
  col: number;
  rowSpan: number;
  colSpan: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface PixelTable {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  nRows: number;
  nCols: number;
  cells: PixelCell[];
}

const isInk = (img: Gray, x: number, y: number, ink: number) => (img.data[y * img.width + x] as number) <= ink;

/** The paper's grey: the commonest grey lighter than the ink (Otsu's threshold `ink`). */
export function paperGrey(img: Gray, ink: number): number {
  const hist = greyHistogram(img);
  let paper = Math.min(255, ink + 1);
  for (let v = paper; v < 256; v++) if ((hist[v] as number) > (hist[paper] as number)) paper = v;
  return paper;
}

/**
 * The grey level at or below which a pixel counts as part of a rule: halfway between the ink
 * (Otsu's threshold) and the paper. A one-pixel rule drawn by an anti-aliasing renderer and
 * scanned comes out lighter than text strokes, often lighter than Otsu's threshold; paper
 * noise does not reach halfway.
 */
export function ruleInk(img: Gray, ink: number, paper = paperGrey(img, ink)): number {
  return Math.max(ink, Math.round((ink + paper) / 2));
}

/**
 * Horizontal rules: ink runs at least `minLen` long (gaps up to 4 px bridged), rows merged.
 * A pixel counts when the row above or below is inked there too, so a rule left a little
 * tilted by the straightening still runs on.
 */
export function horizontalRules(img: Gray, ink: number, minLen: number): HLine[] {
  const raw: HLine[] = [];
  const near = (x: number, y: number) => isInk(img, x, y, ink) || (y > 0 && isInk(img, x, y - 1, ink)) || (y + 1 < img.height && isInk(img, x, y + 1, ink));
  for (let y = 0; y < img.height; y++) {
    let start = -1;
    let gap = 0;
    for (let x = 0; x <= img.width; x++) {
      const on = x < img.width && near(x, y);
      if (on) {
        if (start < 0) start = x;
        gap = 0;
      } else if (start >= 0 && ++gap > 4) {
        const end = x - gap + 1;
        if (end - start >= minLen) raw.push({ y, x0: start, x1: end });
        start = -1;
        gap = 0;
      }
    }
  }
  // Runs on adjacent rows with overlapping extents are one rule.
  const lines: (HLine & { rows: number; ySum: number; first: number; last: number })[] = [];
  for (const r of raw) {
    const l = lines.find((x) => r.y - x.last <= 2 && r.x0 < x.x1 && x.x0 < r.x1);
    if (l) {
      l.x0 = Math.min(l.x0, r.x0);
      l.x1 = Math.max(l.x1, r.x1);
      l.rows++;
      l.ySum += r.y;
      l.last = r.y;
    } else lines.push({ ...r, rows: 1, ySum: r.y, first: r.y, last: r.y });
  }
  // A rule is thin: clear of ink a few pixels above and below over most of its length. A run
  // of text strokes joined along a line of characters is not (the glyphs' other strokes are there).
  const thin = (l: HLine & { first: number; last: number }) => {
    const above = l.first - 5;
    const below = l.last + 5;
    let n = 0;
    for (let x = l.x0; x < l.x1; x++) if ((above >= 0 && isInk(img, x, above, ink)) || (below < img.height && isInk(img, x, below, ink))) n++;
    return n <= 0.45 * (l.x1 - l.x0);
  };
  const found = lines.filter((l) => l.rows <= 12 && thin(l)).map((l) => ({ y: Math.round(l.ySum / l.rows), x0: l.x0, x1: l.x1 }));
  // Pieces of one rule a few pixels apart (a rule not quite straight): one rule.
  let out = found.sort((a, b) => a.y - b.y);
  for (let before = Infinity; out.length < before; ) {
    before = out.length;
    out = mergeNear(out);
  }
  return out;
}

function mergeNear(rules: readonly HLine[]): HLine[] {
  const out: HLine[] = [];
  for (const r of rules) {
    const same = out.find((o) => Math.abs(o.y - r.y) <= 5 && r.x0 <= o.x1 && o.x0 <= r.x1);
    if (!same) out.push({ ...r });
    else {
      // The longer piece gives the rule's row.
      if (r.x1 - r.x0 > same.x1 - same.x0) same.y = r.y;
      same.x0 = Math.min(same.x0, r.x0);
      same.x1 = Math.max(same.x1, r.x1);
    }
  }
  return out;
}

/**
 * The page's skew in degrees (within ±2°) from its rules, however short their straight runs:
 * the angle at which the pixels of long horizontal ink runs (rules, and the pieces a tilted
 * rule breaks into; not text) line up best, found coarse then fine. Null when the page has
 * too little of them (no table).
 */
export function ruleSkewDegrees(img: Gray, pageInk: number): number | null {
  const ink = ruleInk(img, pageInk);
  const minRun = 40;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let y = 0; y < img.height; y++) {
    let start = -1;
    for (let x = 0; x <= img.width; x++) {
      const on = x < img.width && isInk(img, x, y, ink);
      if (on && start < 0) start = x;
      else if (!on && start >= 0) {
        // Every 4th pixel of the run is enough.
        if (x - start >= minRun)
          for (let i = start; i < x; i += 4) {
            xs.push(i);
            ys.push(y);
          }
        start = -1;
      }
    }
  }
  if (xs.length < img.width / 4) return null;
  return sharpestAngle(xs, ys, img.width, img.height);
}

/** x positions inked over at least `share` of the band (y0, y1), adjacent columns merged. */
function verticalRules(img: Gray, ink: number, x0: number, x1: number, y0: number, y1: number, share = 0.85): number[] {
  const top = y0 + 3;
  const bottom = y1 - 3;
  if (bottom - top < 4) return [];
  const xs: number[] = [];
  for (let x = Math.max(0, x0 - 4); x <= Math.min(img.width - 1, x1 + 4); x++) {
    // A rule left a pixel off vertical by the straightening still counts: its neighbours are looked at too.
    let n = 0;
    for (let y = top; y < bottom; y++) if (isInk(img, x, y, ink) || (x > 0 && isInk(img, x - 1, y, ink)) || (x + 1 < img.width && isInk(img, x + 1, y, ink))) n++;
    if (n >= share * (bottom - top)) xs.push(x);
  }
  const out: number[] = [];
  let group: number[] = [];
  for (const x of xs) {
    if (group.length && x - (group[group.length - 1] as number) > 2) {
      out.push(Math.round(group.reduce((a, b) => a + b, 0) / group.length));
      group = [];
    }
    group.push(x);
  }
  if (group.length) out.push(Math.round(group.reduce((a, b) => a + b, 0) / group.length));
  return out;
}

/** Whether the rule at row `y` is inked over most of (x0, x1). */
function ruled(img: Gray, ink: number, y: number, x0: number, x1: number): boolean {
  let n = 0;
  let thick = 0;
  let total = 0;
  for (let x = x0 + 3; x < x1 - 3; x++) {
    total++;
    for (let dy = -2; dy <= 2; dy++) {
      const yy = y + dy;
      if (yy >= 0 && yy < img.height && isInk(img, x, yy, ink)) {
        n++;
        break;
      }
    }
    // Ink well above and below too: a stroke of a glyph crossing the line, not a rule.
    if (y >= 7 && y + 7 < img.height && isInk(img, x, y - 7, ink) && isInk(img, x, y + 7, ink)) thick++;
  }
  return total > 0 && n >= 0.6 * total && thick <= 0.3 * total;
}

/** Vertical rules running on past a table's first or last rule: at least this many, ending together. */
const OPEN_END_RULES = 3;
/** …and reaching at least this far (pixels) past it: a row, not the stub of a rule's crossing. */
const OPEN_END_MIN = 20;

/**
 * The rule that closes a table whose end was drawn without one: a renderer breaking a table
 * over two pages (Chromium) draws no border where it cuts, so the last row of a page has no
 * rule below it, or the first row of the next page none above. Its vertical rules still run
 * on past the last rule drawn and stop together: where they stop is the missing rule. Null
 * when fewer than three rules (and fewer than half of those at the end) run on that far.
 */
function openEnd(img: Gray, ink: number, rule: HLine, dir: -1 | 1, maxLength: number, inner: HLine | undefined): HLine | null {
  // The vertical rules that could run on: those of the table's end row (the band between this
  // rule and the next one in), else those inked over a short band just past the rule.
  const probe = inner
    ? verticalRules(img, ink, rule.x0, rule.x1, Math.min(rule.y, inner.y), Math.max(rule.y, inner.y))
    : dir < 0
      ? verticalRules(img, ink, rule.x0, rule.x1, rule.y - OPEN_END_MIN - 4, rule.y)
      : verticalRules(img, ink, rule.x0, rule.x1, rule.y, rule.y + OPEN_END_MIN + 4);
  if (probe.length < OPEN_END_RULES) return null;
  const inked = (x: number, y: number) => isInk(img, x, y, ink) || (x > 0 && isInk(img, x - 1, y, ink)) || (x + 1 < img.width && isInk(img, x + 1, y, ink));
  const ends: { x: number; y: number }[] = [];
  for (const x of probe) {
    let end = rule.y;
    for (let y = rule.y + dir * 3, gap = 0; y >= 0 && y < img.height && Math.abs(y - rule.y) <= maxLength; y += dir) {
      if (inked(x, y)) {
        end = y;
        gap = 0;
      } else if (++gap > 3) break;
    }
    if (Math.abs(end - rule.y) >= OPEN_END_MIN) ends.push({ x, y: end });
  }
  if (ends.length < OPEN_END_RULES || ends.length * 2 < probe.length) return null;
  const ys = ends.map((e) => e.y).sort((a, b) => a - b);
  const median = ys[Math.floor(ys.length / 2)] as number;
  const together = ends.filter((e) => Math.abs(e.y - median) <= 8);
  if (together.length < OPEN_END_RULES) return null;
  // The table's own borders, left and right, run on too (strokes of a line of text above or below do not).
  const x0 = Math.min(...together.map((e) => e.x));
  const x1 = Math.max(...together.map((e) => e.x));
  if (x0 - rule.x0 > 8 || rule.x1 - x1 > 8) return null;
  return { y: median, x0, x1 };
}

/** Tables of the page: rules grouped into stacks, cut into cells. */
export function findPixelTables(img: Gray, pageInk: number): PixelTable[] {
  const ink = ruleInk(img, pageInk);
  const minLen = Math.round(img.width * 0.08);
  const rules = horizontalRules(img, pageInk, minLen).sort((a, b) => a.y - b.y);
  // A stack: consecutive rules close enough, overlapping horizontally, joined by vertical rules.
  // (A row can be tall: a label wrapped over many lines in a narrow column.)
  const stacks: HLine[][] = [];
  for (const r of rules) {
    const s = stacks[stacks.length - 1];
    const prev = s?.[s.length - 1];
    if (s && prev && r.y - prev.y < img.height * 0.3 && r.x0 < prev.x1 && prev.x0 < r.x1 && verticalRules(img, ink, Math.max(r.x0, prev.x0), Math.min(r.x1, prev.x1), prev.y, r.y).length >= 2)
      s.push(r);
    else stacks.push([r]);
  }
  // A table cut by a page break may have no rule at its cut end: close it where its vertical rules stop.
  // Not past another rule: a table whose stack broke there is not open.
  const room = (r: HLine, dir: -1 | 1) => {
    let d = img.height * 0.3;
    for (const o of rules) if (o !== r && o.x0 < r.x1 && r.x0 < o.x1 && (o.y - r.y) * dir > 0) d = Math.min(d, Math.abs(o.y - r.y) - 4);
    return d;
  };
  for (const s of stacks) {
    const first = s[0] as HLine;
    const last = s[s.length - 1] as HLine;
    const top = openEnd(img, ink, first, -1, room(first, -1), s[1]);
    const bottom = openEnd(img, ink, last, 1, room(last, 1), s[s.length - 2]);
    if (top) s.unshift(top);
    if (bottom) s.push(bottom);
  }
  const tables: PixelTable[] = [];
  for (const s of stacks) {
    if (s.length < 2) continue;
    const x0 = Math.min(...s.map((r) => r.x0));
    const x1 = Math.max(...s.map((r) => r.x1));
    const bands: { y0: number; y1: number; seps: number[] }[] = [];
    for (let i = 0; i + 1 < s.length; i++) {
      const a = s[i] as HLine;
      const b = s[i + 1] as HLine;
      if (b.y - a.y < 8) continue;
      bands.push({ y0: a.y, y1: b.y, seps: verticalRules(img, ink, x0, x1, a.y, b.y) });
    }
    // Column boundaries: every separator of every band, clustered.
    const all = bands.flatMap((b) => b.seps).sort((a, b) => a - b);
    const groups: number[][] = [];
    for (const x of all) {
      const g = groups[groups.length - 1];
      if (g && x - (g[g.length - 1] as number) <= 10) g.push(x);
      else groups.push([x]);
    }
    const cols = groups.map((g) => g.reduce((a, b) => a + b, 0) / g.length);
    if (cols.length < 2) continue;
    const colOf = (x: number) => {
      let best = 0;
      for (let i = 1; i < cols.length; i++) if (Math.abs((cols[i] as number) - x) < Math.abs((cols[best] as number) - x)) best = i;
      return best;
    };
    const cells: PixelCell[] = [];
    const open = new Map<string, PixelCell>(); // "col:colSpan" of the band above → its cell
    bands.forEach((band, r) => {
      const next = new Map<string, PixelCell>();
      for (let i = 0; i + 1 < band.seps.length; i++) {
        const cx0 = band.seps[i] as number;
        const cx1 = band.seps[i + 1] as number;
        if (cx1 - cx0 < 6) continue;
        const col = colOf(cx0);
        const colSpan = Math.max(1, colOf(cx1) - col);
        const key = `${col}:${colSpan}`;
        const above = open.get(key);
        // No rule on top of this cell: it continues the cell above.
        if (above && r > 0 && !ruled(img, ink, band.y0, cx0, cx1)) {
          above.rowSpan++;
          above.y1 = band.y1;
          next.set(key, above);
          continue;
        }
        const cell: PixelCell = { row: r, col, rowSpan: 1, colSpan, x0: cx0, y0: band.y0, x1: cx1, y1: band.y1 };
        cells.push(cell);
        next.set(key, cell);
      }
      // A cell above spanning into this band keeps its key open when this band has no cell there.
      for (const [k, c] of open) if (!next.has(k) && c.row + c.rowSpan === r) next.set(k, c);
      open.clear();
      for (const [k, c] of next) open.set(k, c);
    });
    if (cells.length === 0) continue;
    tables.push({ x0, y0: (s[0] as HLine).y, x1, y1: (s[s.length - 1] as HLine).y, nRows: bands.length, nCols: cols.length - 1, cells });
  }
  return tables;
}
