/**
 * The port between pdf.js's two halves when both run in this thread.
 *
 * pdf.js is a main half (the API pdf-parse calls) and a worker half (the parser), which talk
 * through messages. In Node, with the worker code loaded in-thread, pdf.js joins them with its
 * own loopback port, which structured-clones every message as a real worker boundary would:
 * about 10% of the CPU of a cold batch of PDFs, most of it on the two bulky kinds of message,
 * chunks of a page's text and of its operator list. This port hands those two over without
 * cloning, copies the messages that hold only primitive values (most of them: a stream's pulls
 * and their acknowledgements), and clones everything else as pdf.js does:
 * - a text chunk is the sender's own object, whose `items` and `styles` it replaces with new
 *   ones after sending (`enqueueChunk`): the chunk is copied, the items and styles are not;
 * - an operator-list chunk's `fnArray` and `argsArray` are emptied and reused by the sender
 *   after sending (`OperatorList.flush`), so those two arrays are copied (shallowly: the
 *   operator arguments in them are made anew for each operator and not touched again).
 *
 * One pdf.js worker half serves every document of the thread (`inThreadWorker`), as pdf.js
 * allows: a document given a `worker` leaves it running when it is destroyed.
 */

type Listener = (event: { data: unknown }) => void;
/** The buffers a message hands over (structuredClone's `transfer` list). */
type Transfer = NonNullable<Parameters<typeof structuredClone>[1]>["transfer"];

export class InThreadPort {
  private readonly listeners = new Set<Listener>();

  postMessage(message: unknown, transfer?: Transfer): void {
    const event = { data: handOver(message, transfer) };
    // Delivered later, never during the sender's call, as a real port would.
    void Promise.resolve().then(() => {
      for (const listener of this.listeners) listener.call(this, event);
    });
  }

  /** pdf.js removes its listeners by aborting the `signal` it passes (MessageHandler.destroy). */
  addEventListener(_type: "message", listener: Listener, options?: { signal?: AbortSignal }): void {
    const signal = options?.signal;
    if (signal?.aborted) return;
    this.listeners.add(listener);
    signal?.addEventListener("abort", () => this.listeners.delete(listener), { once: true });
  }

  removeEventListener(_type: "message", listener: Listener): void {
    this.listeners.delete(listener);
  }

  terminate(): void {
    this.listeners.clear();
  }
}

/** What the receiver gets for `message`: see the module comment. */
function handOver(message: unknown, transfer: Transfer | undefined): unknown {
  const chunk = (message as { chunk?: unknown } | null)?.chunk;
  if (typeof chunk === "object" && chunk !== null) {
    const c = chunk as { items?: unknown; styles?: unknown; fnArray?: unknown; argsArray?: unknown };
    if (Array.isArray(c.items) && typeof c.styles === "object") return { ...(message as object), chunk: { ...c } };
    if (Array.isArray(c.fnArray) && Array.isArray(c.argsArray)) {
      return { ...(message as object), chunk: { ...c, fnArray: c.fnArray.slice(), argsArray: c.argsArray.slice() } };
    }
  }
  if (!transfer?.length && isFlat(message)) return { ...message };
  return structuredClone(message, transfer ? { transfer } : undefined);
}

/**
 * A message of primitive values only: a copy of it is as good as a clone. Most messages are
 * such: a stream's pull and its acknowledgement, sent for every chunk of every page.
 */
function isFlat(message: unknown): message is object {
  if (typeof message !== "object" || message === null || Object.getPrototypeOf(message) !== Object.prototype) return false;
  for (const key in message) {
    const v = (message as Record<string, unknown>)[key];
    if (typeof v === "object" ? v !== null : typeof v === "function" || typeof v === "symbol") return false;
  }
  return true;
}

/** The worker half's entry point (pdf.worker.mjs's export). */
export interface WorkerMessageHandlerClass {
  initializeFromPort(port: InThreadPort): void;
}

/** pdf.js's PDFWorker class (pdf.mjs's export), as far as it is used here. */
export type PdfWorkerClass = new (params: { port: InThreadPort; verbosity?: number }) => object;

/**
 * A pdf.js worker (the `worker` parameter of getDocument) whose worker half runs in this thread
 * behind an InThreadPort. `verbosity` is passed to the worker half as pdf.js's own set-up does.
 */
export function inThreadWorker(handler: WorkerMessageHandlerClass, PDFWorker: PdfWorkerClass, verbosity: number): object {
  const port = new InThreadPort();
  handler.initializeFromPort(port);
  const worker = new PDFWorker({ port, verbosity });
  port.postMessage({ sourceName: "main", targetName: "worker", action: "configure", data: { verbosity } });
  return worker;
}
