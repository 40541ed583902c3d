/**
 * What changed between two results of one document (two pipeline versions): its status and
 * every cell, named by the model's paths (`applications.newReceived.total`), plus the format,
 * year and agency, which decide where a report is filed and which years R6 compares. A legacy
 * report's statistics rows and prose figures count as its cells, one leaf per row.
 * Sections (prose) and findings are left out: they change with every wording fix, and the
 * status already says whether the findings matter.
 */
import type { Envelope } from "./model.js";

export type Leaf = string | number | boolean | null;

export interface FieldChange {
  path: string;
  before: Leaf;
  after: Leaf;
}

export interface EnvelopeDiff {
  statusBefore: Envelope["validation"]["status"];
  statusAfter: Envelope["validation"]["status"];
  /** Changed fields, sorted by path; empty when only the status changed, or nothing did. */
  fields: FieldChange[];
}

/** The compared leaves of an envelope: path → value (a missing cell and a null one are both null). */
export function comparedFields(env: Envelope): Map<string, Leaf> {
  const r = env.report;
  const out = new Map<string, Leaf>([
    ["format", r.format],
    ["year", r.year],
    ["agency", r.agency],
  ]);
  const walk = (v: unknown, path: string) => {
    if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    } else out.set(path, v === undefined ? null : (v as Leaf));
  };
  walk(r.proactive, "proactive");
  walk(r.applications, "applications");
  walk(r.reviewLitigation, "reviewLitigation");
  if (r.format === "legacy") {
    // Keyed by label, not position, so that one row found or lost does not shift all the rest.
    for (const [key, s] of labelled(r.legacy.statistics, (x) => x.label))
      out.set(`legacy.statistics[${key}]`, [s.unit ?? "", ...s.values.map((v) => v ?? "-")].join(" ").trim());
    for (const [key, f] of labelled(r.legacy.figures, (x) => x.label)) out.set(`legacy.figures[${key}]`, `${f.value}${f.unit}`);
  }
  return out;
}

/** Items by label, the second of a label as `label#2`. */
function labelled<T>(items: readonly T[], label: (x: T) => string): [string, T][] {
  const seen = new Map<string, number>();
  return items.map((x) => {
    const n = (seen.get(label(x)) ?? 0) + 1;
    seen.set(label(x), n);
    return [n === 1 ? label(x) : `${label(x)}#${n}`, x];
  });
}

export function diffEnvelopes(before: Envelope, after: Envelope): EnvelopeDiff {
  const a = comparedFields(before);
  const b = comparedFields(after);
  const fields: FieldChange[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(path) ?? null;
    const y = b.get(path) ?? null;
    if (x !== y) fields.push({ path, before: x, after: y });
  }
  fields.sort((p, q) => (p.path < q.path ? -1 : p.path > q.path ? 1 : 0));
  return { statusBefore: before.validation.status, statusAfter: after.validation.status, fields };
}

export const hasChanges = (d: EnvelopeDiff) => d.statusBefore !== d.statusAfter || d.fields.length > 0;
