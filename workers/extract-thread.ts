/**
 * A parser thread: runs the core's extractBytes() (the same function the CLI uses) off the
 * worker's main event loop, so a slow PDF never stalls BullMQ's lock renewal.
 */
import { parentPort } from "node:worker_threads";
import { FailureError } from "../src/failures.js";
import { extractBytes } from "../src/process.js";
import type { ThreadReply, ThreadTask } from "./extract-pool.js";

if (!parentPort) throw new Error("extract-thread must run as a worker thread");
const port = parentPort;

port.on("message", (task: ThreadTask) => {
  extractBytes(task.bytes, {
    fileName: task.fileName,
    maxBytes: task.maxBytes,
    maxPages: task.maxPages,
    maxExpandedBytes: task.maxExpandedBytes,
  }).then(
    (extraction) => port.postMessage({ id: task.id, ok: true, extraction } satisfies ThreadReply),
    (e: unknown) => {
      const reply: ThreadReply = e instanceof FailureError
        ? { id: task.id, ok: false, code: e.code, message: e.message }
        : { id: task.id, ok: false, code: "internal", message: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      port.postMessage(reply);
    },
  );
});
