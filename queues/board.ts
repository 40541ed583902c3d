/**
 * bull-board over the stage queues: the operators' view of the jobs, mounted by the dashboard
 * under /queues. It lives here, beside the queues, because it is BullMQ's adapter: the
 * dashboard itself never touches BullMQ.
 */
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Express } from "express";
import type { StageQueues } from "./connection.js";
import { QUEUE_NAMES, STAGES } from "./names.js";

export interface BoardOptions {
  /** Where the dashboard mounts it, e.g. "/queues". */
  basePath: string;
  /** No retry, promote, remove or clean buttons. */
  readOnly: boolean;
  /** QUEUE_PREFIX, shown in each queue's description. */
  prefix: string;
}

/** The board's own express app, to mount at `basePath`. */
export function queueBoard(queues: StageQueues, opts: BoardOptions): Express {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(opts.basePath);
  createBullBoard({
    // @bull-board/express carries its own copy of @bull-board/api's types (9.10.1 vs 9.10.2):
    // the same interface, declared twice, so TypeScript needs telling.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]["serverAdapter"],
    queues: STAGES.map(
      (s) =>
        new BullMQAdapter(queues.queues[s], {
          readOnlyMode: opts.readOnly,
          description: `${opts.prefix}:${QUEUE_NAMES[s]} — stage ${STAGES.indexOf(s) + 1} of ${STAGES.length}`,
        }),
    ),
    options: { uiConfig: { boardTitle: "nianbao queues", miscLinks: [{ text: "Results", url: "/" }], hideDocsLink: true } },
  });
  // getRouter() is typed `any` by bull-board: it is the adapter's own express app.
  const board = serverAdapter.getRouter() as Express;
  board.disable("x-powered-by");
  return board;
}
