/**
 * Batch reprocessing end to end on PostgreSQL: 1,044 documents (more than one page of the
 * store's listing), interrupted and resumed, the change summary and the cross-year report.
 * See support/backfill-suite.ts.
 */
import { backfillSuite } from "./support/backfill-suite.js";

backfillSuite("postgres", 80, false);
