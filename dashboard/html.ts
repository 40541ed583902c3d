/**
 * HTML output that escapes by default. Report text is untrusted (agency names, titles and
 * prose come from uploaded documents), so every interpolated value goes through escapeHtml
 * unless it is already SafeHtml, i.e. markup built by this same template.
 *
 *   html`<td title="${finding.message}">${value}</td>`   // both escaped
 *   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>` // arrays of SafeHtml are joined
 */

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);
}

/** Markup that is safe to emit as is. Only `html` (and `trusted` for constants) make one. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join("");
  // null, undefined and false render nothing, so `${cond && html`…`}` works
  if (v === null || v === undefined || v === false) return "";
  return escapeHtml(String(v));
}

/** The tagged template: literal parts are kept, every value is escaped unless it is SafeHtml. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new SafeHtml(out);
}

/** Marks a constant string written in this code base as markup. Never pass document text. */
export const trusted = (markup: string): SafeHtml => new SafeHtml(markup);

/** A same-site URL: a path plus query parameters, each encoded (empty values are left out). */
export function href(path: string, params: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
