/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for the tests:
 * it throws on anything a scraper could reject or misread — a sample before its TYPE, an
 * unknown type, a bad metric or label name, a badly escaped label value, a value that is not
 * a number, a duplicate series, a histogram whose buckets are not cumulative or whose +Inf
 * bucket is not its _count.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string | null;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(s: string, line: number): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: not a number: ${JSON.stringify(s)}`);
  return Number(s);
}

/** Parses `{a="x",b="y"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(text: string, i: number, line: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let j = i + 1;
  for (;;) {
    if (text[j] === "}") return { labels, end: j + 1 };
    const eq = text.indexOf("=", j);
    if (eq < 0) throw new Error(`line ${line}: label without '='`);
    const name = text.slice(j, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let k = eq + 2;
    let value = "";
    for (;;) {
      const c = text[k];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === "\\") {
        const n = text[k + 1];
        if (n === "\\") value += "\\";
        else if (n === '"') value += '"';
        else if (n === "n") value += "\n";
        else throw new Error(`line ${line}: bad escape \\${n ?? ""}`);
        k += 2;
        continue;
      }
      if (c === '"') break;
      if (c === "\n") throw new Error(`line ${line}: raw newline in a label value`);
      value += c;
      k++;
    }
    labels[name] = value;
    j = k + 1;
    if (text[j] === ",") j++;
    else if (text[j] !== "}") throw new Error(`line ${line}: expected ',' or '}' after a label`);
  }
}

/** The family a sample name belongs to (a histogram's _bucket/_sum/_count are its own). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))) return f;
  }
  return undefined;
}

const seriesKey = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(",")}}`;

export function parsePrometheus(text: string): Map<string, Family> {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  text.split("\n").forEach((raw, idx) => {
    const line = idx + 1;
    if (raw === "") return;
    if (raw.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // a plain comment
      const [, kind, name = "", rest = ""] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name ${JSON.stringify(name)}`);
      let f = families.get(name);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type ${JSON.stringify(rest)}`);
        if (f?.samples.length) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        if (f && f.type !== "untyped") throw new Error(`line ${line}: TYPE of ${name} twice`);
        if (!f) families.set(name, (f = { name, type: "untyped", help: null, samples: [] }));
        f.type = rest as Family["type"];
      } else {
        if (!f) families.set(name, (f = { name, type: "untyped", help: null, samples: [] }));
        if (f.help !== null) throw new Error(`line ${line}: HELP of ${name} twice`);
        f.help = rest;
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nameMatch) throw new Error(`line ${line}: not a sample: ${JSON.stringify(raw)}`);
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (raw[i] === "{") ({ labels, end: i } = parseLabels(raw, i, line));
    if (raw[i] !== " ") throw new Error(`line ${line}: expected a space before the value`);
    const parts = raw.slice(i + 1).split(" ");
    if (parts.length > 2 || parts[0] === "") throw new Error(`line ${line}: expected a value and an optional timestamp`);
    const value = parseValue(parts[0] ?? "", line);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`line ${line}: bad timestamp`);
    const family = familyOf(name, families);
    if (!family) throw new Error(`line ${line}: sample ${name} has no TYPE before it`);
    const key = seriesKey(name, labels);
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    if (family.type === "counter" && !(value >= 0)) throw new Error(`line ${line}: counter ${name} is ${value}`);
    family.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: { le: number; v: number }[]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const g = groups.get(seriesKey("", rest)) ?? { buckets: [] };
    groups.set(seriesKey("", rest), g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      g.buckets.push({ le: parseValue(le, 0), v: s.value });
    } else if (s.name === `${f.name}_count`) g.count = s.value;
  }
  for (const [key, g] of groups) {
    const sorted = [...g.buckets].sort((a, b) => a.le - b.le);
    sorted.forEach((b, i) => {
      if (i > 0 && b.v < (sorted[i - 1]?.v ?? 0)) throw new Error(`${f.name}${key}: buckets are not cumulative`);
    });
    const inf = sorted[sorted.length - 1];
    if (!inf || inf.le !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (g.count !== inf.v) throw new Error(`${f.name}${key}: +Inf bucket ${inf.v} ≠ _count ${g.count}`);
  }
}

/** The value of one series (labels must match exactly), or undefined. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const key = seriesKey(name, labels);
  for (const f of families.values()) for (const s of f.samples) if (seriesKey(s.name, s.labels) === key) return s.value;
  return undefined;
}
