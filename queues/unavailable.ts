/**
 * Redis did not answer in time (QUEUE_CONNECT_TIMEOUT_MS): the commands that need the queues
 * stop with exit 10, "queue unavailable" (cli/main.ts), rather than retrying forever.
 */
export class QueueUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueueUnavailableError";
  }
}
