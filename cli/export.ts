/**
 * `nianbao export [--format csv]`: the whole store as one tidy CSV on stdout, the newest stored
 * result of each document (store.listReports()), with the columns of `extract --format csv`.
 * Streamed: one document in memory at a time, and stdout's backpressure respected.
 */
import { once } from "node:events";
import type { Config } from "../src/config.js";
import { CSV_HEADER, csvLine, csvRows } from "../src/csv.js";
import { withStore } from "../src/store/index.js";
import type { ResultStore } from "../src/store/types.js";
import { parseCommandArgs, UsageError, COMMAND_USAGE } from "./usage.js";

/** Writes to stdout, waiting when its buffer is full (a slow pipe). */
async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

/** Every CSV line (header first) of the store's newest results; the file column is the source key. */
export async function* exportCsv(store: ResultStore): AsyncGenerator<string> {
  yield csvLine(CSV_HEADER);
  for await (const s of store.listReports()) {
    const stored = await store.getResult(s.sha256, s.pipelineVersion);
    if (!stored) continue; // replaced or removed since it was listed
    const file = stored.source?.key ?? s.sourceKey ?? stored.envelope.source.fileName ?? "";
    yield* csvRows(stored.envelope, file);
  }
}

export async function exportCommand(config: Config, args: string[]): Promise<number> {
  const { values } = parseCommandArgs("export", args, { format: { type: "string", default: "csv" } });
  if (values.format !== "csv") throw new UsageError(`--format must be csv, not ${values.format}`, COMMAND_USAGE["export"] ?? "");
  return withStore(config, async (store) => {
    let batch = "";
    for await (const line of exportCsv(store)) {
      batch += `${line}\n`;
      if (batch.length >= 64 * 1024) {
        await write(batch);
        batch = "";
      }
    }
    await write(batch);
    return 0;
  });
}
