/**
 * Usage of the pipeline commands, and strict argument parsing for them: `--help`/`-h` prints
 * the command's usage and exits 0 before anything starts (no configuration, no Redis, no
 * folder), and an unknown option or a stray argument is a usage error (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A usage error: main prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export const COMMAND_USAGE: Record<string, string> = {
  worker: `usage: nianbao worker

  Runs the pipeline workers (extract, reconstruct, store) until SIGTERM or SIGINT. Redis must
  answer within QUEUE_CONNECT_TIMEOUT_MS at start-up (else exit 10, queue unavailable); once
  running, the workers ride out a Redis outage. Configuration from the environment.`,
  watch: `usage: nianbao watch [DIR|s3://bucket/prefix]

  Ingests new files from the upload bucket (default INBOX) until SIGTERM or SIGINT.`,
  enqueue: `usage: nianbao enqueue FILE...

  Adds files to the pipeline directly. Exit codes: 0 all enqueued (or already ingested),
  9 a file could not be read or enqueued, 10 queue unavailable.`,
  status: `usage: nianbao status [--json] [--failures N]

  Queue counts and the last N failures (default 10) with their reasons. Exit 10 when Redis
  does not answer within QUEUE_CONNECT_TIMEOUT_MS.`,
  start: `usage: nianbao start [DIR|s3://bucket/prefix]

  Workers, watcher and dashboard in one process (npm start). DIR (default INBOX) is the upload
  bucket the watcher reads and the dashboard serves originals from.`,
  export: `usage: nianbao export [--format csv]

  The whole store as one tidy CSV on stdout: the newest stored result of each document, one
  row per cell (the columns of \`nianbao extract --format csv\`, README "CLI").`,
};

/** `--help` or `-h` among the options (before a `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/**
 * parseArgs, strict, with `--help`; a parse error or a wrong number of positionals becomes a
 * UsageError carrying the command's usage.
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  command: string,
  args: string[],
  options: O,
  positionals: { min: number; max: number } = { min: 0, max: 0 },
) {
  const usage = COMMAND_USAGE[command] ?? `usage: nianbao ${command}`;
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: positionals.max > 0, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message, usage);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(positionals.min === 1 && positionals.max > 1 ? "give at least one argument" : "missing argument", usage);
  if (n > positionals.max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}`, usage);
  return parsed;
}
