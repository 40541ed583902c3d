/** The page shell of the results pages, and their stylesheet (served at /assets/style.css). */
import { html, type SafeHtml } from "../html.js";

export type NavId = "overview" | "search" | "coverage" | "queues" | "metrics";

const NAV: readonly { id: NavId; label: string; path: string }[] = [
  { id: "overview", label: "Overview", path: "/" },
  { id: "search", label: "Search", path: "/search" },
  { id: "coverage", label: "Coverage", path: "/coverage" },
  { id: "queues", label: "Queues", path: "/queues" },
  { id: "metrics", label: "Metrics", path: "/metrics" },
];

export function page(opts: { title: string; nav?: NavId; body: SafeHtml; readOnly?: boolean }): string {
  return html`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${opts.title} · nianbao</title>
<link rel="stylesheet" href="/assets/style.css">
<link rel="icon" href="data:,">
</head>
<body>
<header class="top">
<a class="brand" href="/">nianbao <span>年报</span></a>
<nav>${NAV.map((n) => html`<a href="${n.path}"${n.id === opts.nav ? html` aria-current="page"` : ""}>${n.label}</a>`)}</nav>
${opts.readOnly ? html`<span class="ro" title="DASHBOARD_READONLY">read-only</span>` : ""}
</header>
<main>
${opts.body}
</main>
</body>
</html>
`.value;
}

export const STYLE = `
:root { --fg: #1d2329; --muted: #65707c; --line: #d5dbe1; --bg: #f6f7f9; --accent: #0b5cad;
  --err: #c62828; --err-bg: #fde4e4; --warn: #9a6700; --warn-bg: #fff4cc; --ok: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #17212b; color: #fff; }
header.top .brand { color: #fff; font-weight: 600; font-size: 16px; }
header.top .brand span { color: #9fb3c8; font-weight: 400; }
header.top nav { display: flex; gap: 4px; }
header.top nav a { color: #cfd8e3; padding: 4px 10px; border-radius: 4px; }
header.top nav a[aria-current="page"], header.top nav a:hover { background: #2c3a48; color: #fff; text-decoration: none; }
header.top .ro { margin-left: auto; font-size: 12px; background: #5a4a00; color: #ffe58f; padding: 2px 8px; border-radius: 10px; }
main { padding: 20px 24px 48px; max-width: 1440px; }
h1 { font-size: 20px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
p.note, .muted { color: var(--muted); font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 16px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; }
figure.card { margin: 0; flex: 0 1 600px; }
figure.card h2 { margin-top: 0; }
figure.card svg.chart { border: 0; }
.cards { margin-top: 20px; }
table.list { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
table.list th, table.list td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.list th { background: #eef1f4; font-weight: 600; }
table.list td.n, table.list th.n { text-align: right; font-variant-numeric: tabular-nums; }
table.list tr.total td { font-weight: 600; background: #f3f5f7; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; line-height: 20px; font-weight: 600; }
.badge.valid { background: #dcf5e3; color: var(--ok); }
.badge.invalid { background: var(--err-bg); color: var(--err); }
.badge.incomplete { background: var(--warn-bg); color: var(--warn); }
.badge.failed { background: #e8e8e8; color: #444; }
form.search { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 16px; }
form.search input, form.search select { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
form.search input[type=search] { width: 320px; }
form.search button { font: inherit; padding: 5px 14px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; max-width: 960px; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; word-break: break-all; }
.links a { margin-right: 16px; }
section.tbl { margin-top: 8px; }
section.tbl .grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
section.tbl .wrap { overflow-x: auto; max-width: 100%; }
table.official { border-collapse: collapse; background: #fff; font-size: 13px; }
table.official th, table.official td { border: 1px solid #7d8791; padding: 3px 7px; }
table.official th { font-weight: 400; background: #fafbfc; text-align: center; }
table.official th.row { text-align: left; max-width: 20em; }
table.official td { text-align: right; min-width: 38px; font-variant-numeric: tabular-nums; }
table.official td.null::after { content: "—"; color: #b8bec5; }
table.official .bad-error { background: var(--err-bg); outline: 2px solid var(--err); outline-offset: -2px; }
table.official .bad-warning { background: var(--warn-bg); outline: 2px dashed var(--warn); outline-offset: -2px; }
table.official sup { font-size: 10px; margin-left: 2px; }
table.official sup a { color: var(--err); font-weight: 600; }
table.official .bad-warning sup a { color: var(--warn); }
table.official.bad-table-error { outline: 3px solid var(--err); }
aside.findings { flex: 1 1 240px; min-width: 240px; max-width: 560px; }
ol.findings { margin: 0; padding: 0; list-style: none; }
ol.findings li { background: #fff; border: 1px solid var(--line); border-left: 4px solid var(--warn); border-radius: 4px; padding: 6px 10px; margin-bottom: 6px; }
ol.findings li.error { border-left-color: var(--err); }
ol.findings li:target { box-shadow: 0 0 0 2px var(--accent); }
ol.findings .rule { font-weight: 600; margin-right: 6px; }
ol.findings .path { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; color: var(--muted); word-break: break-all; }
ol.findings .msg { display: block; white-space: pre-wrap; word-break: break-word; }
.prose { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 16px; }
.prose p { white-space: pre-wrap; word-break: break-word; }
details summary { cursor: pointer; color: var(--accent); }
svg.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; max-width: 100%; height: auto; }
.empty { color: var(--muted); font-style: italic; }
`;
