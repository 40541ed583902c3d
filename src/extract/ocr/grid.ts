/**
 * Ruled tables in a page image: the horizontal rules (long ink runs along a row), then, in
 * each band between two rules, the vertical rules (columns inked over almost the whole band:
 * a text stroke never is). Cells are the intervals between vertical rules; a cell whose top
 * rule is missing continues the cell above (a rowspan). Positions are pixels of the
 * straightened page.
 */
import type { Gray } from "./image.js";

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
  const lines: (HLine & { rows: number; ySum: number; last: number })[] = [];
  for (const r of raw) {
    const l = lines.find((x) => r.y - x.last <= 2 && r.x0 < x.x1 && x.x0 < r.x1);
    if (l) {
      l.x0 = Math.min(l.x0, r.x0);
      l.x1 = Math.max(l.x1, r.x1);
      l.rows++;
      l.ySum += r.y;
      l.last = r.y;
    } else lines.push({ ...r, rows: 1, ySum: r.y, last: r.y });
  }
  const found = lines.filter((l) => l.rows <= 12).map((l) => ({ y: Math.round(l.ySum / l.rows), x0: l.x0, x1: l.x1 }));
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
 * The page's skew in degrees, from its long rules (a third of the page wide or more): the
 * median slope between the ink centre of each rule's left and right ends. Null without rules.
 */
export function ruleSkewDegrees(img: Gray, ink: number): number | null {
  const centre = (x0: number, x1: number, y: number) => {
    let s = 0;
    let n = 0;
    for (let x = x0; x < x1; x++) {
      for (let dy = -8; dy <= 8; dy++) {
        const yy = y + dy;
        if (yy >= 0 && yy < img.height && isInk(img, x, yy, ink)) {
          s += yy;
          n++;
        }
      }
    }
    return n ? s / n : NaN;
  };
  const slopes: number[] = [];
  for (const r of horizontalRules(img, ink, Math.round(img.width / 3))) {
    const end = Math.round((r.x1 - r.x0) * 0.15);
    const a = centre(r.x0, r.x0 + end, r.y);
    const b = centre(r.x1 - end, r.x1, r.y);
    if (Number.isFinite(a) && Number.isFinite(b)) slopes.push((b - a) / (r.x1 - r.x0 - end));
  }
  if (slopes.length === 0) return null;
  slopes.sort((x, y) => x - y);
  return (Math.atan(slopes[Math.floor(slopes.length / 2)] as number) * 180) / Math.PI;
}

/** x positions inked over at least `share` of the band (y0, y1), adjacent columns merged. */
function verticalRules(img: Gray, ink: number, x0: number, x1: number, y0: number, y1: number, share = 0.85): number[] {
  const top = y0 + 3;
  const bottom = y1 - 3;
  if (bottom - top < 4) return [];
  const xs: number[] = [];
  for (let x = Math.max(0, x0 - 4); x <= Math.min(img.width - 1, x1 + 4); x++) {
    let n = 0;
    for (let y = top; y < bottom; y++) if (isInk(img, x, y, ink)) n++;
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
  }
  return total > 0 && n >= 0.6 * total;
}

/** Tables of the page: rules grouped into stacks, cut into cells. */
export function findPixelTables(img: Gray, ink: number): PixelTable[] {
  const minLen = Math.round(img.width * 0.08);
  const rules = horizontalRules(img, ink, minLen).sort((a, b) => a.y - b.y);
  // A stack: consecutive rules close enough, overlapping horizontally, joined by vertical rules.
  const stacks: HLine[][] = [];
  for (const r of rules) {
    const s = stacks[stacks.length - 1];
    const prev = s?.[s.length - 1];
    if (s && prev && r.y - prev.y < img.height * 0.12 && r.x0 < prev.x1 && prev.x0 < r.x1 && verticalRules(img, ink, Math.max(r.x0, prev.x0), Math.min(r.x1, prev.x1), prev.y, r.y).length >= 2)
      s.push(r);
    else stacks.push([r]);
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
