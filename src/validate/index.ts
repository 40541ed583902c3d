/**
 * Validation: the zod shape, then the consistency rules, then the status (spec order):
 * a missing table or row → incomplete; else an error of a rule that invalidates (R1–R5,
 * RuleDef.invalidates) failing on printed numbers → invalid; else an error rule blocked by a blank cell → incomplete; else valid.
 * Warnings never change the status.
 */
import type { Finding, ReportData, ValidationStatus } from "../model.js";
import { Report } from "../model.js";
import { RULES } from "./rules.js";

export interface Validation {
  status: ValidationStatus;
  findings: Finding[];
}

export { RULES } from "./rules.js";

/** The rules whose failure on printed numbers makes a report invalid (RuleDef.invalidates). */
const INVALIDATING = new Set(RULES.filter((r) => r.invalidates).map((r) => r.id));

export function validate(report: ReportData, reconstructionFindings: readonly Finding[], incomplete: boolean): Validation {
  const shape = Report.safeParse(report);
  if (!shape.success) {
    // The reconstructor built something outside the model: a bug, never the user's input.
    throw new Error(`report does not match the model: ${shape.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const findings: Finding[] = [...reconstructionFindings];
  let blocked = false;
  if (report.format !== "legacy") {
    const r = report as ReportData & { format: "2021" | "2019" };
    for (const rule of RULES) {
      if (!rule.formats.includes(r.format)) continue;
      const out = rule.check(r);
      findings.push(...out.findings);
      if (rule.severity === "error" && out.blocked) blocked = true;
    }
  }
  const ruleFailed = findings.some((f) => f.severity === "error" && INVALIDATING.has(f.rule));
  const status: ValidationStatus = incomplete ? "incomplete" : ruleFailed ? "invalid" : blocked ? "incomplete" : "valid";
  return { status, findings };
}
