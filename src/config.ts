/**
 * Configuration from the environment, validated at start-up. Every variable has a sane
 * default so that `nianbao start` runs on a laptop with a local Redis and nothing else.
 * README "Configuration" lists them; docker-compose.yml sets the production ones.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { AgencyAliases } from "./identity/aliases.js";
import { ConfigError, configError, LIMIT_SETTINGS, readWholeNumber, type WholeNumber } from "./settings.js";

export { ConfigError, loadLimits, type Limits } from "./settings.js";

/** A whole-number variable, read as settings.ts reads the limits (`nianbao extract`). */
const whole = (setting: WholeNumber) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const r = readWholeNumber(raw, setting);
      if ("value" in r) return r.value;
      ctx.addIssue({ code: "custom", message: r.error });
      return z.NEVER;
    });
const int = (def: number, min = 0) => whole({ def, min });

export const ConfigSchema = z.object({
  /** Redis for the queues. Must run with maxmemory-policy noeviction and AOF persistence. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").default("redis://127.0.0.1:6379"),
  /**
   * How long status, enqueue, reprocess, import and a starting worker wait for Redis before
   * they give up with exit 10, "queue unavailable". A running worker rides out outages.
   */
  QUEUE_CONNECT_TIMEOUT_MS: int(10_000, 100),
  /** Prefix of every BullMQ key; lets several pipelines share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only").default("nianbao"),
  /** Output store: a folder (default ./data/out) or postgres://user@host/db. */
  STORE_URL: z
    .string()
    .min(1)
    .refine((url) => {
      const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
      // no scheme or a drive letter (a path), file:, postgres: (src/store/index.ts openStore)
      return scheme === undefined || scheme.length === 1 || ["file", "postgres", "postgresql"].includes(scheme);
    }, "must be a folder path, file:///…, or postgres://… (no other store exists)")
    .default("./data/out"),
  /** Agency aliases: a JSON file { "old name or key": "new name or key" } (README "Identity"); none by default. */
  AGENCY_ALIASES: z.string().optional(),
  /** Upload bucket: a folder (default ./data/inbox) or s3://bucket/prefix. */
  INBOX: z.string().min(1).default("./data/inbox"),
  /** Extraction jobs run at once in one worker process (one parser thread each). */
  CONCURRENCY: int(Math.max(1, availableParallelism() - 1), 1),
  /** How often the watcher looks for new files, and how many unchanged looks make a file complete. */
  POLL_INTERVAL_MS: int(2000, 50),
  STABLE_CHECKS: int(2, 1),
  /**
   * How long the watcher waits for a file that holds still but looks cut short (a PDF without
   * %%EOF, a .docx without its central directory, text ending mid-character) before it takes
   * it as it is (README "Limits").
   */
  INCOMPLETE_GRACE_MS: int(300_000, 0),
  /** The limits one file is read under: settings.ts. */
  JOB_TIMEOUT_MS: whole(LIMIT_SETTINGS.JOB_TIMEOUT_MS),
  PARSER_MEMORY_MB: whole(LIMIT_SETTINGS.PARSER_MEMORY_MB),
  MAX_FILE_BYTES: whole(LIMIT_SETTINGS.MAX_FILE_BYTES),
  MAX_PAGES: whole(LIMIT_SETTINGS.MAX_PAGES),
  MAX_EXPANDED_BYTES: whole(LIMIT_SETTINGS.MAX_EXPANDED_BYTES),
  /** Attempts for jobs that fail for a transient reason (store down, Redis blip). */
  ATTEMPTS: int(8, 1),
  BACKOFF_MS: int(1000, 1),
  /** BullMQ lock and stall detection: how soon the job of a dead worker is handed on. */
  LOCK_DURATION_MS: int(30_000, 1000),
  STALLED_INTERVAL_MS: int(30_000, 500),
  /** Graceful shutdown: how long running jobs may take to finish before they are handed back. */
  SHUTDOWN_TIMEOUT_MS: int(30_000, 0),
  /** How long finished jobs stay in Redis. */
  KEEP_COMPLETED_S: int(24 * 3600, 0),
  KEEP_FAILED_S: int(14 * 24 * 3600, 0),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** The dashboard (README "Dashboard"). Off loopback it refuses to start without credentials. */
  DASHBOARD_HOST: z.string().min(1).default("127.0.0.1"),
  DASHBOARD_PORT: z.union([z.literal("off"), z.coerce.number().int().min(0).max(65535)]).default(8080),
  /** Basic auth (both), and/or a bearer token. */
  DASHBOARD_USER: z.string().optional(),
  DASHBOARD_PASSWORD: z.string().optional(),
  DASHBOARD_TOKEN: z.string().optional(),
  /**
   * The admin credential: the only one that may change jobs (bull-board's retry, add, clean,
   * pause…), and only with DASHBOARD_READONLY=false. Must differ from the ordinary one.
   */
  DASHBOARD_ADMIN_USER: z.string().optional(),
  DASHBOARD_ADMIN_PASSWORD: z.string().optional(),
  DASHBOARD_ADMIN_TOKEN: z.string().optional(),
  /** Hides and refuses bull-board's mutating actions (retry, add, clean, pause…). On by default. */
  DASHBOARD_READONLY: z.stringbool().default(true),
});

export type Config = z.infer<typeof ConfigSchema>;

/** The variables of `schema` from the environment, or a ConfigError naming every bad one. */
function parseEnv<T extends z.ZodRawShape>(schema: z.ZodObject<T>, env: NodeJS.ProcessEnv, overrides: Partial<Record<string, string>>): z.infer<z.ZodObject<T>> {
  const source: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = overrides[key] ?? env[key];
    source[key] = v === "" ? undefined : v;
  }
  const r = schema.safeParse(source);
  if (!r.success) {
    throw configError(r.error.issues.map((i) => ({ name: i.path.join("."), raw: source[String(i.path[0])], message: i.message })));
  }
  return r.data;
}

/** Reads the configuration, or throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Config, string>> = {}): Config {
  const config = parseEnv(ConfigSchema, env, overrides);
  // The alias file is read now, so that a bad one stops the start with its reason.
  try {
    aliasesOf(config);
  } catch (e) {
    throw new ConfigError(`invalid configuration:\n  AGENCY_ALIASES=${JSON.stringify(config.AGENCY_ALIASES)}: ${(e as Error).message}`);
  }
  return config;
}

const loadedAliases = new Map<string, AgencyAliases>();

/** The agency aliases the configuration names (read once per file), or none. */
export function aliasesOf(config: Pick<Config, "AGENCY_ALIASES">): AgencyAliases {
  const path = config.AGENCY_ALIASES;
  if (path === undefined) return AgencyAliases.none;
  let aliases = loadedAliases.get(path);
  if (!aliases) {
    aliases = AgencyAliases.load(path);
    loadedAliases.set(path, aliases);
  }
  return aliases;
}
