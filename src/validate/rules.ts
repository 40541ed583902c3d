/**
 * The consistency rules R1–R9 (spec "Consistency rules"), each an id, a severity, a statement
 * and a small check. R6 needs the store (last year's report of the same agency) and is run
 * by the store; it is listed here so that its id, severity and message live with the others.
 *
 * A rule that cannot be evaluated because a cell it needs is null gives a warning naming the
 * null cells, and marks the report as blocked: never a silent pass.
 */
import { APPLICANT_COLUMNS, CATALOGUE, OUTCOME_COLUMNS, type FieldDef, type ReportFormat, type RowSum } from "../catalogue.js";
import type { Finding, ReportData, TableData } from "../model.js";
import { figureProse, proseFigures } from "../reconstruct/prose.js";

export interface RuleOutcome {
  findings: Finding[];
  /** Cells that kept an error rule from being evaluated. */
  blocked: boolean;
}

export interface RuleDef {
  id: string;
  severity: "error" | "warning";
  /**
   * Whether a failure of the rule on printed numbers makes the report `invalid` (the arithmetic
   * rules R1–R5). A rule that does not (a warning, or one run by the store) never changes the
   * status by failing.
   */
  invalidates: boolean;
  statement: string;
  /** Only for reports in these formats. */
  formats: readonly ReportFormat[];
  check(report: ReportData & { format: ReportFormat }): RuleOutcome;
}

type Cell = number | null | undefined;

/**
 * The path of a cell, `row.key` (`newReceived.natural`), as one string per row and key: the
 * rules ask for the same few hundred cells in every report, and a path built anew each time
 * would be hashed anew by every lookup.
 */
const cellPaths = new Map<string, Map<string, string>>();
function at(row: string, key: string): string {
  let byKey = cellPaths.get(row);
  if (!byKey) cellPaths.set(row, (byKey = new Map()));
  let path = byKey.get(key);
  if (path === undefined) byKey.set(key, (path = `${row}.${key}`));
  return path;
}

const splitPaths = new Map<string, string[]>();
function get(table: TableData | null, path: string): Cell {
  let parts = splitPaths.get(path);
  if (!parts) splitPaths.set(path, (parts = path.split(".")));
  let node: unknown = table;
  for (const p of parts) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[p];
  }
  return typeof node === "number" || node === null ? node : undefined;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const fmt = (xs: readonly number[]) => xs.join("+");

/** Evaluates `lhs = rhs` over named cells, or reports which of them are null. */
function equation(
  rule: string,
  table: "applications" | "reviewLitigation",
  data: TableData,
  lhs: readonly string[],
  rhs: readonly string[],
  describe: (l: number[], r: number[]) => string,
  path: string,
): RuleOutcome {
  const paths = [...lhs, ...rhs];
  const cells = paths.map((p) => get(data, p));
  const nulls = paths.filter((_, i) => typeof cells[i] !== "number");
  if (nulls.length) {
    return {
      findings: [
        {
          rule,
          severity: "warning",
          path: `${table}.${path}`,
          message: `${rule} cannot be evaluated: ${nulls.map((p) => `${table}.${p}`).join(", ")} ${nulls.length === 1 ? "is" : "are"} null`,
        },
      ],
      blocked: true,
    };
  }
  const l = cells.slice(0, lhs.length) as number[];
  const r = cells.slice(lhs.length) as number[];
  if (Math.abs(sum(l) - sum(r)) < 1e-9) return { findings: [], blocked: false };
  return {
    findings: [{ rule, severity: "error", path: `${table}.${path}`, message: describe(l, r), expected: sum(l), actual: sum(r) }],
    blocked: false,
  };
}

function merge(outcomes: readonly RuleOutcome[]): RuleOutcome {
  return { findings: outcomes.flatMap((o) => o.findings), blocked: outcomes.some((o) => o.blocked) };
}

const NONE: RuleOutcome = { findings: [], blocked: false };

/** Outcome rows of table 三 that add up to （七）总计, for the report's format. */
function outcomeRows(report: ReportData & { format: ReportFormat }): string[] {
  const rows = CATALOGUE[report.format].applications.rows.map((r) => r.path);
  const from = rows.indexOf("granted");
  const to = rows.indexOf("totalProcessed");
  const outcome = rows.slice(from, to);
  const apps = report.applications as TableData;
  // A 2021 report that printed （六）其他处理 as one row: R2 uses the printed row.
  if (report.format === "2021" && apps["otherHandlingAsPrinted"]) {
    return [...outcome.filter((p) => !p.startsWith("otherHandling.")), "otherHandlingAsPrinted"];
  }
  return outcome;
}

/** The field keys of an in-row sum of the catalogue (TableDef.sums), by its column indexes. */
function sumKeys(sums: RowSum, columns: readonly FieldDef[]): { parts: string[]; total: string } {
  const key = (i: number) => {
    const f = columns[i];
    if (!f) throw new Error(`the catalogue's ${sums.rule} names column ${i}, which its table does not have`);
    return f.key;
  };
  return { parts: sums.parts.map(key), total: key(sums.total) };
}

export const RULES: readonly RuleDef[] = [
  {
    id: "R1",
    severity: "error",
    invalidates: true,
    statement: "newReceived + carriedOver = totalProcessed + carriedForward, in every column of table 三",
    formats: ["2021", "2019"],
    check(report) {
      const apps = report.applications;
      if (!apps) return NONE;
      return merge(
        APPLICANT_COLUMNS.map((c) =>
          equation(
            "R1",
            "applications",
            apps,
            [at("newReceived", c.key), at("carriedOver", c.key)],
            [at("totalProcessed", c.key), at("carriedForward", c.key)],
            (l, r) => `一+二 (${fmt(l)}) ≠ (七)总计+四 (${fmt(r)}) in column ${c.label}`,
            at("totalProcessed", c.key),
          ),
        ),
      );
    },
  },
  {
    id: "R2",
    severity: "error",
    invalidates: true,
    statement: "totalProcessed = the sum of the outcome rows (（一） to （六）), in every column of table 三",
    formats: ["2021", "2019"],
    check(report) {
      const apps = report.applications;
      if (!apps) return NONE;
      const rows = outcomeRows(report);
      return merge(
        APPLICANT_COLUMNS.map((c) =>
          equation(
            "R2",
            "applications",
            apps,
            rows.map((r) => at(r, c.key)),
            [at("totalProcessed", c.key)],
            (l, r) => `（一）至（六） add up to ${sum(l)}, but （七）总计 is ${r[0]} in column ${c.label}`,
            at("totalProcessed", c.key),
          ),
        ),
      );
    },
  },
  {
    id: "R3",
    severity: "error",
    invalidates: true,
    statement: "in every row of table 三, 总计 = the sum of the six applicant columns",
    formats: ["2021", "2019"],
    check(report) {
      const apps = report.applications;
      const def = CATALOGUE[report.format].applications;
      if (!apps || !def.sums) return NONE;
      const { parts, total } = sumKeys(def.sums, APPLICANT_COLUMNS);
      const rows = def.rows.map((r) => r.path);
      if (apps["otherHandlingAsPrinted"]) rows.push("otherHandlingAsPrinted");
      return merge(
        rows.map((r) =>
          equation(
            "R3",
            "applications",
            apps,
            parts.map((p) => at(r, p)),
            [at(r, total)],
            (l, t) => `row ${r}: the applicant columns add up to ${sum(l)} (${fmt(l)}), but 总计 is ${t[0]}`,
            at(r, total),
          ),
        ),
      );
    },
  },
  {
    id: "R4",
    severity: "error",
    invalidates: true,
    statement: "in each group of table 四, 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结",
    formats: ["2021", "2019"],
    check(report) {
      const rl = report.reviewLitigation;
      const def = CATALOGUE[report.format].reviewLitigation;
      if (!rl || !def.sums) return NONE;
      const { parts, total } = sumKeys(def.sums, OUTCOME_COLUMNS);
      return merge(
        def.rows.map((g) =>
          equation(
            "R4",
            "reviewLitigation",
            rl,
            parts.map((p) => at(g.path, p)),
            [at(g.path, total)],
            (l, t) => `${g.label}: ${fmt(l)} = ${sum(l)}, but 总计 is ${t[0]}`,
            at(g.path, total),
          ),
        ),
      );
    },
  },
  {
    id: "R5",
    severity: "error",
    invalidates: true,
    statement: "counts are integers ≥ 0; only 2019 本年增/减 may be negative; amounts are decimals ≥ 0",
    formats: ["2021", "2019"],
    check(report) {
      const findings: Finding[] = [];
      for (const table of ["proactive", "applications", "reviewLitigation"] as const) {
        const data = report[table];
        if (!data) continue;
        for (const row of CATALOGUE[report.format][table].rows) {
          for (const f of row.fields) {
            const v = get(data, at(row.path, f.key));
            if (typeof v !== "number") continue;
            const ok = f.kind === "amount" ? v >= 0 : f.kind === "signed" ? Number.isInteger(v) : Number.isInteger(v) && v >= 0;
            if (!ok)
              findings.push({
                rule: "R5",
                severity: "error",
                path: `${table}.${row.path}.${f.key}`,
                message: `${row.label} / ${f.label}: ${v} is not ${f.kind === "amount" ? "an amount ≥ 0" : f.kind === "signed" ? "an integer" : "a count (integer ≥ 0)"}`,
                actual: v,
              });
          }
        }
      }
      return { findings, blocked: false };
    },
  },
  {
    id: "R6",
    severity: "warning",
    invalidates: false,
    statement: "this year's carriedOver equals the same agency's previous-year carriedForward (checked by the store)",
    formats: ["2021", "2019"],
    check: () => NONE,
  },
  {
    id: "R7",
    severity: "warning",
    invalidates: false,
    statement: "figures stated in the prose (受理申请N件, 行政复议N件, 行政诉讼N件) agree with the tables",
    formats: ["2021", "2019"],
    check(report) {
      const prose = figureProse(report.sections);
      const findings: Finding[] = [];
      const apps = report.applications;
      const rl = report.reviewLitigation;
      const tableValue: Record<string, { path: string; value: Cell }> = {
        受理政府信息公开申请: { path: "applications.newReceived.total", value: get(apps, "newReceived.total") },
        行政复议: { path: "reviewLitigation.review.total", value: get(rl, "review.total") },
        行政诉讼: {
          path: "reviewLitigation.litigationDirect.total",
          value: (() => {
            const a = get(rl, "litigationDirect.total");
            const b = get(rl, "litigationAfterReview.total");
            return typeof a === "number" && typeof b === "number" ? a + b : null;
          })(),
        },
      };
      const seen = new Set<string>();
      for (const fig of proseFigures(prose)) {
        const t = tableValue[fig.label];
        if (!t || typeof t.value !== "number" || seen.has(fig.label)) continue;
        seen.add(fig.label);
        if (t.value !== fig.value)
          findings.push({
            rule: "R7",
            severity: "warning",
            path: t.path,
            message: `the text says ${fig.label} ${fig.value}${fig.unit} («${fig.evidence.slice(0, 60)}»), the table ${t.value}`,
            expected: fig.value,
            actual: t.value,
          });
      }
      return { findings, blocked: false };
    },
  },
  {
    id: "R8",
    severity: "warning",
    invalidates: false,
    statement: "2021 format: section 六 says whether 信息处理费 was charged",
    formats: ["2021"],
    check(report) {
      const other = report.sections.other ?? "";
      if (/信息处理费|处理费|收费/.test(other)) return NONE;
      return {
        findings: [
          { rule: "R8", severity: "warning", path: "sections.other", message: "section 六 does not say whether 信息处理费 was charged" },
        ],
        blocked: false,
      };
    },
  },
  {
    id: "R9",
    severity: "warning",
    invalidates: false,
    statement: "plausibility: a township or county department reporting 规章 > 0; blank cells counted and named",
    formats: ["2021", "2019"],
    check(report) {
      const findings: Finding[] = [];
      const agency = report.agency ?? "";
      const local = /(镇|乡|街道|街道办事处)(人民政府)?$/.test(agency) || /[县区].{1,12}(局|委员会|委|办公室|中心)$/.test(agency);
      const field = report.format === "2021" ? "issued" : "newlyMade";
      const regs = get(report.proactive, at("regulations", field));
      if (local && typeof regs === "number" && regs > 0)
        findings.push({
          rule: "R9",
          severity: "warning",
          path: `proactive.regulations.${field}`,
          message: `${agency} reports ${regs} 规章, but townships and county departments cannot make 规章`,
          actual: regs,
        });
      const blanks: string[] = [];
      for (const table of ["proactive", "applications", "reviewLitigation"] as const) {
        const data = report[table];
        if (!data) continue;
        for (const row of CATALOGUE[report.format][table].rows)
          for (const f of row.fields) if (get(data, at(row.path, f.key)) === null) blanks.push(`${table}.${row.path}.${f.key}`);
      }
      if (blanks.length)
        findings.push({
          rule: "R9",
          severity: "warning",
          path: null,
          message: `${blanks.length} blank cell${blanks.length === 1 ? "" : "s"}: ${blanks.slice(0, 20).join(", ")}${blanks.length > 20 ? ", …" : ""}`,
          actual: blanks.length,
        });
      return { findings, blocked: false };
    },
  },
];
