/**
 * Whole-number settings from the environment, read without zod, and the limits one file is
 * read under. `nianbao extract` reads nothing else of the environment, so its main thread
 * loads this module and not config.ts: zod alone costs a process about 50 ms of CPU to load,
 * a tenth of a one-file run. config.ts builds its schema's whole-number variables on
 * readWholeNumber(), so every command reads and reports them alike.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** A whole-number variable: its default, and the least value it takes. */
export interface WholeNumber {
  def: number;
  min: number;
}

/**
 * The value of a whole-number variable (unset or empty: its default), or what is wrong with
 * it, as a message.
 */
export function readWholeNumber(raw: string | undefined, setting: WholeNumber): { value: number } | { error: string } {
  if (raw === undefined || raw === "") return { value: setting.def };
  const trimmed = raw.trim();
  const value = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  if (!Number.isSafeInteger(value)) return { error: "must be a whole number" };
  if (value < setting.min) return { error: `must be at least ${setting.min}` };
  return { value };
}

/** The limits one file is read under (README "Limits"); config.ts's schema has them too. */
export const LIMIT_SETTINGS = {
  /**
   * Time limit of each step that reads a file in a parser thread (parsing; reconstructing and
   * validating; both, for `nianbao extract`); past it the thread is stopped.
   */
  JOB_TIMEOUT_MS: { def: 120_000, min: 100 },
  /**
   * Heap limit of a parser thread (parsing and reconstructing); a file that needs more fails
   * alone. 2048 because V8 lets a heap grow four-fold between full collections only when its
   * limit is at least 2 GB (64-bit builds), and 1.3–2× below: at 1024 a worker spent 20–35%
   * more CPU per document, mostly in garbage collection, and a 10,000-document backfill ran at
   * 41 docs/s instead of 52, for a peak RSS of 313 MB instead of 467 (README, "Benchmarks").
   */
  PARSER_MEMORY_MB: { def: 2048, min: 64 },
  MAX_FILE_BYTES: { def: 100 * 1024 * 1024, min: 1 },
  MAX_PAGES: { def: 500, min: 1 },
  /**
   * How far a file may expand when decompressed: a .docx's zip entries, a PDF's compressed
   * streams (images each held to their raster instead). A zip or flate bomb fails with too-large.
   */
  MAX_EXPANDED_BYTES: { def: 200 * 1024 * 1024, min: 1 },
} as const satisfies Record<string, WholeNumber>;

export type Limits = { -readonly [K in keyof typeof LIMIT_SETTINGS]: number };

/** A variable with a bad value, and what is wrong with it. */
export interface BadVariable {
  name: string;
  raw: string | undefined;
  message: string;
}

/** The ConfigError for bad variables: one line each, `  NAME="value": what is wrong`. */
export function configError(bad: BadVariable[]): ConfigError {
  const lines = bad.map((b) => `  ${b.name}=${JSON.stringify(b.raw)}: ${b.message}`);
  return new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
}

/** Reads the limits alone, or throws a ConfigError naming every bad variable. */
export function loadLimits(env: NodeJS.ProcessEnv = process.env): Limits {
  const limits = {} as Limits;
  const bad: BadVariable[] = [];
  for (const name of Object.keys(LIMIT_SETTINGS) as (keyof Limits)[]) {
    const raw = env[name];
    const r = readWholeNumber(raw, LIMIT_SETTINGS[name]);
    if ("error" in r) bad.push({ name, raw, message: r.error });
    else limits[name] = r.value;
  }
  if (bad.length > 0) throw configError(bad);
  return limits;
}
