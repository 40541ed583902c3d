/**
 * The report model (docs: README "The model"), as zod schemas. The table schemas are built
 * from the label catalogue, so the model, the reconstructor and the validator cannot drift
 * apart: a row added to the catalogue is a field of the model.
 */
import { z } from "zod";
import { APPLICATIONS_2021_COLLAPSED, CATALOGUE, type ReportFormat, type TableDef, type TableId } from "./catalogue.js";

export const SCHEMA_VERSION = 1 as const;

const cell = z.number().nullable();

/** Builds the nested object schema of a table from its rows' dotted paths. */
function tableSchema(def: TableDef, extra: Record<string, z.ZodType> = {}): z.ZodType {
  interface Node {
    [k: string]: Node | z.ZodType;
  }
  const tree: Node = {};
  for (const row of def.rows) {
    const parts = row.path.split(".");
    let node = tree;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Node;
    node[parts[parts.length - 1] as string] = z.object(Object.fromEntries(row.fields.map((f) => [f.key, cell])));
  }
  const build = (n: Node): z.ZodType =>
    z.object(Object.fromEntries(Object.entries(n).map(([k, v]) => [k, v instanceof z.ZodType ? v : build(v)])));
  const base = build(tree) as z.ZodObject;
  return base.extend(extra);
}

const row7 = z.object(Object.fromEntries(APPLICATIONS_2021_COLLAPSED.rows[0]!.fields.map((f) => [f.key, cell])));

function tablesOf(format: ReportFormat): Record<TableId, z.ZodType> {
  const c = CATALOGUE[format];
  const procurementUnit: Record<string, z.ZodType> =
    format === "2019"
      ? {
          procurement: z.object({ projects: cell, amount: cell, amountUnit: z.enum(["元", "万元"]).nullable() }),
        }
      : {};
  return {
    proactive: tableSchema(c.proactive, procurementUnit),
    // A 2021 report printing （六）其他处理 as one row keeps the printed row beside the three
    // sub-rows (which are then 0 or null); rule R2 uses it.
    applications: tableSchema(c.applications, format === "2021" ? { otherHandlingAsPrinted: row7.optional() } : {}),
    reviewLitigation: tableSchema(c.reviewLitigation),
  };
}

const TABLES = { "2021": tablesOf("2021"), "2019": tablesOf("2019") };

export const Sections = z.object({
  overview: z.string().nullable(),
  problems: z.string().nullable(),
  other: z.string().nullable(),
});

export const LegacyStatistic = z.object({
  label: z.string(),
  unit: z.string().nullable(),
  values: z.array(z.number().nullable()),
});

export const LegacyFigure = z.object({
  /** what the figure counts, e.g. "主动公开政府信息" */
  label: z.string(),
  value: z.number(),
  unit: z.string(),
  /** the sentence it was read from */
  evidence: z.string(),
});

export const Region = z.object({
  /** GB/T 2260: 6 digits, or 9 for a township or street. */
  code: z.string().regex(/^\d{6}(\d{3})?$/),
  /** The full name, from the province down: 江苏省淮安市洪泽区. */
  name: z.string(),
});

const reportBase = {
  year: z.number().int().nullable(),
  agency: z.string().nullable(),
  /** The division the agency's name places it in (README "Identity"); null when the name does not settle it. */
  region: Region.nullable(),
  /** `<region code>/<the name without its place>`, else the normalised name; null when agency is. */
  agencyKey: z.string().nullable(),
  title: z.string().nullable(),
  sections: Sections,
};

export const Report2021 = z.object({
  format: z.literal("2021"),
  ...reportBase,
  proactive: TABLES["2021"].proactive.nullable(),
  applications: TABLES["2021"].applications.nullable(),
  reviewLitigation: TABLES["2021"].reviewLitigation.nullable(),
});

export const Report2019 = z.object({
  format: z.literal("2019"),
  ...reportBase,
  proactive: TABLES["2019"].proactive.nullable(),
  applications: TABLES["2019"].applications.nullable(),
  reviewLitigation: TABLES["2019"].reviewLitigation.nullable(),
});

export const ReportLegacy = z.object({
  format: z.literal("legacy"),
  ...reportBase,
  proactive: z.null(),
  applications: z.null(),
  reviewLitigation: z.null(),
  legacy: z.object({ statistics: z.array(LegacyStatistic), figures: z.array(LegacyFigure) }),
});

export const Report = z.discriminatedUnion("format", [Report2021, Report2019, ReportLegacy]);

export const Finding = z.object({
  rule: z.string(),
  severity: z.enum(["error", "warning"]),
  path: z.string().nullable(),
  message: z.string(),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
});

export const ValidationStatus = z.enum(["valid", "invalid", "incomplete"]);

export const Envelope = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  source: z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    fileName: z.string().nullable(),
    mediaType: z.string(),
    pages: z.number().int().nullable(),
  }),
  report: Report,
  validation: z.object({ status: ValidationStatus, findings: z.array(Finding) }),
  pipeline: z.object({ version: z.string() }),
});

export type Finding = z.infer<typeof Finding>;
export type Region = z.infer<typeof Region>;
export type Envelope = z.infer<typeof Envelope>;
export type ValidationStatus = z.infer<typeof ValidationStatus>;
export type LegacyStatistic = z.infer<typeof LegacyStatistic>;
export type LegacyFigure = z.infer<typeof LegacyFigure>;

/** The model as plain data: tables are nested records of cells. */
export type CellValue = number | null;
export interface TableData {
  [key: string]: TableData | CellValue | string | undefined;
}

/** Sets `value` at a dotted row path (`withheld.stateSecret`) of a table, making the groups on the way. */
export function setPath(target: TableData, path: string, value: TableData): void {
  const parts = path.split(".");
  let node = target;
  for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as TableData;
  node[parts[parts.length - 1] as string] = value;
}

export interface ReportData {
  format: ReportFormat | "legacy";
  year: number | null;
  agency: string | null;
  region: Region | null;
  agencyKey: string | null;
  title: string | null;
  sections: { overview: string | null; problems: string | null; other: string | null };
  proactive: TableData | null;
  applications: TableData | null;
  reviewLitigation: TableData | null;
  legacy?: { statistics: LegacyStatistic[]; figures: LegacyFigure[] };
}
