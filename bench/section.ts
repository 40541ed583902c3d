/**
 * What a benchmark section is. `run.ts` runs a list of sections (sections/index.ts), prints
 * their tables and writes them all to one JSON file; to add a measurement (part 2: queue
 * overhead, the 10,000-document scale run), write a Section and add it to that list.
 */
import type { CorpusDocument } from "./corpus.js";
import type { Summary } from "./stats.js";

export type Cell = number | string | null;

export interface Column {
  key: string;
  label: string;
  /** Decimals for numbers (default 1). */
  digits?: number;
}

export interface Table {
  title?: string;
  columns: Column[];
  rows: Record<string, Cell>[];
}

export interface SectionResult {
  tables: Table[];
  /** Free-text lines printed under the tables (and kept in the JSON). */
  notes: string[];
}

export interface BenchContext {
  /** Fewer iterations (CI smoke run). */
  quick: boolean;
  /** The `--only` selectors, lower-case; null when everything runs. */
  only: ReadonlySet<string> | null;
  corpus: readonly CorpusDocument[];
  /**
   * Named figures shared between sections and read by the targets (targets.ts), e.g.
   * "pdf.meanMs". Every metric is written to the JSON.
   */
  metrics: Map<string, number>;
  /** Timing summaries per document, keyed "series/docId" (e.g. "nianbao/synthetic/s003.pdf"). */
  perDocument: Map<string, Summary>;
  /** Progress, to stderr (stdout carries the tables). */
  log(message: string): void;
}

export interface Section {
  /** Unique id, also a selector for `--only`. */
  id: string;
  title: string;
  /** Further `--only` words that select this section (e.g. a format name). */
  selectors: string[];
  /** False for sections that run only when named in `--only` (heavy ones, or ones needing services). */
  inDefaultRun?: boolean;
  /** A reason to skip (a missing tool or service), printed instead of the tables; undefined to run. */
  skip?(ctx: BenchContext): string | undefined | Promise<string | undefined>;
  run(ctx: BenchContext): Promise<SectionResult>;
}

/** Whether a section runs under the given `--only` selectors. */
export function selected(section: Section, only: ReadonlySet<string> | null): boolean {
  if (!only) return section.inDefaultRun !== false;
  return only.has(section.id) || section.selectors.some((s) => only.has(s));
}
