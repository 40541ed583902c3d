/**
 * The pipeline's queues, one per stage:
 *
 *   extract (CPU-heavy: parse the file)  →  reconstruct (+ validate)  →  store
 *
 * A worker runs all three, so a new document goes through all three in its extract job (no
 * hop through Redis between them). The extraction result is kept as an artifact in the store,
 * so reprocessing can start at reconstruct (its own queue) without parsing the file again;
 * the reconstruct job then stores too. The store queue serves store jobs earlier versions added.
 */
export const STAGES = ["extract", "reconstruct", "store"] as const;
export type Stage = (typeof STAGES)[number];

/** Queue names (BullMQ adds the QUEUE_PREFIX in front of its keys). */
export const QUEUE_NAMES: Record<Stage, string> = {
  extract: "extract",
  reconstruct: "reconstruct",
  store: "store",
};

