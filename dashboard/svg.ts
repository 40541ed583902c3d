/**
 * Charts as server-side SVG, inline in the page: no script, no library. Labels go through the
 * escaping template like everything else; colours are presentation attributes (the CSP allows
 * no inline style).
 */
import { html, type SafeHtml } from "./html.js";

/** Colour-blind-safe palette (Okabe–Ito), in series order. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"];

const FONT = 12;

/** A "nice" axis maximum and step for values up to `max`. */
function niceScale(max: number, ticks = 4): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 1 }));

export interface Bar {
  label: string;
  value: number;
  /** Shown under the value, e.g. "12 reports". */
  note?: string;
}

/** Vertical bars with their values on top: one bar per category (e.g. per year). */
export function barChart(title: string, bars: readonly Bar[], opts: { width?: number; height?: number } = {}): SafeHtml {
  const width = opts.width ?? 560;
  const height = opts.height ?? 260;
  const m = { top: 24, right: 12, bottom: 40, left: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const { top, step } = niceScale(Math.max(0, ...bars.map((b) => b.value)));
  const y = (v: number) => m.top + plotH - (v / top) * plotH;
  const slot = bars.length ? plotW / bars.length : plotW;
  const barW = Math.min(56, slot * 0.7);
  const ticks: number[] = [];
  for (let t = 0; t <= top + 1e-9; t += step) ticks.push(t);
  return html`<svg class="chart" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title>${title}</title>
${ticks.map(
  (t) => html`<line x1="${m.left}" x2="${width - m.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e3e6ea"/>
<text x="${m.left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="${FONT}" fill="#555">${fmt(t)}</text>`,
)}
${bars.map((b, i) => {
  const x = m.left + i * slot + (slot - barW) / 2;
  return html`<g><title>${b.label}: ${fmt(b.value)}${b.note ? ` (${b.note})` : ""}</title>
<rect x="${x}" y="${y(b.value)}" width="${barW}" height="${Math.max(0, m.top + plotH - y(b.value))}" fill="${PALETTE[0]}"/>
<text x="${x + barW / 2}" y="${y(b.value) - 5}" text-anchor="middle" font-size="${FONT}" fill="#222">${fmt(b.value)}</text>
<text x="${x + barW / 2}" y="${m.top + plotH + 16}" text-anchor="middle" font-size="${FONT}" fill="#222">${b.label}</text>
${b.note ? html`<text x="${x + barW / 2}" y="${m.top + plotH + 31}" text-anchor="middle" font-size="${FONT - 2}" fill="#777">${b.note}</text>` : ""}</g>`;
})}
<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#888"/>
${bars.length === 0 ? html`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="${FONT}" fill="#777">no data</text>` : ""}
</svg>`;
}

export interface StackedRow {
  label: string;
  /** One value per series, in series order. */
  values: readonly number[];
}

/** Horizontal 100% stacked bars, one per row (e.g. per year), with a legend of the series. */
export function stackedShareChart(title: string, series: readonly string[], rows: readonly StackedRow[], opts: { width?: number } = {}): SafeHtml {
  const width = opts.width ?? 560;
  const rowH = 26;
  const legendRows = Math.ceil(series.length / 3);
  const m = { top: 8, right: 12, bottom: 12 + legendRows * 18, left: 56 };
  const height = m.top + Math.max(1, rows.length) * rowH + m.bottom;
  const plotW = width - m.left - m.right;
  const legendTop = m.top + Math.max(1, rows.length) * rowH + 8;
  return html`<svg class="chart" role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<title>${title}</title>
${rows.map((r, i) => {
  const total = r.values.reduce((a, b) => a + b, 0);
  const yTop = m.top + i * rowH;
  let x = m.left;
  return html`<text x="${m.left - 6}" y="${yTop + rowH / 2 + 4}" text-anchor="end" font-size="${FONT}" fill="#222">${r.label}</text>
${
  total === 0
    ? html`<text x="${m.left}" y="${yTop + rowH / 2 + 4}" font-size="${FONT}" fill="#777">no data</text>`
    : r.values.map((v, s) => {
        const w = (v / total) * plotW;
        const seg = html`<rect x="${x}" y="${yTop + 3}" width="${w}" height="${rowH - 6}" fill="${PALETTE[s % PALETTE.length]}"><title>${r.label} ${series[s] ?? ""}: ${fmt(v)} (${fmt((v / total) * 100)}%)</title></rect>`;
        x += w;
        return seg;
      })
}`;
})}
${series.map((name, s) => {
  const lx = m.left + (s % 3) * (plotW / 3);
  const ly = legendTop + Math.floor(s / 3) * 18;
  return html`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${PALETTE[s % PALETTE.length]}"/><text x="${lx + 14}" y="${ly + 9}" font-size="${FONT - 1}" fill="#222">${name}</text>`;
})}
</svg>`;
}
