/**
 * The pipeline's queues, one per stage:
 *
 *   extract (CPU-heavy: parse the file)  →  reconstruct (+ validate)  →  store
 *
 * The extraction result is kept as an artifact in the store, so reprocessing can start at
 * reconstruct without parsing the file again.
 */
export const STAGES = ["extract", "reconstruct", "store"] as const;
export type Stage = (typeof STAGES)[number];

/** Queue names (BullMQ adds the QUEUE_PREFIX in front of its keys). */
export const QUEUE_NAMES: Record<Stage, string> = {
  extract: "extract",
  reconstruct: "reconstruct",
  store: "store",
};

/** The next stage after each, or null for the last. */
export const NEXT_STAGE: Record<Stage, Stage | null> = { extract: "reconstruct", reconstruct: "store", store: null };
