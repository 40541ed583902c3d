#!/usr/bin/env node
/**
 * The nianbao command line. An adapter around the core: `extract` runs processBytes() (the
 * same extractBytes() and buildEnvelope() the queue workers run) in a parser thread, under
 * the same time and heap limits as a worker's (README "Limits").
 */
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, loadLimits, type Limits } from "../src/settings.js";
import { CSV_HEADER, csvLine, csvRows } from "../src/csv.js";
import { EXIT_OK, exitStatus, FailureError, FAILURE_CODES, FAILURES } from "../src/failures.js";
import type { Envelope } from "../src/model.js";
import { PIPELINE_VERSION } from "../src/version.js";
import { ExtractPool, fileLimits } from "../workers/extract-pool.js";
import { QueueUnavailableError } from "../queues/unavailable.js";
import { COMMAND_USAGE, UsageError, wantsHelp } from "./usage.js";

/** The exit statuses, from src/failures.ts (README "CLI" has the same table). */
const EXIT_HELP = [
  `  ${EXIT_OK}  a model was produced (even an invalid or incomplete one)`,
  ...FAILURE_CODES.flatMap((code) => {
    const { exit, meaning } = FAILURES[code];
    return exit === null ? [] : [{ exit, line: `  ${String(exit).padEnd(2)} ${code.padEnd(17)} ${meaning}` }];
  })
    .sort((a, b) => a.exit - b.exit)
    .map((x) => x.line),
].join("\n");

/**
 * Exit code of a pipeline command that cannot reach Redis within QUEUE_CONNECT_TIMEOUT_MS
 * (status, enqueue, worker, …): the failure code `queue-unavailable` of src/failures.ts.
 */
export const EXIT_QUEUE_UNAVAILABLE = exitStatus("queue-unavailable");

const USAGE = `usage: nianbao COMMAND [ARGS]

  extract [--format json|csv] FILE...  the report envelope of each FILE as JSON (NDJSON, one
                                       line per file, for several files), or with --format csv
                                       one tidy row per cell: file,agency,year,format,table,row,
                                       column,value,status,sha256,agencyKey
  worker                               run the pipeline workers (extract, reconstruct, store)
  watch [DIR|s3://bucket/prefix]       ingest new files from the upload bucket (default INBOX)
  enqueue FILE...                      add files to the pipeline directly
  status [--json] [--failures N]       queue counts and the last failures with their reasons
  reprocess SELECTOR... [--from …]     reprocess stored documents at backfill priority
                                       (--year, --agency, --status, --since-version, PATH, --all;
                                       --dry-run; see nianbao reprocess --help)
  import DIR|s3://bucket/prefix        enqueue a whole archive, any depth, at backfill priority
  report --year N [--format csv|json]  cross-year findings: R6 disagreements, missing reports
  start [DIR|s3://…]                   workers, watcher and dashboard together (npm start)
  dashboard [--host H] [--port P]      queue dashboard, /metrics and the results pages (README "Dashboard")
  export [--format csv]                the whole store (newest result of each document) as tidy CSV

  nianbao COMMAND --help (or -h) prints the usage of COMMAND and exits 0.
  The pipeline commands read their configuration from the environment (README "Configuration").

exit codes (with several files, the code of the first file that failed; the other files are
still processed):
${EXIT_HELP}`;

const EXTRACT_USAGE = `usage: nianbao extract [--format json|csv] FILE...

  The report envelope of each FILE as JSON (NDJSON, one line per file, for several files), or
  with --format csv one tidy row per cell (README "CLI"). Nothing else is needed: no Redis, no
  store. Each file is read in a parser thread under the limits MAX_FILE_BYTES, MAX_PAGES,
  MAX_EXPANDED_BYTES, JOB_TIMEOUT_MS and PARSER_MEMORY_MB from the environment (README "Limits").

${USAGE.slice(USAGE.indexOf("exit codes"))}`;

async function extractCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { format: { type: "string", default: "json" }, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    process.stderr.write(`nianbao extract: ${(e as Error).message}\n\n${EXTRACT_USAGE}\n`);
    return exitStatus("usage");
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${EXTRACT_USAGE}\n`);
    return 0;
  }
  const format = values.format;
  if (format !== "json" && format !== "csv") {
    process.stderr.write(`nianbao: --format must be json or csv, not ${format}\n`);
    return exitStatus("usage");
  }
  if (positionals.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return exitStatus("usage");
  }
  let limits: Limits;
  try {
    limits = loadLimits();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`nianbao: ${e.message}\n`);
    return exitStatus("usage");
  }
  // One parser thread, as in a worker: a file past JOB_TIMEOUT_MS or PARSER_MEMORY_MB stops it.
  const pool = new ExtractPool({ size: 1, memoryMb: limits.PARSER_MEMORY_MB });
  let exit = 0;
  try {
    if (format === "csv") process.stdout.write(`${csvLine(CSV_HEADER)}\n`);
    for (const file of positionals) {
      const code = await extractFile(pool, limits, file, (env) => {
        if (format === "csv") {
          for (const line of csvRows(env, file)) process.stdout.write(`${line}\n`);
        } else {
          process.stdout.write(positionals.length === 1 ? `${JSON.stringify(env, null, 2)}\n` : `${JSON.stringify(env)}\n`);
        }
      });
      exit ||= code;
    }
  } finally {
    await pool.close();
  }
  return exit;
}

/** One file through the pool: its envelope handed to `print`, or its one-line refusal; its exit status. */
async function extractFile(pool: ExtractPool, limits: Limits, file: string, print: (env: Envelope) => void): Promise<number> {
  let bytes: Buffer;
  try {
    // The size is checked before anything is read: a file over MAX_FILE_BYTES is never loaded.
    const handle = await open(file, "r");
    try {
      const { size } = await handle.stat();
      if (size > limits.MAX_FILE_BYTES) {
        process.stderr.write(`nianbao: ${file}: too-large: file is ${size} bytes, over the limit of ${limits.MAX_FILE_BYTES} bytes\n`);
        return exitStatus("too-large");
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (e) {
    process.stderr.write(`nianbao: ${file}: unreadable: ${(e as Error).message}\n`);
    return exitStatus("unreadable");
  }
  try {
    const env = await pool.process(
      { bytes, fileName: basename(file), ...fileLimits(limits) },
      limits.JOB_TIMEOUT_MS,
    );
    print(env);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof FailureError && e.code !== "internal") {
      process.stderr.write(`nianbao: ${file}: ${e.code}: ${e.message}\n`);
      return exitStatus(e.code);
    }
    process.stderr.write(`nianbao: ${file}: internal error: ${e instanceof FailureError ? e.message : ((e as Error).stack ?? String(e))}\n`);
    return exitStatus("internal");
  }
}

/** The usage text of a pipeline command. */
async function usageOf(command: string): Promise<string> {
  switch (command) {
    case "reprocess":
      return (await import("./reprocess.js")).REPROCESS_USAGE;
    case "import":
      return (await import("./reprocess.js")).IMPORT_USAGE;
    case "report":
      return (await import("./report.js")).REPORT_USAGE;
    case "dashboard":
      return (await import("./dashboard.js")).DASHBOARD_USAGE;
    default:
      return COMMAND_USAGE[command] ?? USAGE;
  }
}

async function pipeline(command: string, rest: string[]): Promise<number> {
  // `--help` before anything else: no configuration read, nothing started, no folder made.
  if (wantsHelp(rest)) {
    process.stdout.write(`${await usageOf(command)}\n`);
    return 0;
  }
  try {
    return await runPipeline(command, rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`nianbao ${command}: ${e.message}\n\n${e.usage}\n`);
      return exitStatus("usage");
    }
    if (e instanceof QueueUnavailableError) {
      process.stderr.write(`nianbao: queue unavailable: ${e.message}\n`);
      return EXIT_QUEUE_UNAVAILABLE;
    }
    throw e;
  }
}

async function runPipeline(command: string, rest: string[]): Promise<number> {
  // Loaded only for the pipeline commands: `extract` needs no Redis client.
  const [{ loadConfig, ConfigError }, p] = await Promise.all([import("../src/config.js"), import("./pipeline.js")]);
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`nianbao: ${e.message}\n`);
      return exitStatus("usage");
    }
    throw e;
  }
  switch (command) {
    case "worker":
      return p.workerCommand(config, rest);
    case "watch":
      return p.watchCommand(config, rest);
    case "enqueue":
      return p.enqueueCommand(config, rest);
    case "status":
      return p.statusCommand(config, rest);
    case "reprocess":
      return (await import("./reprocess.js")).reprocessCommand(config, rest);
    case "import":
      return (await import("./reprocess.js")).importCommand(config, rest);
    case "report":
      return (await import("./report.js")).reportCommand(config, rest);
    case "dashboard":
      return (await import("./dashboard.js")).dashboardCommand(config, rest);
    case "export":
      return (await import("./export.js")).exportCommand(config, rest);
    default:
      return p.startCommand(config, rest);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "extract":
      return extractCommand(rest);
    case "worker":
    case "watch":
    case "enqueue":
    case "status":
    case "start":
    case "reprocess":
    case "import":
    case "report":
    case "dashboard":
    case "export":
      return pipeline(command, rest);
    case "--version":
    case "version":
      process.stdout.write(`${PIPELINE_VERSION}\n`);
      return 0;
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? exitStatus("usage") : 0;
    default:
      process.stderr.write(`nianbao: unknown command ${command}\n${USAGE}\n`);
      return exitStatus("usage");
  }
}

// `nianbao extract … | head`: the reader has what it wanted. Stop quietly, as a command
// killed by SIGPIPE does, rather than with an unhandled stream error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now; should a library still hold a handle, exit anyway.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (e: unknown) => {
    process.stderr.write(`nianbao: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = exitStatus("internal");
    setTimeout(() => process.exit(exitStatus("internal")), 2000).unref();
  },
);
