/**
 * What a reprocessing run ("backfill", `nianbao reprocess`) takes: the selectors over the stored
 * reports, and the run id derived from them. Pure: no queue, no store. queues/backfill.ts
 * enqueues what `selects` accepts; cli/reprocess.ts parses the arguments into a Selection.
 */
import { createHash } from "node:crypto";
import { isAbsolute, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { normaliseName } from "../identity/index.js";
import type { ValidationStatus } from "../model.js";
import { compareVersions } from "../store/cross-year.js";
import type { ReportSummary } from "../store/types.js";

/** A reprocessing run: part of every job id of the run, so no `:` (BullMQ) and short. */
export const RunId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, . _ - (at most 64)");

export interface Selection {
  all: boolean;
  /** Inclusive. */
  years: { from: number; to: number } | null;
  /** The substring to look for in the agency name, normalised (normaliseName: NFKC, no whitespace). */
  agency: string | null;
  statuses: readonly ValidationStatus[] | null;
  /** Documents whose newest stored result is older than this version. */
  sinceVersion: string | null;
  /** Where the originals were: `s3://bucket/prefix`, a local folder or file, or a source key prefix. */
  paths: readonly string[];
}

export const EMPTY_SELECTION: Selection = { all: false, years: null, agency: null, statuses: null, sinceVersion: null, paths: [] };

export function isEmptySelection(s: Selection): boolean {
  return !s.all && s.years === null && s.agency === null && s.statuses === null && s.sinceVersion === null && s.paths.length === 0;
}

export const STATUSES: readonly ValidationStatus[] = ["valid", "invalid", "incomplete"];

/** The selection as command-line text, for the run's record and the summary. */
export function describeSelection(s: Selection): string {
  const parts: string[] = [];
  if (s.all) parts.push("--all");
  if (s.years) parts.push(`--year ${s.years.from === s.years.to ? s.years.from : `${s.years.from}..${s.years.to}`}`);
  if (s.agency !== null) parts.push(`--agency ${s.agency}`);
  if (s.statuses) parts.push(`--status ${s.statuses.join(",")}`);
  if (s.sinceVersion !== null) parts.push(`--since-version ${s.sinceVersion}`);
  parts.push(...s.paths);
  return parts.join(" ");
}

/** Whether the stored source of a report lies under a path argument. */
function sourceUnder(arg: string, s: ReportSummary): boolean {
  const under = (value: string, prefix: string, slash: string) =>
    value === prefix || value.startsWith(prefix.endsWith(slash) ? prefix : `${prefix}${slash}`);
  if (/^s3:\/\//i.test(arg)) return s.sourceUri !== null && s.sourceUri.startsWith(arg); // S3 prefixes are plain prefixes
  if (s.sourceUri?.startsWith("file:")) {
    let path: string | null = null;
    try {
      path = fileURLToPath(s.sourceUri);
    } catch {
      path = null;
    }
    if (path !== null && under(path, resolve(arg), sep)) return true;
  }
  // A key prefix (2019/淮安市/), wherever the inbox was.
  return !isAbsolute(arg) && s.sourceKey !== null && under(s.sourceKey, arg.replace(/^\.\//, ""), "/");
}

export function selects(sel: Selection, s: ReportSummary): boolean {
  if (sel.years && (s.year === null || s.year < sel.years.from || s.year > sel.years.to)) return false;
  if (sel.agency !== null && (s.agency === null || !normaliseName(s.agency).includes(sel.agency))) return false;
  if (sel.statuses && (s.status === null || !sel.statuses.includes(s.status))) return false;
  if (sel.sinceVersion !== null && compareVersions(s.pipelineVersion, sel.sinceVersion) >= 0) return false;
  if (sel.paths.length && !sel.paths.some((p) => sourceUnder(p, s))) return false;
  return true;
}

// ---------------------------------------------------------------------------------- runs

export type From = "auto" | "extract" | "reconstruct";

/**
 * The run id: the target version and a hash of what was asked, so that the same command run
 * again resumes the same run (same job ids). Only characters allowed in a BullMQ job id.
 */
export function runIdFor(version: string, selection: Selection, from: From, force = false): string {
  // `force` only when given, so that the runs of earlier commands keep their ids.
  const what = JSON.stringify({ ...selection, paths: [...selection.paths].sort(), from, ...(force ? { force } : {}) });
  const hash = createHash("sha256").update(what).digest("hex").slice(0, 10);
  return RunId.parse(`${version.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40)}-${hash}`);
}
