/**
 * A parser thread: runs the core's functions (the same ones the CLI uses) off the worker's
 * main event loop, so a slow or huge file never stalls BullMQ's lock renewal: extractBytes
 * then buildEnvelope for the extract stage (`build`), buildEnvelope for the reconstruct
 * stage, processBytes (both, in one go) for `nianbao extract`.
 */
import { parentPort } from "node:worker_threads";
import { FailureError } from "../src/failures.js";
import { buildEnvelope, extractBytes, processBytes, type Extraction } from "../src/process.js";
import type { Built, ThreadReply, ThreadResult, ThreadTask, ThreadWork } from "./extract-pool.js";

if (!parentPort) throw new Error("extract-thread must run as a worker thread");
const port = parentPort;

async function perform(task: ThreadTask): Promise<ThreadResult[ThreadWork["kind"]]> {
  switch (task.kind) {
    case "process":
    case "build": {
      const options = {
        fileName: task.fileName,
        maxBytes: task.maxBytes,
        maxPages: task.maxPages,
        maxExpandedBytes: task.maxExpandedBytes,
        // The parse's time limit: the programs a reader runs end by then (src/extract/programs.ts).
        deadline: Date.now() + task.timeoutMs,
      };
      return task.kind === "build" ? build(task.id, await extractBytes(task.bytes, options)) : processBytes(task.bytes, options);
    }
    case "envelope":
      return buildEnvelope(task.extraction);
  }
}

/** The second half of a `build` task: its time limit starts again (the pool hears `parsed`). */
function build(id: number, extraction: Extraction): Built {
  port.postMessage({ id, parsed: true } satisfies ThreadReply);
  const { document } = extraction;
  const documentJson = JSON.stringify(document);
  const summary = { pages: document.pages, mediaType: document.mediaType, blocks: document.blocks.length };
  try {
    return { documentJson, summary, outcome: { ok: true, envelope: buildEnvelope(extraction) } };
  } catch (e) {
    // A refusal (not a report): the extraction is still kept, as the extract stage kept it.
    if (e instanceof FailureError) return { documentJson, summary, outcome: { ok: false, code: e.code, message: e.message } };
    throw e;
  }
}

port.on("message", (task: ThreadTask) => {
  perform(task).then(
    (result) => port.postMessage({ id: task.id, ok: true, result } satisfies ThreadReply),
    (e: unknown) => {
      const reply: ThreadReply = e instanceof FailureError
        ? { id: task.id, ok: false, code: e.code, message: e.message }
        : { id: task.id, ok: false, code: "internal", message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      port.postMessage(reply);
    },
  );
});
