/**
 * A parser thread: runs the core's functions (the same ones the CLI uses) off the worker's
 * main event loop, so a slow or huge file never stalls BullMQ's lock renewal: extractBytes
 * for the extract stage, buildEnvelope for the reconstruct stage, processBytes (both) for
 * `nianbao extract`.
 */
import { parentPort } from "node:worker_threads";
import { FailureError } from "../src/failures.js";
import { buildEnvelope, extractBytes, processBytes } from "../src/process.js";
import type { ThreadReply, ThreadResult, ThreadTask, ThreadWork } from "./extract-pool.js";

if (!parentPort) throw new Error("extract-thread must run as a worker thread");
const port = parentPort;

async function perform(task: ThreadTask): Promise<ThreadResult[ThreadWork["kind"]]> {
  switch (task.kind) {
    case "extract":
    case "process": {
      const options = {
        fileName: task.fileName,
        maxBytes: task.maxBytes,
        maxPages: task.maxPages,
        maxExpandedBytes: task.maxExpandedBytes,
        deadline: Date.now() + task.timeoutMs,
      };
      return task.kind === "extract" ? extractBytes(task.bytes, options) : processBytes(task.bytes, options);
    }
    case "envelope":
      return buildEnvelope(task.extraction);
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
