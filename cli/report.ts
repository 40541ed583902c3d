/** `nianbao report --year N`: the cross-year findings of a year (src/store/cross-year-report.ts). */
import { parseArgs } from "node:util";
import { exitStatus } from "../src/failures.js";
import type { Config } from "../src/config.js";
import { csvLine } from "../src/csv.js";
import { crossYearReport, type CrossYearDocument, type CrossYearReport } from "../src/store/cross-year-report.js";
import { openConfiguredStore } from "../src/store/index.js";

export const REPORT_USAGE = `usage: nianbao report --year N [--format text|csv|json]

  Cross-year checks of year N against N−1, over the newest stored result of each document,
  matching agencies by agencyKey after the aliases of AGENCY_ALIASES:
  - agencies whose 二、上年结转 (carriedOver) of N disagrees with the 四、结转下年度继续办理
    (carriedForward) of N−1 (rule R6), column by column;
  - agencies with a report for N−1 and none for N (a missing report is itself a finding);
  - agencies where R6 could not be checked because cells are blank.`;

const CSV_HEADER = ["kind", "agency", "agency_key", "year", "previous_year", "document", "file", "path", "previous_carried_forward", "carried_over", "message"];

export function reportCsv(r: CrossYearReport): string {
  const lines = [csvLine(CSV_HEADER)];
  for (const d of r.disagreements)
    for (const c of d.columns)
      lines.push(csvLine(["r6", d.agency, d.agencyKey, r.year, r.previousYear, d.documentId, d.file, c.path, c.previousCarriedForward, c.carriedOver, c.message]));
  for (const m of r.missing)
    lines.push(csvLine(["missing", m.agency, m.agencyKey, r.year, r.previousYear, m.documentId, m.file, null, null, null, `a ${r.previousYear} report is stored, none for ${r.year}`]));
  for (const u of r.unchecked) lines.push(csvLine(["r6-unchecked", u.agency, u.agencyKey, r.year, r.previousYear, u.documentId, u.file, null, null, null, u.message]));
  return `${lines.join("\n")}\n`;
}

/** The document's name, and the other names its body printed in the two years. */
const named = (d: CrossYearDocument) => (d.names.length > 1 ? `${d.agency} (also printed ${d.names.slice(1).join(", ")})` : d.agency);

export function reportText(r: CrossYearReport): string {
  const out: string[] = [];
  const agencies = (n: number) => `${n} ${n === 1 ? "agency" : "agencies"}`;
  out.push(`cross-year checks of ${r.year} against ${r.previousYear}: ${agencies(r.agenciesCompared)} with both years compared`);
  out.push("", `R6 disagreements (${r.year} carriedOver ≠ ${r.previousYear} carriedForward): ${agencies(r.disagreements.length)}`);
  for (const d of r.disagreements) {
    out.push(`  ${named(d)}  ${d.documentId.slice(0, 19)}…  ${d.file ?? ""}`);
    for (const c of d.columns) out.push(`      ${c.path}: ${r.previousYear} carried forward ${c.previousCarriedForward}, ${r.year} carried over ${c.carriedOver}`);
  }
  out.push("", `missing ${r.year} reports (a ${r.previousYear} report is stored): ${agencies(r.missing.length)}`);
  for (const m of r.missing) out.push(`  ${named(m)}  ${r.previousYear}: ${m.documentId.slice(0, 19)}…  ${m.file ?? ""}`);
  if (r.unchecked.length) {
    out.push("", `R6 not checkable (blank cells): ${agencies(r.unchecked.length)}`);
    for (const u of r.unchecked) out.push(`  ${named(u)}  ${u.documentId.slice(0, 19)}…  ${u.message}`);
  }
  return `${out.join("\n")}\n`;
}

export async function reportCommand(config: Config, args: string[]): Promise<number> {
  let values: { year?: string | undefined; format?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args, options: { year: { type: "string" }, format: { type: "string", default: "text" }, help: { type: "boolean", short: "h" } } }));
  } catch (e) {
    process.stderr.write(`nianbao: ${(e as Error).message}\n\n${REPORT_USAGE}\n`);
    return exitStatus("usage");
  }
  if (values.help) {
    process.stdout.write(`${REPORT_USAGE}\n`);
    return 0;
  }
  const year = Number(values.year);
  if (values.year === undefined || !/^\d{4}$/.test(values.year) || !Number.isInteger(year)) {
    process.stderr.write(`nianbao: --year must be a year like 2021\n\n${REPORT_USAGE}\n`);
    return exitStatus("usage");
  }
  const format = values.format ?? "text";
  if (format !== "text" && format !== "csv" && format !== "json") {
    process.stderr.write(`nianbao: --format must be text, csv or json, not ${format}\n`);
    return exitStatus("usage");
  }
  const store = openConfiguredStore(config);
  await store.init();
  try {
    const report = await crossYearReport(store, year);
    process.stdout.write(format === "json" ? `${JSON.stringify(report, null, 2)}\n` : format === "csv" ? reportCsv(report) : reportText(report));
    return 0;
  } finally {
    await store.close();
  }
}
