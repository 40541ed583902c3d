/**
 * Envelopes for store tests, built from the corpus answers: a report as another agency and
 * year, with chosen carry-over rows (for rule R6), under a chosen content hash and version.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { APPLICANT_COLUMNS } from "../../src/catalogue.js";
import { identify } from "../../src/identity/index.js";
import { Envelope } from "../../src/model.js";
import { CORPUS } from "./corpus.js";

export type Report = Envelope["report"];
export type Row7 = Record<string, number | null>;

/** A stable fake content hash for a test document. */
export const sha = (seed: string) => createHash("sha256").update(seed).digest("hex");

/** The `report` of a corpus expected file (they carry no sections nor identity: add them). */
export function corpusReport(rel: string): Report {
  const expected = JSON.parse(readFileSync(join(CORPUS, `${rel}.expected.json`), "utf8")) as { report: { agency?: string | null } };
  return { sections: { overview: null, problems: null, other: null }, ...identify(expected.report.agency ?? null), ...expected.report } as Report;
}

/** An envelope for `report`; invalid when an error finding is given. */
export function envelope(report: Report, seed: string, version = "0.1.0", findings: Envelope["validation"]["findings"] = []): Envelope {
  return Envelope.parse({
    schemaVersion: 1,
    source: { sha256: sha(seed), fileName: `${seed}.pdf`, mediaType: "application/pdf", pages: 5 },
    report,
    validation: { status: findings.some((f) => f.severity === "error") ? "invalid" : "valid", findings },
    pipeline: { version },
  });
}

/** A table 三 row: zeros, with the given columns set. */
export const row7 = (values: Row7): Row7 => ({ ...Object.fromEntries(APPLICANT_COLUMNS.map((c) => [c.key, 0])), ...values });

/** The seed report (2021 format) as another agency and year, with table 三's carry rows set. */
export function yearReport(agency: string, year: number, rows: { carriedOver?: Row7; carriedForward?: Row7 } = {}): Report {
  const r = structuredClone(corpusReport("seed/jingzhouqu-2021"));
  if (r.format === "legacy" || !r.applications) throw new Error("the seed report has table 三");
  const apps = r.applications as Record<string, unknown>;
  if (rows.carriedOver) apps.carriedOver = rows.carriedOver;
  if (rows.carriedForward) apps.carriedForward = rows.carriedForward;
  return { ...r, agency, ...identify(agency), year };
}
