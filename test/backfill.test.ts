/**
 * Batch reprocessing end to end on the file store (the default): a 644-document backfill,
 * interrupted and resumed, with a live upload during it; the change summary; the cross-year
 * report; import of a deep tree; reprocessing from the originals. See support/backfill-suite.ts.
 */
import { backfillSuite } from "./support/backfill-suite.js";

backfillSuite("file", 80, true);
